"""Model modules read into plain values, ahead in a child process or here,
and the imported models located there: the same facts either way."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from conftest import ENV_PY, Project

from migration_audit.facts import Location
from migration_audit.sources.model_source import (
    CLIENT,
    SERVER,
    ReadAhead,
    SourceCatalog,
    locate_schema,
    read_sources,
)
from migration_audit.sources.models import runtime_models
from migration_audit.sources.provenance import ModuleIndex

MODELS = """\
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TOKEN = uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class Stamped:
    created = sa.Column(sa.DateTime, server_default=sa.func.now())


class User(Stamped, Base):
    __tablename__ = "users"
    id = sa.Column(sa.String(32), primary_key=True, default=TOKEN)
    legacy: Mapped[str] = mapped_column("legacy_col", sa.String(10), server_default="x")
    seen = sa.Column(sa.DateTime, default=datetime.now())


events = sa.Table(
    "events", Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(10), server_default=sa.text("'a'")),
)
"""


def _import(project: Project) -> list[object]:
    sys.path.insert(0, str(project.root))
    try:
        for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
            del sys.modules[name]
        import app.models  # type: ignore[import-not-found]

        return [app.models.Base.metadata]
    finally:
        sys.path.remove(str(project.root))


def _facts(schema: object) -> list[tuple[object, ...]]:
    out = []
    for table in schema.tables.values():  # type: ignore[attr-defined]
        for col in table.columns.values():
            out.append((table.key, col.name, col.location, col.attribute, col.default, col.server_default))
    return out


def test_file_sources_hold_each_attribute_and_its_keywords(project: Project) -> None:
    path = project.models(MODELS)
    found = read_sources(path, ModuleIndex([project.root]))
    assert found is not None
    assert sorted(found.classes) == ["Base", "Stamped", "User"]
    [user_class] = found.classes["User"]
    user = user_class.attributes
    assert user["id"].location == Location(path, 20, 10)
    assert user["id"].keyword(*CLIENT) == (Location(path, 20, 61), "TOKEN")
    # TOKEN = uuid.uuid4().hex: one value for every row, computed at import
    assert user["id"].provenance(*CLIENT).kind == "per-row"
    assert user["legacy"].keyword(*SERVER) == (Location(path, 21, 85), '"x"')
    assert user["seen"].provenance(*CLIENT).origin == "datetime.now()"
    # Core: the Table() call and its columns
    [events] = found.tables["events"]
    assert events.location == Location(path, 25, 10)
    assert events.columns["kind"].keyword(*SERVER) == (Location(path, 28, 53), "sa.text(\"'a'\")")


def test_core_tables_are_found_under_an_alias_and_not_looked_for_without_the_name(project: Project) -> None:
    """Core Table() calls are looked for only in a module whose text names
    Table, which every way of calling it does (imported as T too)."""
    path = project.models(MODELS.replace("import sqlalchemy as sa\n", "import sqlalchemy as sa\nfrom sqlalchemy "
                                         "import Table as T\n").replace("events = sa.Table(", "events = T("))
    found = read_sources(path, ModuleIndex([project.root]))
    assert found is not None and list(found.tables) == ["events"]
    assert found.tables["events"][0].columns["kind"].keyword(*SERVER)[1] == "sa.text(\"'a'\")"
    path = project.models(MODELS[:MODELS.index("events = sa.Table(")])
    found = read_sources(path, ModuleIndex([project.root]))
    assert found is not None and found.tables == {} and sorted(found.classes) == ["Base", "Stamped", "User"]


def test_read_ahead_in_a_child_gives_what_this_process_reads(project: Project) -> None:
    path = project.models(MODELS)
    ahead = ReadAhead([path], [project.root])
    [child] = ahead.result()
    assert child == read_sources(path, ModuleIndex([project.root]))


def test_the_models_located_from_sources_read_ahead_are_the_same(project: Project) -> None:
    path = project.models(MODELS)
    metadata = _import(project)
    fallback = Location(project.root / "alembic.ini", 1, 1)
    here = locate_schema(runtime_models(metadata, "sqlite", [project.root]), SourceCatalog([project.root]), fallback)
    catalog = SourceCatalog([project.root])
    catalog.add(ReadAhead([path], [project.root]).result())
    ahead = locate_schema(runtime_models(metadata, "sqlite", [project.root]), catalog, fallback)
    assert _facts(ahead) == _facts(here)
    # and they are located: the mixin's column at the mixin, the attribute's name kept
    by_name = {(t, c): (loc, attr) for t, c, loc, attr, _, _ in _facts(here)}
    assert by_name[("users", "created")] == (Location(path, 15, 15), None)
    assert by_name[("users", "legacy_col")] == (Location(path, 21, 27), "legacy")
    assert by_name[("events", "kind")][0] == Location(path, 28, 5)
    frozen = {(t, c): d.frozen_origin for t, c, _, _, d, _ in _facts(here) if d is not None}
    assert frozen == {("users", "id"): "uuid.uuid4()", ("users", "seen"): "datetime.now()"}


def test_a_read_ahead_that_fails_gives_nothing_and_the_catalog_reads_itself(project: Project, tmp_path: Path) -> None:
    path = project.models(MODELS)
    assert ReadAhead([tmp_path / "missing.py"], [project.root]).result() == []
    broken = ReadAhead([path], [project.root])
    assert broken._proc is not None
    broken._proc.kill()  # as if it crashed
    assert broken.result() == []
    catalog = SourceCatalog([project.root])
    catalog.add([])
    assert catalog.file(path) is not None and "User" in catalog.file(path).classes  # type: ignore[union-attr]


def test_a_cancelled_read_ahead_leaves_no_process(project: Project) -> None:
    ahead = ReadAhead([project.models(MODELS)], [project.root])
    proc = ahead._proc
    ahead.cancel()
    assert proc is not None and proc.poll() is not None
    assert ahead.result() == []


def _alembic_command(monkeypatch: pytest.MonkeyPatch, project: Project, *argv: str) -> None:
    """alembic.context as env.py sees it, for the command ``argv``."""
    from alembic.config import CommandLine, Config

    options = CommandLine().parser.parse_args(list(argv))
    config = Config(file_=str(project.root / "alembic.ini"), cmd_opts=options)
    monkeypatch.setitem(sys.modules, "alembic.context", types.SimpleNamespace(config=config))
    import alembic

    monkeypatch.setattr(alembic, "context", sys.modules["alembic.context"], raising=False)


@pytest.mark.parametrize(("argv", "reads"), [
    (("revision", "--autogenerate", "-m", "x"), True),
    (("check",), True),
    (("revision", "-m", "x"), False),  # no models to judge
    (("upgrade", "head"), False),
    (("-x", "migration_audit=skip", "revision", "--autogenerate", "-m", "x"), False),
])
def test_the_hook_reads_the_models_ahead_under_autogenerate_only(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                                 argv: tuple[str, ...], reads: bool) -> None:
    from migration_audit import hooks

    path = project.models(MODELS)
    _alembic_command(monkeypatch, project, *argv)
    ahead = hooks._start_read_ahead()
    try:
        assert (ahead is not None) is reads
        if ahead is not None:
            assert [f.path for f in ahead.result()] == [path.resolve()]
    finally:
        if ahead is not None:
            ahead.cancel()


def test_outside_alembic_the_hook_module_starts_nothing() -> None:
    code = ("import sys; import migration_audit.hooks as h; "
            "assert h._ahead is None; assert 'alembic' not in sys.modules, 'imported Alembic'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return any(line.startswith("State:") and "Z" in line for line in fh)  # a zombie nobody reaps yet
    except OSError:
        return True


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="watches processes through /proc (Linux)")
def test_a_parent_ended_by_sigterm_leaves_no_read_ahead_behind(project: Project, tmp_path: Path) -> None:
    """SIGTERM to `alembic` ends it without cleanup: the child notices its
    parent is gone, removes its folder and exits."""
    import signal
    import time

    path = project.models(MODELS)
    code = (
        "import time\nfrom pathlib import Path\nfrom migration_audit.sources.model_source import ReadAhead\n"
        f"a = ReadAhead([Path({str(path)!r})], [Path({str(project.root)!r})])\n"
        "print(a._proc.pid, a._tmp.name, a._out, flush=True)\ntime.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pid, folder, out = parent.stdout.readline().split()
    deadline = time.monotonic() + 30
    while not Path(out).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert Path(out).exists()  # the child has read the models, and waits to be asked
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=30) == -signal.SIGTERM
    deadline = time.monotonic() + 10
    while not (_gone(int(pid)) and not Path(folder).exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(int(pid)) and not Path(folder).exists()


REDEFINED = """\
import sys
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


