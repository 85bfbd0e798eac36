"""--static (config ``import-models = false``): the models are read with
``ast`` and no project code runs, not even in a child interpreter; what
cannot be read without running it is reported as MA008 (info)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import ENV_PY, FIXTURES, Project

from migration_audit.cli import main
from migration_audit.config import Overrides
from migration_audit.engine import audit
from migration_audit.sources.model_worker import Request

PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())


def _cli() -> list[str]:
    exe = Path(sys.executable).parent / "migration-audit"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "migration_audit"]


def _hostile(project: Project, marker: Path) -> None:
    """A project whose every module leaves a trace when it runs: the
    package, the models (which then also open a socket and exit), and a
    settings module env.py imports."""
    trace = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    project.write("migrations/env.py", ENV_PY.format(imports="import app.settings\nfrom app.models import Base",
                                                     target="Base.metadata"))
    project.models(trace, "app/__init__.py")
    project.models(trace + "LIMIT = 20\n", "app/settings.py")
    project.models(
        trace
        + "import socket, sys, uuid\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n"
        "from app.settings import LIMIT\n"
        "socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "sys.exit(3)\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        "class User(Base):\n    __tablename__ = 'users'\n"
        "    id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))\n"
        "    name = sa.Column(sa.String(LIMIT), nullable=False, server_default='x')\n"
    )


def test_static_runs_no_project_code(project: Project, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    _hostile(project, marker)
    run = subprocess.run([*_cli(), "check", str(project.root), "--static", "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert not marker.exists(), marker.read_text()
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    report = json.loads(run.stdout)
    assert [(f["code"], f["object"], f["path"], f["line"], f["column"]) for f in report["findings"]] == [
        ("MA101", "users.id", "app/models.py", 16, 61),
    ]
    assert report["summary"]["tables"] == 1
    # The same project, imported: every module ran (so the marker does show
    # code that runs), and the models' sys.exit() is a finding.
    run = subprocess.run([*_cli(), "check", str(project.root), "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    # (the probe's second import starts too, but is stopped once the first one fails)
    assert set(marker.read_text().split()) == {"app", "app.models", "app.settings"}
    assert [f["code"] for f in json.loads(run.stdout)["findings"]] == ["MA002"]


def test_config_import_models_false_is_static(project: Project, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran"
    _hostile(project, marker)
    project.write("pyproject.toml", "[tool.migration-audit]\nimport-models = false\n")

    import migration_audit.engine

    real = migration_audit.engine.ModelImport

    def only_static(request: Request, *args: object, **kwargs: object) -> object:
        # the child reads the models' source; it never imports them
        assert request.static, "the models were imported"
        return real(request, *args, **kwargs)

    monkeypatch.setattr("migration_audit.engine.ModelImport", only_static)
    before = set(sys.modules)
    result = audit(project.root, Overrides(), [], [])
    assert not marker.exists()
    assert not {m for m in set(sys.modules) - before if m == "app" or m.startswith("app.")}
    assert [(f.code, f.object, f.location.line) for f in result.findings] == [("MA101", "users.id", 16)]
    assert result.facts.models.tables["users"].columns["name"].type == "VARCHAR(20)"  # LIMIT, read as source


@pytest.mark.parametrize(("toml", "message"), [
    ("[tool.migration-audit]\nimport-models = 'no'\n", "import-models must be true or false, not 'no'"),
])
def test_import_models_must_be_a_boolean(project: Project, toml: str, message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    project.write("pyproject.toml", toml)
    assert main(["check", str(project.root)]) == 2
    assert message in capsys.readouterr().err


def test_static_and_replay_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURES / "incident"), "--static", "--replay"]) == 2
    assert "--static runs no project code, and --replay runs the migrations" in capsys.readouterr().err


# Fixtures that need the running code for part of what they show; static
# mode says so (MA008/MA005) instead of finding it: see the test below.
NEEDS_THE_IMPORT = {
    "flask_factory": [  # metadata from an app factory; `db.Integer` of a Flask-SQLAlchemy `db` is SQLAlchemy's
        ("MA301", "migrations/versions/8d2e4f6a1b3c_add_redeemed.py", 19), ("MA008", "pyproject.toml", 1),
        ("MA101", "shop/models.py", 11), ("MA201", "shop/models.py", 12), ("MA201", "shop/models.py", 13)],
    "newer_syntax": [  # a models module Python cannot parse: MA002 as when importing, at the construct
        ("MA002", "crm/models.py", 15),
        ("MA001", "migrations/versions/6b7c8d9e0f1a_contact_name.py", 19),
        ("MA301", "migrations/versions/7c8d9e0f1a2b_contact_email.py", 13)],
    "sqlmodel_app": [("MA005", "migrations/env.py", 2)],  # the metadata is SQLModel's own, in an installed package
}


def test_static_says_what_it_cannot_read_on_the_other_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    for name, expected in NEEDS_THE_IMPORT.items():
        main(["check", str(FIXTURES / name), "--static", "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        assert [(f["code"], f["path"], f["line"]) for f in report["findings"]] == expected, name


@pytest.mark.parametrize("name", [p for p in PROJECTS if p not in NEEDS_THE_IMPORT])
def test_static_finds_what_the_import_finds_on_the_fixtures(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Same findings at the same file:line:col; MA106 (the import probe)
    exists only when importing."""
    expected = json.loads((FIXTURES / name / "expected.json").read_text())
    code = main(["check", str(FIXTURES / name), "--static", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    got = [{k: f[k] for k in ("code", "severity", "object", "path", "line", "column")} for f in report["findings"]]
    assert got == [f for f in expected["findings"] if f["code"] != "MA106"]
    assert code == expected["exit_code"]


def test_static_incident_reports_ma101_at_the_runtime_location(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for extra in ([], ["--static"]):
        assert main(["check", str(FIXTURES / "incident"), *extra]) == 1
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert outputs[1].startswith("app/models.py:25:61: MA101 [error] users.id (primary key): default=str(uuid.uuid4())")


MODELS = """\
import os

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from app.factories import make_column
from pydantic import BaseModel, Field
from somewhere_else import ExternalBase


def initial_status():
    return os.environ.get("INITIAL_STATUS", "new")


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = 'items'
    id = sa.Column(sa.Integer, primary_key=True)
    status = sa.Column(sa.String(20), default=initial_status())
    code = sa.Column(sa.String(8), unique=True, default='x')


class Computed(Base):
    __tablename__ = os.environ.get("TABLE", "computed")
    id = sa.Column(sa.Integer, primary_key=True)


class Foreign(ExternalBase):
    __tablename__ = 'foreign'
    id = sa.Column(sa.Integer, primary_key=True)


extra = sa.Table(os.environ.get("T", "t"), Base.metadata, sa.Column("id", sa.Integer, primary_key=True))


class ItemRead(BaseModel):  # near miss: pydantic's Field is no column
    id: int = Field(..., description="the item")
"""


def test_what_cannot_be_read_statically_is_info(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.models("def make_column():\n    raise RuntimeError\n", "app/factories.py")
    project.models(MODELS)
    assert main(["check", str(project.root), "--static", "--select", "MA0,MA101", "--fail-on", "warning"]) == 1
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith("    help:")]
    assert lines == [
        "app/models.py:22:47: MA008 [info] Item.status: default=initial_status() is computed by code that runs "
        "only when the models are imported; rules that need its value skipped it",
        "app/models.py:23:57: MA101 [error] items.code (unique): default='x' is a constant, so every row gets "
        "code = 'x'; the second insert fails with a duplicate key",
        "app/models.py:27:21: MA008 [info] the __tablename__ of Computed is computed when the class is defined, "
        "so its table and columns were not read",
        "app/models.py:31:1: MA008 [info] class Foreign derives from somewhere_else.ExternalBase, which is not "
        "defined in the project's own modules; its table and columns were not read",
        "app/models.py:36:9: MA008 [info] Table(os.environ.get(\"T\", \"t\"), ...) has a name computed when the "
        "module runs, so the table was not read",
    ]
    # info alone never fails the run
    assert main(["check", str(project.root), "--static", "--select", "MA008"]) == 0
    capsys.readouterr()


def test_static_probe_is_off_and_says_so_nowhere_else(project: Project) -> None:
    """MA106 needs two imports: --static cannot report it, and does not pretend to."""
    project.models(
        "import random\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\nclass Item(Base):\n    __tablename__ = 'items'\n"
        "    id = sa.Column(sa.Integer, primary_key=True)\n"
        "    n = sa.Column(sa.Integer, default=random.randint(1, 9))\n")
    static = project.audit(import_models=False, select=["MA1"])
    assert [(f.code, f.location.line) for f in static.findings] == [("MA103", 13)]
    assert static.facts.variances == []


def test_project_modules_never_shadow_the_libraries(project: Project, tmp_path: Path) -> None:
    """`python -m migration_audit` run from the project folder: the folder
    is first on sys.path, so the project's `sqlalchemy.py` would be imported
    in place of SQLAlchemy, in the auditor itself."""
    marker = tmp_path / "ran"
    _hostile(project, marker)
    for name in ("sqlalchemy", "sqlparse", "alembic", "sqlmodel", "tomllib"):
        project.write(f"{name}.py", f"open({str(marker)!r}, 'a').write('{name}\\n')\n")
    run = subprocess.run([sys.executable, "-m", "migration_audit", "check", "--static"], cwd=project.root,
                         capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"})
    assert not marker.exists(), marker.read_text()
    assert run.returncode == 1 and "users.id" in run.stdout, run.stderr


def test_static_reads_sqlalchemy_names_imported_under_another_name(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "incident"
    shutil.copytree(FIXTURES / "incident", root)
    models = root / "app" / "models.py"
    text = models.read_text().replace("import sqlalchemy as sa\n", "import sqlalchemy as sa\nfrom sqlalchemy import Column as C\n", 1)
    text = text.replace("    id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))",
                        "    id = C(sa.String(36), primary_key=True, default=str(uuid.uuid4()))")
    models.write_text(text)
    assert "id = C(" in text
    results = []
    for extra in ([], ["--static"]):
        code = main(["check", str(root), "--format", "json", *extra])
        report = json.loads(capsys.readouterr().out)
        results.append((code, [(f["code"], f["object"], f["line"], f["column"]) for f in report["findings"]]))
    assert results[0] == results[1] == (1, [("MA101", "users.id", 26, 53)])


ALIASED_MODELS = """\
import uuid
from datetime import datetime
from typing import Annotated, Optional

from sqlalchemy import String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DEFAULT_ID = str(uuid.uuid4())

str36_pk = Annotated[str, mapped_column(String(36), primary_key=True, default=DEFAULT_ID)]
created = Annotated[datetime, mapped_column(server_default=func.now())]
status = Annotated[str, mapped_column(String(20), server_default="new")]
str50 = Annotated[str, 50]


class Base(DeclarativeBase):
    type_annotation_map = {str50: String(50)}


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str36_pk]
    created_at: Mapped[created]
    closed_at: Mapped[Optional[created]]
    state: Mapped[status] = mapped_column(server_default="open")
    name: Mapped[str50]
"""

ALIASED_REVISION = """
    op.create_table('accounts',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('closed_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=True),
        sa.Column('state', sa.String(length=20), server_default='open', nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint('id'))
"""


def test_annotated_aliases_with_mapped_column_are_read_where_they_are_written(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """`id: Mapped[str36_pk]` with `str36_pk = Annotated[str, mapped_column(...)]`:
    SQLAlchemy builds the column from the alias's mapped_column (the
    attribute's own arguments win). Both modes read the alias's defaults, and
    put a finding at the alias, where the fix goes; a server default only the
    alias gives is no drift, and the attribute's own one wins over it."""
    project.models(ALIASED_MODELS)
    project.revision("a1", None, ALIASED_REVISION)
    line = project.line_of("app/models.py", "str36_pk = Annotated")
    column = ALIASED_MODELS.splitlines()[line - 1].index("DEFAULT_ID") + 1
    results = []
    for extra in ([], ["--static"]):
        code = main(["check", str(project.root), "--format", "json", "--no-cache", *extra])
        report = json.loads(capsys.readouterr().out)
        results.append((code, [(f["code"], f["object"], f["path"], f["line"], f["column"], f["message"])
                               for f in report["findings"]]))
    assert results[0] == results[1] == (1, [
        ("MA101", "accounts.id", "app/models.py", line, column,
         "accounts.id (primary key): default=DEFAULT_ID calls uuid.uuid4() (through DEFAULT_ID (app/models.py:8)) "
         "once, when the model is defined, so every row gets the same id; the second insert in a process fails "
         "with a duplicate key"),
    ])


def test_an_alias_default_given_again_as_none_or_beside_other_arguments_is_the_alias(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """`mapped_column(server_default=None)` keeps the alias's default (as
    SQLAlchemy does), and the attribute's other arguments do not move the
    finding off the alias, in either mode."""
    project.models("""\
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

stamp = Annotated[datetime, mapped_column(server_default=sa.text("now()"))]


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    a: Mapped[stamp]
    b: Mapped[stamp] = mapped_column(server_default=None)
    c: Mapped[stamp] = mapped_column(unique=True)
""")
    project.revision("a1", None, 'op.create_table("events", sa.Column("id", sa.Integer, primary_key=True))\n')
    line = project.line_of("app/models.py", "stamp = Annotated")
    column = (project.root / "app/models.py").read_text().splitlines()[line - 1].index("sa.text(") + 1
    results = []
    for extra in ([], ["--static"]):
        main(["check", str(project.root), "--format", "json", "--no-cache", "--select", "MA206", *extra])
        report = json.loads(capsys.readouterr().out)
        results.append([(f["code"], f["object"], f["line"], f["column"]) for f in report["findings"]])
    assert results[0] == results[1] == [("MA206", f"events.{c}", line, column) for c in "abc"]


def test_an_alias_from_a_module_imported_by_name_is_read(project: Project,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`from app import coltypes` then `Mapped[coltypes.created]`: the alias
    is read from that module; the finding is where its default is written."""
    project.models("""\
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from sqlalchemy.orm import mapped_column

created = Annotated[datetime, mapped_column(server_default=sa.text("now()"))]
""", "app/coltypes.py")
    project.models("""\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app import coltypes


class Base(DeclarativeBase):
    pass


class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    made: Mapped[coltypes.created]
""")
    project.revision("a1", None, 'op.create_table("events", sa.Column("id", sa.Integer, primary_key=True))\n')
    found = []
    for extra in (["--static"], []):
        main(["check", str(project.root), "--format", "json", "--no-cache", *extra])
        found.append([(f["code"], f["object"], f["path"], f["line"]) for f in json.loads(capsys.readouterr().out)
                      ["findings"]])
    # both modes place it where the alias writes it, in the other file
    assert found[0] == found[1] == [("MA206", "events.made", "app/coltypes.py", 7)]


def test_config_import_models_false_refuses_what_runs_project_code(project: Project, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    _hostile(project, marker)
    project.write("pyproject.toml", "[tool.migration-audit]\nimport-models = false\n")
    expected = (f"migration-audit: error: import-models = false in {project.root / 'pyproject.toml'} promises that "
                "no project code runs, and {what} runs the migrations and imports the models: drop one\n")
    assert main(["check", str(project.root), "--replay"]) == 2
    assert capsys.readouterr().err == expected.format(what="--replay")
    assert main(["probe", str(project.root)]) == 2
    assert capsys.readouterr().err == expected.format(what="the probe")
    assert not marker.exists()


AGREEING_CONSTANTS = """\
import uuid
from datetime import datetime

SYS_ID = str(uuid.uuid4())
STAMP = datetime.now()
"""

AGREEING_MODELS = """\
import sqlalchemy as sa
from sqlalchemy import String as S, func as f, text as t, true as T
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import DeclarativeBase

from .consts import STAMP, SYS_ID


class Base(DeclarativeBase):
    pass


class Extra(Base):
    __tablename__ = "extra"
    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(S(3), server_default="abcdef")
    v = sa.Column(pg.VARCHAR(3), server_default="abcd")
    at = sa.Column(sa.DateTime, server_default=f.now())
    ok = sa.Column(sa.Boolean, server_default=T())
    raw = sa.Column(sa.String(10), server_default=t("'x'"))
    j = sa.Column(sa.JSON().with_variant(pg.JSONB(), "postgresql"), server_default="{oops")
    n = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), server_default="abc")
    sys_id = sa.Column(sa.String(36), default=SYS_ID, unique=True)
    stamp = sa.Column(sa.DateTime, default=STAMP)
    # near misses: right values through the same spellings
    code_ok = sa.Column(S(3), server_default="abc")
    n_ok = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), server_default="12")
"""

AGREEING_REVISION = """
    op.create_table('extra',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(3), server_default='abcdef'),
        sa.Column('v', sa.VARCHAR(3), server_default='abcd'),
        sa.Column('at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)')),
        sa.Column('ok', sa.Boolean(), server_default=sa.text('1')),
        sa.Column('raw', sa.String(10), server_default=sa.text("'x'")),
        sa.Column('j', sa.JSON(), server_default='{oops'),
        sa.Column('n', sa.BigInteger(), server_default='abc'),
        sa.Column('sys_id', sa.String(36)),
        sa.Column('stamp', sa.DateTime()),
        sa.Column('code_ok', sa.String(3), server_default='abc'),
        sa.Column('n_ok', sa.BigInteger(), server_default='12'),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('sys_id'))
"""


def test_static_reads_aliased_names_variants_and_relative_imports_as_the_import_does(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """`from sqlalchemy import String as S`, a module imported as `pg`,
    `.with_variant(...)` and a constant imported relatively (`from .consts
    import SYS_ID`) are SQLAlchemy's own and the project's: the same findings
    at the same places in both modes, and no MA008."""
    project.models(AGREEING_CONSTANTS, "app/consts.py")
    project.models(AGREEING_MODELS)
    project.revision("a1", None, AGREEING_REVISION)
    m = "app/models.py"
    found = []
    for extra in ([], ["--static"]):
        main(["check", str(project.root), "--format", "json", "--no-cache", "--select", "MA0,MA1,MA2", *extra])
        found.append([(f["code"], f["object"], f["path"], f["line"], f["column"], f["message"])
                      for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] != "MA106"])
    codes = [(code, obj, path, line) for code, obj, path, line, _, _ in found[1]]
    assert codes == [
        ("MA205", "extra.code", m, project.line_of(m, "code =")),
        ("MA205", "extra.v", m, project.line_of(m, "v =")),
        ("MA205", "extra.j", m, project.line_of(m, "j =")),
        ("MA205", "extra.n", m, project.line_of(m, "n =")),
        ("MA101", "extra.sys_id", m, project.line_of(m, "sys_id =")),
        ("MA103", "extra.stamp", m, project.line_of(m, "stamp =")),
        ("MA205", "extra.code", "migrations/versions/a1.py", project.line_of("migrations/versions/a1.py", "'code'")),
        ("MA205", "extra.v", "migrations/versions/a1.py", project.line_of("migrations/versions/a1.py", "'v'")),
        ("MA205", "extra.j", "migrations/versions/a1.py", project.line_of("migrations/versions/a1.py", "'j'")),
        ("MA205", "extra.n", "migrations/versions/a1.py", project.line_of("migrations/versions/a1.py", "'n'")),
    ]
    messages = {(code, path): message for code, obj, path, _, _, message in found[1] if obj in (
        "extra.n", "extra.sys_id")}
    assert messages[("MA205", m)].startswith('extra.n: the model\'s server default "abc" does not fit INTEGER on SQLite')
    assert "calls uuid.uuid4() (through SYS_ID (app/consts.py:4))" in messages[("MA101", m)]
    assert found[0] == found[1]


ENUM_AND_ALIAS_MODELS = """\
import enum

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.coltypes import short


class Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"

    def label(self) -> str:
        return self.value.title()


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    nick: Mapped[short] = mapped_column(server_default="abcd")
    color: Mapped[Color] = mapped_column(server_default="purple")
    # near misses: a default that fits the alias's type, a member's name
    nick_ok: Mapped[short] = mapped_column(server_default="abc")
    color_ok: Mapped[Color] = mapped_column(server_default="GREEN")
"""


@pytest.mark.parametrize(("dialect", "nick_type", "color_type"), [
    ("sqlite", "VARCHAR(3)", "VARCHAR(5) on SQLite"), ("mysql", "VARCHAR(3)", "ENUM('RED','GREEN') on MySQL"),
    ("postgresql", "VARCHAR(3)", "color on PostgreSQL")])
def test_static_reads_enum_annotations_and_overrides_of_another_modules_alias(
        project: Project, capsys: pytest.CaptureFixture[str], dialect: str, nick_type: str, color_type: str) -> None:
    """`Mapped[Color]` with `class Color(str, enum.Enum)` is SQLAlchemy's
    Enum(Color); `Mapped[short] = mapped_column(server_default=...)` with
    `short` an Annotated alias of another module takes the alias's type and
    its own default. Both modes read the same types and report the same."""
    project.models('from typing import Annotated\n\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import '
                   'mapped_column\n\nshort = Annotated[str, mapped_column(sa.String(3))]\n', "app/coltypes.py")
    project.models(ENUM_AND_ALIAS_MODELS)
    m = "app/models.py"
    found = []
    for extra in ([], ["--static"]):
        main(["check", str(project.root), "--format", "json", "--no-cache", "--dialect", dialect, "--select",
              "MA0,MA205", *extra])
        found.append([(f["code"], f["object"], f["path"], f["line"], f["column"], f["message"])
                      for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] != "MA020"])
    assert found[0] == found[1]
    assert [(code, obj, path, line) for code, obj, path, line, _, _ in found[1]] == [
        ("MA205", "items.nick", m, project.line_of(m, "nick:")),
        ("MA205", "items.color", m, project.line_of(m, "color:"))]
    assert f"does not fit {nick_type}" in found[1][0][5]
    assert found[1][1][5].endswith(f"does not fit {color_type}: 'purple' is not one of the enum's values "
                                   "('RED', 'GREEN')")


HEADER_STATIC = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

SQL = "1 + 1"


class Base(DeclarativeBase):
    pass
"""

REFUSED_SERVER_DEFAULTS = [
    ("123", "not a number", 'write `server_default="123"`'),
    ("True", "not a bool", "write `server_default=sa.true()`"),
    ('b"x"', "not bytes", 'write a string or SQL (`sa.text("...")`, `sa.func.now()`)'),
    ("sa.func.now", "not a function left uncalled", "call it: `server_default=sa.func.now()`"),
    ("sa.text(42)", "text() takes one string", 'write `server_default=sa.text("...")` with the SQL as one string'),
    ("sa.text()", "text() takes one string", 'write `server_default=sa.text("...")` with the SQL as one string'),
    ('sa.text("now()", "x")', "text() takes one string",
     'write `server_default=sa.text("...")` with the SQL as one string'),
]


@pytest.mark.parametrize(("spelled", "why", "instead"), REFUSED_SERVER_DEFAULTS)
def test_static_reports_server_defaults_sqlalchemy_refuses(project: Project, spelled: str, why: str,
                                                           instead: str) -> None:
    """An import of these models fails (MA002 at the import); --static says
    so at the argument, and reads the rest of the models."""
    with pytest.raises((TypeError, sa.exc.ArgumentError)):
        eval(f"sa.Column(sa.Integer, server_default={spelled})", {"sa": sa})
    project.models(HEADER_STATIC + f"""
class Job(Base):
    __tablename__ = "jobs"
    id = sa.Column(sa.Integer, primary_key=True)
    bad = sa.Column(sa.Integer, server_default={spelled})
    # near misses
    text_ok = sa.Column(sa.Integer, server_default=sa.text("1"))
    computed = sa.Column(sa.Integer, server_default=sa.text(SQL))
    number = sa.Column(sa.Integer, server_default="123")
    other = sa.Column(sa.Integer, server_default=sa.true())
""")
    result = project.audit(select=["MA0"], import_models=False, models_load=False)
    m = "app/models.py"
    line = project.line_of(m, "bad =")
    column = (project.root / m).read_text().splitlines()[line - 1].index(spelled) + 1
    takes = 'it takes a string or SQL (`sa.text("...")`, `sa.func.now()`), ' if why.startswith("not") else ""
    assert [(d.code, d.object, d.location.line, d.location.column, d.message, d.help)
            for d in result.facts.diagnostics if d.code == "MA002"] == [
        ("MA002", "Job.bad", line, column,
         f"Job.bad: server_default={spelled} is refused by SQLAlchemy when the model is defined ({takes}{why}), "
         "so importing the models fails", instead)]
    columns = result.facts.models.tables["jobs"].columns
    assert sorted(columns) == ["bad", "computed", "id", "number", "other", "text_ok"]
    assert columns["bad"].server_default is None
    assert [columns[c].server_default.sql for c in ("text_ok", "computed", "number", "other")] == [
        "1", "1 + 1", "'123'", "1"]


SHADOWED_MODELS = """\
import enum

import sqlalchemy as sa
from sqlalchemy import String as S
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.coltypes import nn

BIG = True


def S(n):  # rebinds the alias: S(3) is this function's column type
    return sa.Integer()


def String(n):
    return sa.Integer()


class MyStr(sa.types.TypeDecorator):
    impl = sa.String
    cache_ok = True


class Color(enum.Enum):
    RED = "red"
    CRIMSON = "red"
    _private = "p"
    GREEN = "g"


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id = sa.Column(sa.Integer, primary_key=True)
    a = sa.Column(S(3), server_default="abcd")
    b = sa.Column(String(3), server_default="abcd")
    c = sa.Column(sa.String(3) if not BIG else sa.String(10), server_default="abcd")
    d = sa.Column(MyStr(3).with_variant(sa.Integer(), "postgresql"), server_default="abcd")
    kept: Mapped[nn] = mapped_column(server_default=None)
    alias = sa.Column(sa.Enum(Color), server_default="CRIMSON")
    private = sa.Column(sa.Enum(Color), server_default="_private")
    named = sa.Column(sa.Enum(Color, name="colz"), server_default="red")
    either = sa.Column(sa.String(3)) if BIG else sa.Column(sa.String(5))
"""


def test_static_never_judges_what_it_cannot_tell(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """A project's own `String` or a rebound alias, a conditional type and a
    method on a project type are no types --static knows: MA008 says MA205
    skips them (judging the text would report VARCHAR(3) where the import
    has an INTEGER or a VARCHAR(10)). `server_default=None` over another
    module's alias keeps the alias's default. An enum's aliases are no
    values of its column, its `_private` member is."""
    project.models("from typing import Annotated\n\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import "
                   "mapped_column\n\nnn = Annotated[str, mapped_column(sa.String(3), server_default='ab')]\n",
                   "app/coltypes.py")
    project.models(SHADOWED_MODELS)
    project.revision("a1", None, """
    op.create_table('items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kept', sa.String(3), server_default='ab', nullable=False),
        sa.PrimaryKeyConstraint('id'))
    """)
    m = "app/models.py"
    result = project.audit(select=["MA0", "MA2"], import_models=False)
    found = [(d.code, d.object, d.location.line, d.message.split(": ", 1)[-1]) for d in result.findings
             if d.code != "MA020"]
    assert found == [
        ("MA008", "Item.a", project.line_of(m, "    a = sa.Column"),
         "the column type S(3) is not SQLAlchemy's own; rules that need the type (MA205) skip it"),
        ("MA008", "Item.b", project.line_of(m, "    b = sa.Column"),
         "the column type String(3) is not SQLAlchemy's own; rules that need the type (MA205) skip it"),
        ("MA008", "Item.c", project.line_of(m, "    c = sa.Column"),
         "the column type sa.String(3) if not BIG else sa.String(10) is not SQLAlchemy's own; rules that need the "
         "type (MA205) skip it"),
        ("MA008", "Item.d", project.line_of(m, "    d = sa.Column"),
         "the column type MyStr(3).with_variant(sa.Integer(), \"postgresql\") is not SQLAlchemy's own; rules that "
         "need the type (MA205) skip it"),
        ("MA205", "items.alias", project.line_of(m, "alias = "),
         "the model's server default \"CRIMSON\" does not fit VARCHAR(8) on SQLite: 'CRIMSON' is not one of the "
         "enum's values ('RED', '_private', 'GREEN')"),
        ("MA205", "items.named", project.line_of(m, "named = "),
         "the model's server default \"red\" does not fit VARCHAR(8) on SQLite: 'red' is not one of the enum's "
         "values ('RED', '_private', 'GREEN')"),
        ("MA008", "Item.either", project.line_of(m, "either = "),
         "Item.either is chosen by `sa.Column(sa.String(3)) if BIG else sa.Column(sa.String(5))`, so the column "
         "was not read"),
    ]
    # what an import reports for the enum columns is the same
    imported = [(f.code, f.object, f.location.line, f.message) for f in project.audit(select=["MA205"]).findings
                if f.object in ("items.alias", "items.private", "items.named")]
    assert imported == [(code, obj, line, f"{obj}: {message}") for code, obj, line, message in found[4:6]]


def test_frozen_defaults_in_another_modules_alias_are_reported_where_written(
        project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """`created_at: Mapped[created_ts]` with `created_ts` an Annotated alias
    imported by name (also relatively, and through its module) from
    app/types.py: an import found the frozen value but not where it is
    written (MA106 and MA204 at the attribute); both modes now say MA103 /
    MA101 at the alias's argument."""
    project.models("""\
import datetime
import uuid
from typing import Annotated

import sqlalchemy as sa
from sqlalchemy.orm import mapped_column

created_ts = Annotated[datetime.datetime, mapped_column(default=datetime.datetime.now())]
uuidpk = Annotated[uuid.UUID, mapped_column(primary_key=True, default=uuid.uuid4())]
money = Annotated[str, mapped_column(sa.Integer, server_default="zero")]
""", "app/types.py")
    project.models("""\
import datetime

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app import types as coltypes
from .types import uuidpk
from app.types import created_ts


class Base(DeclarativeBase):
    pass


class Stamp(Base):
    __tablename__ = "stamps"
    id: Mapped[uuidpk]
    created_at: Mapped[created_ts]
    amount: Mapped[coltypes.money]
    # near miss: a per-row default of the module's own
    seen_at: Mapped[datetime.datetime | None] = mapped_column(default=datetime.datetime.now)
""")
    project.revision("a1", None, 'op.create_table("stamps", sa.Column("id", sa.Uuid, primary_key=True))\n')
    t = "app/types.py"
    found = []
    for extra in ([], ["--static"]):
        main(["check", str(project.root), "--format", "json", "--no-cache", "--select", "MA1,MA204,MA205", *extra])
        found.append([(f["code"], f["object"], f["path"], f["line"], f["column"])
                      for f in json.loads(capsys.readouterr().out)["findings"]])
    line = project.line_of
    text = (project.root / t).read_text().splitlines()
    assert found[0] == found[1] == [
        ("MA103", "stamps.created_at", t, line(t, "created_ts ="), text[line(t, "created_ts =") - 1].index(
            "datetime.datetime.now()") + 1),
        ("MA101", "stamps.id", t, line(t, "uuidpk ="), text[line(t, "uuidpk =") - 1].index("uuid.uuid4()") + 1),
        ("MA205", "stamps.amount", t, line(t, "money ="), text[line(t, "money =") - 1].index('"zero"') + 1),
    ]
