"""Zero-config discovery on projects made by the real `alembic init`, and the overrides."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Project

from migration_audit.config import Overrides, UsageError, load_project
from migration_audit.cli import main

MODELS = '''\
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Widget(Base):
    __tablename__ = "widgets"
    id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))
'''


def _bin(name: str) -> str:
    exe = Path(sys.executable).parent / name
    return str(exe) if exe.exists() else name


def _alembic_init(root: Path, template: str, folder: str) -> None:
    root.mkdir(parents=True)
    run = subprocess.run([_bin("alembic"), "init", "--template", template, folder], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    (root / "shop").mkdir()
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(MODELS)
    env = root / folder / "env.py"
    text = env.read_text()
    assert "target_metadata = None" in text
    env.write_text(text.replace("target_metadata = None", "from shop.models import Base\ntarget_metadata = Base.metadata"))


@pytest.mark.parametrize(("template", "folder"), [("generic", "migrations"), ("pyproject", "alembic")])
def test_alembic_init_project_zero_config(tmp_path: Path, template: str, folder: str) -> None:
    import alembic

    if template == "pyproject" and tuple(int(x) for x in alembic.__version__.split(".")[:2]) < (1, 16):
        pytest.skip(f"the pyproject template arrived in Alembic 1.16; this is {alembic.__version__}")
    root = tmp_path / "proj"
    _alembic_init(root, template, folder)
    run = subprocess.run([_bin("migration-audit"), "check", "--format", "json"], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert [(f["code"], f["object"], f["path"], f["line"], f["column"]) for f in report["findings"]] == [
        ("MA101", "widgets.id", "shop/models.py", 13, 61)
    ]
    project = load_project(root, Overrides())
    assert project.script_location == root / folder
    assert project.metadata == ["shop.models:Base.metadata"]


@pytest.mark.parametrize(
    ("env_lines", "spec"),
    [
        ("from app.models import Base\ntarget_metadata = Base.metadata", ["app.models:Base.metadata"]),
        ("import app.models as m\ntarget_metadata = m.Base.metadata", ["app.models:Base.metadata"]),
        ("import app.models\ntarget_metadata = app.models.Base.metadata", ["app:models.Base.metadata"]),
        ("from app import models\ntarget_metadata = models.Base.metadata", ["app:models.Base.metadata"]),
        ("from app.models import Base as B\ntarget_metadata: object = B.metadata", ["app.models:Base.metadata"]),
        ("from app.models import metadata\ntarget_metadata = metadata", ["app.models:metadata"]),
        ("from app.models import Base\nfrom app.other import meta\ntarget_metadata = [Base.metadata, meta]",
         ["app.models:Base.metadata", "app.other:meta"]),
    ],
)
def test_env_py_metadata_spellings(project: Project, env_lines: str, spec: list[str]) -> None:
    project.write("migrations/env.py", f"from alembic import context\n{env_lines}\n")
    assert load_project(project.root, Overrides()).metadata == spec


@pytest.mark.parametrize(
    ("env_lines", "message"),
    [
        ("target_metadata = None", "env.py sets target_metadata = None"),
        ("target_metadata = get_app().db.metadata",
         "env.py sets target_metadata = get_app().db.metadata, which cannot be resolved without running env.py"),
        ("x = 1", "env.py does not assign target_metadata"),
    ],
)
def test_env_py_metadata_unresolvable(project: Project, env_lines: str, message: str) -> None:
    project.write("migrations/env.py", f"from alembic import context\n{env_lines}\n")
    p = load_project(project.root, Overrides())
    assert p.metadata == []
    [d] = p.diagnostics
    assert d.code == "MA005" and d.message.startswith(message)
    assert "[tool.migration-audit]" in d.help and "--metadata" in d.help


def test_every_metadata_form_loads(project: Project) -> None:
    project.models(MODELS)
    for spec in ["app.models:Base.metadata", "app.models:Base", "app:models.Base.metadata"]:
        result = project.audit(metadata=[spec], select=["MA101"])
        assert [f.object for f in result.findings] == ["widgets.id"], spec


def test_metadata_naming_nothing_is_a_finding(project: Project) -> None:
    project.models(MODELS)
    result = project.audit(metadata=["app.models:Nope.metadata"], models_load=False)
    [d] = [d for d in result.facts.diagnostics if d.code == "MA002"]
    assert d.message == (
        "cannot load model metadata app.models:Nope.metadata: AttributeError: "
        "app.models:Nope.metadata: module app.models has no attribute 'Nope'"
    )
    result = project.audit(metadata=["app.models:uuid"], models_load=False)
    [d] = [d for d in result.facts.diagnostics if d.code == "MA002"]
    assert d.message.endswith("TypeError: app.models:uuid is a module, not a MetaData, a declarative base, "
                              "a Flask-SQLAlchemy db or a Flask app that has one")


def test_tool_config_overrides(project: Project) -> None:
    project.models(MODELS)
    project.write(
        "pyproject.toml",
        '[tool.migration-audit]\nmetadata = "app.models:Base"\ndialect = "postgresql"\nignore = ["MA2"]\n',
    )
    project.write("migrations/env.py", "target_metadata = None\n")
    p = load_project(project.root, Overrides())
    assert (p.metadata, p.dialect, p.ignore, p.diagnostics) == (["app.models:Base"], "postgresql", ["MA2"], [])
    assert [f.code for f in project.audit().findings] == ["MA101"]
    # the command line beats the file
    assert load_project(project.root, Overrides(dialect="mysql")).dialect == "mysql"


def test_unknown_config_key_is_an_error(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("pyproject.toml", '[tool.migration-audit]\nmetadta = "app.models:Base"\n')
    assert main(["check", str(project.root)]) == 2
    assert "unknown key(s) in [tool.migration-audit]: 'metadta' (did you mean 'metadata'?)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("alembic.ini", "[alembic\nscript_location = x\n", "alembic.ini: cannot read:"),
        ("alembic.ini", "[alembic]\nscript_location = %(nope)s/migrations\n", "[alembic] script_location:"),
        ("pyproject.toml", "[tool.migration-audit\n", "pyproject.toml: invalid TOML:"),
    ],
)
def test_malformed_config_files(project: Project, file: str, text: str, message: str) -> None:
    project.write(file, text)
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_project(project.root, Overrides())


def test_dialect_from_url(project: Project) -> None:
    assert load_project(project.root, Overrides()).dialect == "sqlite"
    project.write("alembic.ini", "[alembic]\nscript_location = migrations\nsqlalchemy.url = postgresql+psycopg://u@h/db\n")
    assert load_project(project.root, Overrides()).dialect == "postgresql"
    project.write("alembic.ini", "[alembic]\nscript_location = migrations\nsqlalchemy.url = driver://user:pass@localhost/dbname\n")
    assert load_project(project.root, Overrides()).dialect == "default"


def test_version_locations_and_alembic_ini_path(project: Project) -> None:
    project.write("alembic.ini", "[alembic]\nscript_location = migrations\npath_separator = os\n"
                  "version_locations = %(here)s/migrations/versions:%(here)s/more\n")
    project.revision("a1", None, "pass")
    project.write("more/b2.py", "revision = 'b2'\ndown_revision = 'a1'\n")
    result = project.audit(metadata=["app.models:Base"], models_load=False)
    assert sorted(result.facts.migrations.revisions) == ["a1", "b2"]
    # the path may be the ini file itself
    assert load_project(project.root / "alembic.ini", Overrides()).root == project.root.resolve()


def test_unknown_dialect_is_a_usage_error(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(project.root), "--dialect", "postgres"]) == 2
    assert "unknown dialect 'postgres'; use a SQLAlchemy dialect name" in capsys.readouterr().err
    assert load_project(project.root, Overrides(dialect="postgresql+psycopg")).dialect == "postgresql"
