"""Bad or unusual input found by trying to break the tool: each is a located
finding or a one-line usage error, never a traceback, never a silent pass."""

from __future__ import annotations

import json
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


# -- The broken inputs of issue 7, through the command line: each is a located
# finding (and the rest of the audit still runs: the MA102 of revision a1 is
# still found) or a one-line error with exit 2.

UUID_REV = ("op.create_table('users', sa.Column('id', sa.String(36), primary_key=True, "
            "server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'))")
DEEP = 5000  # "thousands deep": past the parser's and the interpreter's recursion limits


def _check(project: Project, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str], str]:
    """Exit code, "path:line:col: CODE" of each finding, and stderr."""
    code = main(["check", str(project.root), "--format", "gcc", "--import-timeout", "20", *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    found = [line for line in out.splitlines() if line]
    return code, [f"{line.split(': ')[0]}: {line.rsplit('[', 1)[1].rstrip(']')}" for line in found], err


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("doc.py", '"""Only a docstring: someone emptied the migration."""\n', "doc.py:1:1: MA001"),
        ("deep.py", "revision = 'd1'\ndown_revision = 'a1'\nx = 1" + " + 1" * 200_000 + "\n", "deep.py:1:1: MA001"),
        ("deep.py", "revision = 'd1'\ndown_revision = 'a1'\nx = " + "(" * DEEP + "1" + ")" * DEEP + "\n",
         "deep.py:3:205: MA001"),
        ("deep.py", "revision = 'd1'\ndown_revision = 'a1'\ndef upgrade():\n    op.execute(" + "f(" * DEEP + ")" * DEEP
         + ")\n", "deep.py:4:415: MA001"),
        ("empty_parent.py", "revision = 'e1'\ndown_revision = ''\n", "empty_parent.py:1:1: MA003"),
        ("label.py", "revision = 'l1'\ndown_revision = 'a1'\nbranch_labels = ('a1',)\n", "label.py:1:1: MA003"),
    ],
)
def test_broken_migration_is_a_located_finding_and_the_rest_runs(project: Project, name: str, text: str,
                                                                  expected: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    project.revision("a1", None, UUID_REV)
    project.write(f"migrations/versions/{name}", text)
    for mode in ([], ["--static"]):
        code, found, _ = _check(project, capsys, "--select", "MA0,MA102", *mode)
        assert code == 1
        assert [f for f in found if "MA002" not in f and "MA005" not in f] == [
            "migrations/versions/a1.py:18:94: MA102", f"migrations/versions/{expected}"], mode


def test_duplicate_branch_label_is_graph_broken(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.revision("a1", None, UUID_REV)
    project.write("migrations/versions/s.py", "revision = 's1'\ndown_revision = 'a1'\nbranch_labels = ('x',)\n")
    project.write("migrations/versions/t.py", "revision = 't1'\ndown_revision = 's1'\nbranch_labels = ('x',)\n")
    result = project.audit(select=["MA003"], models_load=False)
    assert [(f.location.path.name, f.message) for f in result.findings] == [
        ("t.py", "branch label 'x' of revision t1 is already the branch label of revision s1; Alembic refuses to "
                 "load the history")]


def test_revision_ids_from_module_constants(project: Project) -> None:
    """Alembic runs the file, so `revision = REV` works there; read it too."""
    project.revision("a1", None, UUID_REV)
    project.write("migrations/versions/v.py", "REV = 'v1'\nPARENT: str = 'a1'\nrevision = REV\ndown_revision = PARENT\n")
    project.write("migrations/versions/w.py", "REV = 'w1'\nREV = 'w2'\nrevision = REV\ndown_revision = 'v1'\n")
    result = project.audit(select=["MA0"], models_load=False)
    assert result.facts.migrations.order == ["a1", "v1"]
    assert [(f.code, f.location.path.name, f.location.line, f.message) for f in result.findings
            if f.code not in ("MA002", "MA005")] == [
        ("MA001", "w.py", 3, "revision in w.py is `REV`; Alembic needs one non-empty string it can read")]


def test_five_megabyte_generated_migration(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    import time

    project.revision("a1", None, UUID_REV)
    body = "op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))\n" + "\n".join(
        f"op.add_column('t', sa.Column('column_number_{i}', sa.String(50), server_default='value number {i}'))"
        for i in range(50_000))
    path = project.revision("b2", "a1", body + "\nop.alter_column('users', 'id', server_default='2f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f')")
    assert path.stat().st_size > 5_000_000
    start = time.perf_counter()
    code, found, err = _check(project, capsys, "--select", "MA102", "--no-cache")
    assert code == 1 and found == ["migrations/versions/a1.py:18:94: MA102",
                                   "migrations/versions/b2.py:50019:51: MA102"]
    assert time.perf_counter() - start < 60, err


@pytest.mark.parametrize("static", [False, True])
@pytest.mark.parametrize(
    ("models", "expected", "expected_static"),
    [
        # RecursionError while Python compiles the module: at the import that reached it; read
        # statically, at the module (the parser names no line)
        ("x = 1" + " + 1" * 200_000 + "\n", ["migrations/env.py:2:1: MA002"], ["app/models.py:1:1: MA002"]),
        ("x = " + "(" * DEEP + "1" + ")" * DEEP + "\n", ["app/models.py:13:205: MA002"],
         ["app/models.py:13:205: MA002"]),
    ],
)
def test_models_nested_thousands_deep(project: Project, models: str, expected: list[str], expected_static: list[str],
                                      static: bool, capsys: pytest.CaptureFixture[str]) -> None:
    project.revision("a1", None, UUID_REV)
    project.models("import uuid\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
                   "class Base(DeclarativeBase):\n    pass\n\n\nclass User(Base):\n    __tablename__ = 'users'\n"
                   "    id = sa.Column(sa.String(36), primary_key=True)\n" + models)
    code, found, _ = _check(project, capsys, "--select", "MA0,MA102", *(["--static"] if static else []))
    if static:
        expected = expected_static
    assert (code, found) == (1, sorted(expected + ["migrations/versions/a1.py:18:94: MA102"]))


@pytest.mark.parametrize("static", [False, True])
def test_models_with_an_unknown_coding_cookie_are_located_at_its_line(project: Project, static: bool,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Python raises a SyntaxError at offset -1 for it; the finding is at 1:1."""
    project.revision("a1", None, UUID_REV)
    project.models("# -*- coding: klingon -*-\nimport sqlalchemy as sa\n")
    code, found, _ = _check(project, capsys, "--select", "MA0,MA102", *(["--static"] if static else []))
    assert (code, found) == (1, ["app/models.py:1:1: MA002", "migrations/versions/a1.py:18:94: MA102"])


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"alembic.ini": "[alembic]\nscript_location = nowhere\n"}, "script location {root}/nowhere is not a directory"),
        ({"alembic.ini": "[alembic]\nprepend_sys_path = .\n"}, "{root}: no alembic.ini with a script_location"),
        ({"alembic.ini": b"\xff\xfe\x00[alembic]\n"}, "{root}/alembic.ini: cannot read: 'utf-8' codec can't decode"),
        ({"alembic.ini": "[alembic]\nscript_location = migrations\nscript_location = m2\n"},
         "{root}/alembic.ini: cannot read: While reading from '{root}/alembic.ini' [line 3]: option "
         "'script_location' in section 'alembic' already exists"),
        ({"alembic.ini": "[alembic]\nscript_location = migrations\nmigration_audit.mdoe = warn\n"},
         "{root}/alembic.ini: [alembic] unknown key 'migration_audit.mdoe' (did you mean migration_audit.mode?)"),
        ({"pyproject.toml": "[tool.migration-audit]\nmetadata = []\n"},
         "{root}/pyproject.toml: [tool.migration-audit] metadata is empty; name the model metadata as MODULE:ATTR"),
        ({"pyproject.toml": b"\xff\xfe[tool\n"}, "{root}/pyproject.toml: invalid TOML: 'utf-8' codec can't decode"),
        ({"pyproject.toml": "[tool.migration-audit]\nimport-timeout = -1\n"},
         "import-timeout must be a positive number of seconds, not -1"),
    ],
)
def test_broken_configuration_is_one_line(project: Project, files: dict[str, str | bytes], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for rel, text in files.items():
        target = project.root / rel
        target.write_bytes(text) if isinstance(text, bytes) else target.write_text(text)
    assert main(["check", str(project.root)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith("migration-audit: error: ") and message.format(root=project.root.resolve()) in err


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ("raise RuntimeError('no settings')\n", "RuntimeError: no settings"),
        ("print('hello from models')\nimport sys\nsys.exit(4)\n", "SystemExit(4)"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "the model import ended the process (exit code -9)"),
        ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
        ("import time\ntime.sleep(3600)\n",
         "importing the models did not finish within 3 s (an endless loop, or waiting on a network service?); "
         "if it is only slow, raise --import-timeout (import-timeout in [tool.migration-audit]), or audit without "
         "importing it: --static"),
    ],
)
def test_hostile_models_leave_the_migration_audit_running(project: Project, models: str, message: str,
                                                          capfd: pytest.CaptureFixture[str]) -> None:
    project.revision("a1", None, UUID_REV)
    project.models(models)
    assert main(["check", str(project.root), "--format", "json", "--import-timeout", "3"]) == 1
    out, err = capfd.readouterr()
    report = json.loads(out)
    assert [f["code"] for f in report["findings"]] == ["MA002", "MA102"]
    assert message in report["findings"][0]["message"] and "Traceback" not in err
    assert "hello from models" not in out


def test_missing_module_of_the_projects_own_package_says_so(project: Project,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    """app/ is there and app/models.py is gone: installing dependencies is
    not the fix; naming the module that defines the models is."""
    project.revision("a1", None, UUID_REV)
    project.models("x = 1\n")
    (project.root / "app" / "models.py").unlink()
    assert main(["check", str(project.root), "--format", "json"]) == 1
    report = json.loads(capfd.readouterr().out)
    ma002 = report["findings"][0]
    assert ma002["code"] == "MA002"
    assert "ModuleNotFoundError: No module named 'app.models'" in ma002["message"]
    assert ma002["help"] == (
        f"app is the project's own package ({project.root.resolve() / 'app'}), and it has no app.models: restore "
        "the module, or point target_metadata in env.py (or --metadata, or `metadata` under "
        "[tool.migration-audit]) at the module that defines the models. Meanwhile the migration rules ran")
    # a dependency that is not installed still gets the install hint
    project.models("import notinstalled_pkg\n")
    assert main(["check", str(project.root), "--format", "json"]) == 1
    ma002 = json.loads(capfd.readouterr().out)["findings"][0]
    assert ma002["help"].startswith("install the project's dependencies into the Python that runs migration-audit")


def test_import_timeout_is_one_deadline_for_both_imports(project: Project, capfd: pytest.CaptureFixture[str]) -> None:
    """The two imports of the MA106 probe run side by side: a model import
    that never finishes costs the timeout once, not once per import."""
    import time

    project.models("import time\ntime.sleep(3600)\n")
    start = time.perf_counter()
    assert main(["check", str(project.root), "--import-timeout", "4"]) == 1
    elapsed = time.perf_counter() - start
    assert "did not finish within 4 s" in capfd.readouterr().out
    assert 4 <= elapsed < 7, elapsed


def test_special_files_never_block_the_audit(project: Project, tmp_path: Path) -> None:
    """A pull request can add a FIFO or a link to /dev/zero where a
    migration or the models are read: reading them would block or never
    end. They are not read, and the audit finishes."""
    project.revision("a1", None, UUID_REV)
    os.mkfifo(project.root / "migrations/versions/fifo.py")
    os.symlink("/dev/zero", project.root / "migrations/versions/zero.py")
    project.models("", "app/__init__.py")
    os.symlink("/dev/zero", project.root / "app/models.py")
    for mode in (["--static"], ["--import-timeout", "20"]):
        run = subprocess.run([*_cli(), "check", str(project.root), "--format", "gcc", *mode],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
        assert "migrations/versions/a1.py:18:94: error:" in run.stdout
        assert "1 revision," in run.stderr


def test_invalid_escapes_in_project_files_print_no_warnings(project: Project) -> None:
    """`"\\d"` in a migration or a model: Python's own warning about it is
    not the audit's output."""
    project.revision("a1", None, UUID_REV + "\n" + r"op.execute('SELECT 1 WHERE a ~ ' + '\d+')")
    project.models("import re\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n"
                   + r"PATTERN = re.compile('\d+')" + "\n\n\nclass Base(DeclarativeBase):\n    pass\n")
    run = subprocess.run([*_cli(), "check", str(project.root), "--static"], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONWARNINGS": "always"})
    assert run.returncode == 1, run.stderr
    assert "Warning" not in run.stderr, run.stderr