if sys.version_info >= (3, 99):
    class User(Base):
        __tablename__ = "users"
        id = sa.Column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
else:
    class User(Base):
        __tablename__ = "users"
        id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))


class Token:
    pass


class Token(Base):  # noqa: F811 - the later definition is the one imported
    __tablename__ = "tokens"
    id = sa.Column(sa.Integer, primary_key=True)
    code = sa.Column(sa.String(8), unique=True, default="fixed")
"""


@pytest.mark.parametrize("import_models", [True, False], ids=["imported", "static"])
def test_a_class_defined_twice_is_located_at_the_definition_that_ran(project: Project, import_models: bool) -> None:
    project.models(REDEFINED)
    assert project.findings(select=["MA101"], import_models=import_models) == [
        ("MA101", "users.id", "app/models.py", 19),
        ("MA101", "tokens.code", "app/models.py", 29),
    ]


SQLMODEL = """\
import uuid
from typing import Optional

from sqlmodel import Field, SQLModel


class Hero(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    a: Optional[str] = Field(default=None, sa_column_kwargs={"unique": True, "default": uuid.uuid4().hex})
"""


@pytest.mark.parametrize("import_models", [True, False], ids=["imported", "static"])
def test_sqlmodel_column_kwargs_win_over_the_field_default(project: Project, import_models: bool) -> None:
    """SQLModel applies sa_column_kwargs after the Field's own default: the
    Column's default is uuid.uuid4().hex, computed once."""
    if import_models:
        pytest.importorskip("sqlmodel")  # a test extra; the oldest-dependencies CI run lacks it
    project.models(SQLMODEL)
    project.write("migrations/env.py", ENV_PY.format(imports="from app.models import Hero", target="Hero.metadata"))
    result = project.audit(select=["MA101"], import_models=import_models)
    found = [(f.code, f.object, f.location.line, f.location.column) for f in result.findings]
    assert found == [("MA101", "hero.a", 9, 89)]
    assert "uuid.uuid4().hex" in result.findings[0].message


@pytest.mark.parametrize("import_models", [True, False], ids=["imported", "static"])
@pytest.mark.parametrize("line", [1, 3])
def test_a_stray_latin1_byte_in_a_comment_reads_as_python_imports_it(project: Project, import_models: bool,
                                                                     line: int) -> None:
    """No coding line and a Latin-1 byte in a comment: Python compiles a
    module from its bytes and imports it; the reader reads it too."""
    lines = REDEFINED.encode().split(b"\n")
    lines.insert(line - 1, b"# caf\xe9")
    path = project.models("")
    path.write_bytes(b"\n".join(lines))
    assert project.findings(select=["MA101"], import_models=import_models) == [
        ("MA101", "users.id", "app/models.py", 20),
        ("MA101", "tokens.code", "app/models.py", 30),
    ]


def test_a_latin1_byte_in_a_string_is_still_a_located_error(project: Project) -> None:
    path = project.models("")
    path.write_bytes(REDEFINED.encode().replace(b'"tokens"', b'"tok\xe9ns"'))
    result = project.audit(import_models=False, models_load=False)
    [problem] = [d for d in result.facts.diagnostics if d.code == "MA002"]
    assert problem.location.path == path and problem.location.line == 27
    assert "not valid utf-8: byte 0xe9" in problem.message


def test_a_class_mapping_a_module_level_table_is_read_through_that_table(project: Project) -> None:
    project.models(
        "import sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        "legacy_table = sa.Table('legacy', Base.metadata,\n"
        "                        sa.Column('id', sa.Integer, primary_key=True),\n"
        "                        sa.Column('code', sa.String(8), unique=True, default='fixed'))\n\n\n"
        "class Legacy(Base):\n    __table__ = legacy_table\n")
    for import_models in (True, False):
        result = project.audit(import_models=import_models)
        assert [(f.code, f.object, f.location.line) for f in result.findings] == [("MA101", "legacy.code", 11)]
        assert [d for d in result.facts.diagnostics if d.code == "MA008"] == []


def test_a_read_ahead_whose_parent_is_gone_before_it_starts_removes_its_folder(project: Project,
                                                                               tmp_path: Path) -> None:
    """SIGTERM right after the child was started: it runs with a parent
    already gone (its input ends at once), and cleans up."""
    import pickle

    folder = tmp_path / "migration-audit-x"
    folder.mkdir()
    request = folder / "request.pickle"
    request.write_bytes(pickle.dumps(([project.models(MODELS)], [project.root])))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    run = subprocess.run([sys.executable, "-P", "-m", "migration_audit.sources.model_source", str(request),
                          str(folder / "sources.pickle"), gone.stdout.strip()],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert not folder.exists()


@pytest.mark.parametrize("import_models", [True, False], ids=["imported", "static"])
def test_sqlmodel_column_kwargs_win_over_a_default_factory(project: Project, import_models: bool) -> None:
    if import_models:
        pytest.importorskip("sqlmodel")  # a test extra; the oldest-dependencies CI run lacks it
    project.models(
        "import uuid\n\nfrom sqlmodel import Field, SQLModel\n\n\n"
        "class Two(SQLModel, table=True):\n"
        "    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True,\n"
        "                    sa_column_kwargs={'default': str(uuid.uuid4())})\n")
    project.write("migrations/env.py", ENV_PY.format(imports="from app.models import Two", target="Two.metadata"))
    result = project.audit(select=["MA101"], import_models=import_models)
    assert [(f.code, f.object, f.location.line, f.location.column) for f in result.findings] == [
        ("MA101", "two.id", 8, 50)]


BRANCHES = """\
import os
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


if os.environ.get("FLAVOUR") == "a":
    class A(Base):
        __tablename__ = "a"
        id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))

        def __repr__(self) -> str:
            return f"A({self.id})"
else:
    class A(Base):
        __tablename__ = "a"
        id = sa.Column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))

        def __repr__(self) -> str:
            return f"A({self.id})"
"""


@pytest.mark.parametrize(("flavour", "found"), [("a", [("MA101", "a.id", "app/models.py", 15)]), ("b", [])])
def test_of_two_branches_the_class_that_ran_is_located(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                       flavour: str, found: list[tuple[str, str, str, int]]) -> None:
    """The import tells which definition ran when the class has a function
    of its own (Python 3.13 tells it of every class)."""
    monkeypatch.setenv("FLAVOUR", flavour)
    project.models(BRANCHES)
    assert project.findings(select=["MA101"]) == found
