"""A runtime guard: name the constant default behind a duplicate key.

    from migration_audit import guard
    guard.install(engine)            # or a sessionmaker, a Session, an AsyncEngine

On the first primary-key or unique violation on a column whose default is a
constant (``default=str(uuid.uuid4())`` evaluated once, when the model was
defined), it logs one ERROR line on the ``migration_audit.guard`` logger,
naming the column, the constant and the fix. Nothing else changes: the
exception propagates as before, and each column is reported once per guard.

It listens to SQLAlchemy's ``handle_error`` engine event, which runs only
when a statement has already failed: a statement that succeeds runs no code
of the guard (see benchmarks/guard_overhead.py).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
import weakref
from datetime import date, datetime
from typing import Any

logger = logging.getLogger("migration_audit.guard")

_UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_GUARDS: weakref.WeakKeyDictionary[Any, Guard] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _engines(target: Any) -> list[Any]:
    """The engines behind an Engine, AsyncEngine, Connection, Session,
    sessionmaker or scoped_session."""
    import sqlalchemy as sa
    from sqlalchemy import orm

    if isinstance(target, sa.engine.Engine):
        return [target]
    sync = getattr(target, "sync_engine", None)  # AsyncEngine, AsyncConnection
    if isinstance(sync, sa.engine.Engine):
        return [sync]
    if isinstance(target, sa.engine.Connection):
        return [target.engine]
    if isinstance(target, orm.scoped_session):
        return _engines(target.session_factory)
    binds: list[Any] = []
    if isinstance(target, orm.Session):
        binds = [target.bind, *getattr(target, "_Session__binds", {}).values()]
    elif isinstance(target, orm.sessionmaker) or type(target).__name__ == "async_sessionmaker":
        binds = [target.kw.get("bind"), *(target.kw.get("binds") or {}).values()]
    else:
        raise TypeError(f"migration_audit.guard.install() takes an Engine, AsyncEngine, Connection, Session or "
                        f"sessionmaker, not {type(target).__name__}")
    engines: list[Any] = []
    for bind in binds:
        if bind is None:
            continue
        for engine in _engines(bind):
            if engine not in engines:
                engines.append(engine)
    if not engines:
        raise TypeError(f"this {type(target).__name__} has no bind yet: install the guard on its engine")
    return engines


def install(target: Any, metadata: Any = None) -> list[Guard]:
    """Guard the engine(s) behind ``target``; returns a Guard per engine
    (installing twice on one engine returns the first). ``metadata``, a
    MetaData, lets the guard read the tables of plain-SQL statements too;
    without it, it reads the table from the ORM or Core statement itself."""
    guards = []
    with _LOCK:
        for engine in _engines(target):
            guard = _GUARDS.get(engine)
            if guard is None:
                guard = _GUARDS[engine] = Guard(engine, metadata)
            elif metadata is not None and guard.metadata is None:
                guard.metadata = metadata
            guards.append(guard)
    return guards


def uninstall(target: Any) -> None:
    with _LOCK:
        for engine in _engines(target):
            guard = _GUARDS.pop(engine, None)
            if guard is not None:
                guard.remove()


class Guard:
    """The ``handle_error`` listener on one engine."""

    def __init__(self, engine: Any, metadata: Any = None) -> None:
        from sqlalchemy import event

        self._engine = weakref.ref(engine)  # the registry holds guards weakly by engine: no cycle back
        self.metadata = metadata
        self.reported: set[tuple[str, str]] = set()
        event.listen(engine, "handle_error", self._on_error)

    def remove(self) -> None:
        from sqlalchemy import event

        engine = self._engine()
        if engine is not None and event.contains(engine, "handle_error", self._on_error):
            event.remove(engine, "handle_error", self._on_error)

    def _on_error(self, context: Any) -> None:
        try:
            line = self.diagnose(context)
        except Exception:  # noqa: BLE001 - the guard must never change what the application sees
            return
        if line is not None:
            logger.error(line)

    def diagnose(self, context: Any) -> str | None:
        """The line to log for this failure, once per column; None when the
        failure is no duplicate key on a column with a constant default."""
        import sqlalchemy as sa

        from migration_audit import dberror

        if not isinstance(context.sqlalchemy_exception, sa.exc.IntegrityError):
            return None
        error = dberror.parse(str(context.sqlalchemy_exception))
        if error is None or error.kind != dberror.UNIQUE:
            return None
        table = self._table(context, error)
        if table is None:
            return None
        from migration_audit.explain_error import key_columns

        for name in key_columns(error, table_fact(table)):
            column = table.c.get(name)
            default = getattr(column, "default", None)
            if column is None or default is None or not getattr(default, "is_scalar", False):
                continue
            key = (table.fullname, column.name)
            with _LOCK:
                if key in self.reported:
                    return None
                self.reported.add(key)
            return message(table.fullname, column.name, _reason(table, column.name), default.arg)
        return None

    def _table(self, context: Any, error: Any) -> Any:
        import sqlalchemy as sa

        compiled = getattr(context.execution_context, "compiled", None)
        statement = getattr(compiled, "statement", None)
        table = getattr(statement, "table", None)
        if isinstance(table, sa.Table):
            return table
        if self.metadata is not None and error.table:
            name = f"{error.schema}.{error.table}" if error.schema else error.table
            found = self.metadata.tables.get(name)
            return found if found is not None else self.metadata.tables.get(error.table)
        return None


def table_fact(table: Any) -> Any:
    """The facts :func:`key_columns` reads, from a Table."""
    import sqlalchemy as sa

    from migration_audit.facts import ColumnFact, TableFact, UniqueFact

    uniques = [UniqueFact(c.name if isinstance(c.name, str) else None, tuple(col.name for col in c.columns))
               for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    uniques += [UniqueFact(i.name if isinstance(i.name, str) else None, tuple(col.name for col in i.columns), "index")
                for i in table.indexes if i.unique]
    return TableFact(table.name, table.schema,
                     {c.name: ColumnFact(c.name, primary_key=c.primary_key, unique=bool(c.unique)) for c in table.c},
                     tuple(c.name for c in table.primary_key.columns), uniques)


def _reason(table: Any, column: str) -> str:
    return table_fact(table).key_reason(column) or "part of a unique key"


def _fix(value: object) -> str:
    if isinstance(value, uuid.UUID):
        return "default=uuid.uuid4 (the function, not its result)"
    if isinstance(value, str) and _UUID_TEXT.match(value):
        return "default=lambda: str(uuid.uuid4())"
    if isinstance(value, datetime):
        return "default=datetime.now (the function, not its result)"
    if isinstance(value, date):
        return "default=date.today (the function, not its result)"
    return "a callable that returns a new value per call, a sequence or identity, or no default"


def message(table: str, column: str, reason: str, value: object) -> str:
    """The one line the guard logs."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:76] + "...'"
    return (f"migration-audit guard: duplicate key on {table}.{column} ({reason}): its default is the constant "
            f"{shown}, computed once when the model was defined, so every row gets it; fix: give {table}.{column} "
            f"a default that makes a new value per row, e.g. {_fix(value)}")
