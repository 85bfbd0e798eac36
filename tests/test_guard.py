"""The runtime guard: the incident reproduced with it installed, on SQLite,
PostgreSQL and MariaDB; the logged line checked exactly."""

from __future__ import annotations

import importlib.util
import logging
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from migration_audit import guard

from conftest import FIXTURES


def _models(project: str) -> ModuleType:
    """The fixture project's models, under a module name of their own."""
    name = f"ma_guard_{project}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, FIXTURES / project / "app" / "models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the annotations are resolved in the module's namespace
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield sa.engine.make_url(f"sqlite:///{tmp_path / 'guard.db'}")
    else:
        yield request.getfixturevalue("pg_url" if request.param == "postgresql" else "mysql_url")


def _engine(url: sa.URL, models: ModuleType) -> sa.Engine:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    models.Base.metadata.create_all(engine)
    return engine


def _memory(models: ModuleType) -> sa.Engine:
    """An in-memory SQLite database, one for the engine's whole life."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    models.Base.metadata.create_all(engine)
    return engine


def _request(factory: sessionmaker[Session], models: ModuleType, email: str) -> None:
    """One request of the shop: create a user."""
    with factory() as session:
        session.add(models.User(email=email))
        session.commit()


def _guard_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "migration_audit.guard"]


def test_incident_with_the_guard_logs_one_line(url: sa.URL, caplog: pytest.LogCaptureFixture) -> None:
    models = _models("incident")
    frozen = models.User.__table__.c.id.default.arg
    engine = _engine(url, models)
    factory = sessionmaker(engine)
    try:
        guard.install(factory)
        caplog.set_level(logging.ERROR, logger="migration_audit.guard")
        _request(factory, models, "first@example.com")
        with pytest.raises(sa.exc.IntegrityError):  # nothing else changes: the error propagates
            _request(factory, models, "second@example.com")
        with pytest.raises(sa.exc.IntegrityError):
            _request(factory, models, "third@example.com")
        assert _guard_lines(caplog) == [(logging.ERROR, (
            f"migration-audit guard: duplicate key on users.id (primary key): its default is the constant "
            f"'{frozen}', computed once when the model was defined, so every row gets it; fix: give users.id a "
            f"default that makes a new value per row, e.g. default=lambda: str(uuid.uuid4())"))]
    finally:
        guard.uninstall(engine)
        engine.dispose()


def test_the_exception_is_the_same_with_and_without_the_guard(caplog: pytest.LogCaptureFixture) -> None:
    models = _models("incident")
    seen = []
    for installed in (False, True):
        engine = _memory(models)
        if installed:
            guard.install(engine)
        factory = sessionmaker(engine)
        _request(factory, models, "a@example.com")
        with pytest.raises(sa.exc.IntegrityError) as raised:
            _request(factory, models, "b@example.com")
        text = str(raised.value).splitlines()  # [parameters: ...] holds a fresh created_at
        seen.append((type(raised.value), type(raised.value.orig), text[:2], len(text)))
        guard.uninstall(engine)
    assert seen[0] == seen[1]
    assert len(_guard_lines(caplog)) == 1


def test_no_line_for_a_duplicate_the_writer_chose(caplog: pytest.LogCaptureFixture) -> None:
    # users.email is unique and has no default: not the guard's business
    models = _models("incident_fixed")
    engine = _memory(models)
    guard.install(engine)
    factory = sessionmaker(engine)
    for i in range(20):
        _request(factory, models, f"user{i}@example.com")  # the fixed default: a new id per row
    with pytest.raises(sa.exc.IntegrityError):
        _request(factory, models, "user1@example.com")
    assert _guard_lines(caplog) == []
    guard.uninstall(engine)


def test_plain_sql_needs_the_metadata(caplog: pytest.LogCaptureFixture) -> None:
    models = _models("incident")
    frozen = models.User.__table__.c.id.default.arg
    engine = _memory(models)
    insert = sa.text("INSERT INTO users (id, email, status) VALUES (:id, :email, 'active')")

    def raw(email: str) -> None:
        with engine.begin() as conn:
            conn.execute(insert, {"id": frozen, "email": email})

    raw("a@example.com")
    guard.install(engine)
    with pytest.raises(sa.exc.IntegrityError):
        raw("b@example.com")
    assert _guard_lines(caplog) == []  # a text() statement names no Table
    guard.uninstall(engine)
    guard.install(engine, metadata=models.Base.metadata)
    with pytest.raises(sa.exc.IntegrityError):
        raw("c@example.com")
    assert [m for _, m in _guard_lines(caplog)] == [guard.message("users", "id", "primary key", frozen)]
    guard.uninstall(engine)


def test_happy_path_runs_no_guard_code(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(guard.Guard, "diagnose", lambda self, ctx: calls.append(ctx))
    models = _models("incident_fixed")
    engine = _memory(models)
    guard.install(engine)
    factory = sessionmaker(engine)
    for i in range(10):
        _request(factory, models, f"user{i}@example.com")
    assert calls == []
    with pytest.raises(sa.exc.IntegrityError):
        _request(factory, models, "user1@example.com")
    assert len(calls) == 1  # the listener is there, and runs on failure only
    guard.uninstall(engine)


def test_install_is_idempotent_and_takes_sessions_and_connections() -> None:
    engine = sa.create_engine("sqlite://")
    first = guard.install(engine)
    assert guard.install(sessionmaker(bind=engine)) == first
    with Session(engine) as session:
        assert guard.install(session) == first
    with engine.connect() as conn:
        assert guard.install(conn) == first
    guard.uninstall(engine)
    assert not sa.event.contains(engine, "handle_error", first[0]._on_error)


def test_install_rejects_what_has_no_engine() -> None:
    with pytest.raises(TypeError, match=r"^this sessionmaker has no bind yet: install the guard on its engine$"):
        guard.install(sessionmaker())
    with pytest.raises(TypeError, match=r"takes an Engine, AsyncEngine, Connection, Session or sessionmaker, "
                                        r"not str$"):
        guard.install("sqlite://")


def test_a_failing_guard_changes_nothing(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(text: str) -> None:
        raise RuntimeError("guard bug")

    monkeypatch.setattr("migration_audit.dberror.parse", broken)
    models = _models("incident")
    engine = _memory(models)
    guard.install(engine)
    factory = sessionmaker(engine)
    _request(factory, models, "a@example.com")
    with pytest.raises(sa.exc.IntegrityError):  # not the guard's RuntimeError
        _request(factory, models, "b@example.com")
    assert _guard_lines(caplog) == []
    guard.uninstall(engine)
