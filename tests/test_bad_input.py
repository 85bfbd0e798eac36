"""Bad or unusual input found by trying to break the tool: each is a located
finding or a one-line usage error, never a traceback, never a silent pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ENV_PY, FIXTURES, Project

from migration_audit.cli import main
from migration_audit.config import Overrides, load_project


def _cli() -> list[str]:
    exe = Path(sys.executable).parent / "migration-audit"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "migration_audit"]


def test_non_utf8_terminal_and_unicode_paths(tmp_path: Path) -> None:
    root = tmp_path / "my proj ünï 日本"
    p = Project(root)
    root.mkdir()
    p.write("alembic.ini", "[alembic]\nscript_location = migrations\nprepend_sys_path = .\n")
    p.write("migrations/env.py", ENV_PY.format(imports="from app.models import Base", target="Base.metadata"))
    p.models("import uuid\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
             "class Base(DeclarativeBase):\n    pass\n\n\nclass Ünï(Base):\n    __tablename__ = 'ünï'\n"
             "    id = sa.Column(sa.String, primary_key=True, default='é')\n")
    run = subprocess.run([*_cli(), "check"], cwd=root, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout.startswith("app/models.py:12:57: MA101 [error] \\xfcn\\xef.id (primary key): default='\\xe9'")


def test_output_is_identical_across_runs() -> None:
    runs = [
        subprocess.run([*_cli(), "check", str(FIXTURES / "incident"), "--format", "json"],
                       capture_output=True, text=True, timeout=120).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and '"MA101"' in runs[0]


def test_url_filled_in_by_env_py_does_not_block_the_audit(project: Project) -> None:
    project.write("alembic.ini", "[alembic]\nscript_location = migrations\nsqlalchemy.url = %(DB_URL)s\n")
    assert load_project(project.root, Overrides()).dialect == "default"


@pytest.mark.parametrize("spec", ["app.models", ":Base", "", "app.models:Base..metadata", "app models:Base"])
def test_malformed_metadata_option_is_a_usage_error(project: Project, spec: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(project.root), "--metadata", spec]) == 2
    assert "is not module:attribute" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[tool]\nmigration-audit = 3\n', "[tool.migration-audit] must be a table, not int"),
        ('[tool.migration-audit]\ndialect = ["a"]\n', "[tool.migration-audit] dialect must be a string"),
        ('[tool.migration-audit]\nscript-location = ["m"]\n', "[tool.migration-audit] script-location must be a string"),
        ('[tool.migration-audit]\ndialect = "nonsense"\n', "unknown dialect 'nonsense'"),
        ('[tool.migration-audit]\nselect = "MA1"\nimport-modules = ["a b"]\n', "'a b' is not a module name"),
    ],
)
def test_config_types_are_checked(project: Project, toml: str, message: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    project.write("pyproject.toml", toml)
    assert main(["check", str(project.root)]) == 2
    assert message in capsys.readouterr().err


def test_family_prefix_without_rules_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURES / "incident_fixed"), "--select", "MA8"]) == 0
    assert main(["check", str(FIXTURES / "incident_fixed"), "--select", "MA801"]) == 2
    capsys.readouterr()


def _diags(project: Project) -> list[tuple[str, str, str]]:
    result = project.audit(select=["MA0"], models_load=False)
    return [(f.code, f.location.path.name, f.message) for f in result.findings if f.code not in ("MA002", "MA005")]


def test_revision_header_spellings_alembic_accepts(project: Project) -> None:
    project.write("migrations/versions/a1.py", "revision, down_revision = 'a1', None\n")
    project.write("migrations/versions/b2.py", "if True:\n    revision = 'b2'\n    down_revision = 'a1'\n")
    assert _diags(project) == []
    assert project.audit(models_load=False).facts.migrations.order == ["a1", "b2"]


def test_revision_headers_alembic_rejects(project: Project) -> None:
    project.write("migrations/versions/a1.py", "revision = 'a1'\n")
    project.write("migrations/versions/b2.py", "revision = ('b2',)\ndown_revision = None\n")
    project.write("migrations/versions/abc123.py", "")
    assert sorted(_diags(project)) == [
        ("MA001", "a1.py", "a1.py has no `down_revision = ...`; Alembic fails to load it (AttributeError)"),
        ("MA001", "abc123.py", "abc123.py has no `down_revision = ...`; Alembic fails to load it (AttributeError)"),
        ("MA001", "b2.py", "revision in b2.py is `('b2',)`; Alembic needs one non-empty string it can read"),
    ]


def test_two_unlabelled_bases_are_multiple_heads(project: Project) -> None:
    project.revision("a1", None, "pass")
    project.revision("b2", (), "pass")
    assert [(c, n) for c, n, _ in _diags(project)] == [("MA004", "b2.py")]


def test_raw_sql_identifiers_fold_case_and_default_schema(project: Project) -> None:
    project.models(
        "import sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        "class Post(Base):\n    __tablename__ = 'posts'\n    id = sa.Column(sa.Integer, primary_key=True)\n"
        "    status = sa.Column(sa.String, server_default='draft')\n"
        "    kind = sa.Column(sa.String, server_default='a')\n"
    )
    project.revision("a1", None, """
        op.create_table('posts', sa.Column('id', sa.Integer(), primary_key=True),
                        sa.Column('status', sa.String(), server_default='draft'),
                        sa.Column('kind', sa.String(), server_default='a'))
        op.execute("alter table POSTS alter column STATUS set default 'published'")
        op.execute("ALTER TABLE public.posts ALTER COLUMN kind DROP DEFAULT")
    """)
    messages = [f.message for f in project.audit(select=["MA201"]).findings]
    lines = (project.root / "migrations/versions/a1.py").read_text().splitlines()
    alter = next(i for i, line in enumerate(lines, 1) if "alter table POSTS" in line)
    assert messages == [
        "posts.status: the model's server default is 'draft', but the migrations leave 'published' "
        f"(migrations/versions/a1.py:{alter})",
        f"posts.kind: the model's server default is 'a', but the migrations drop it (migrations/versions/a1.py:{alter + 1})",
    ]
