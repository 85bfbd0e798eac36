"""Model modules read into plain values, ahead in a child process or here,
and the imported models located there: the same facts either way."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from conftest import Project

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
    user = found.classes["User"].attributes
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
