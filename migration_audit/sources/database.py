"""A live database → facts, strictly read-only.

``--database-url`` points at a database the user already has, often
production. migration-audit only ever reads it: every statement runs inside
a transaction made read-only where the dialect can (PostgreSQL ``SET
TRANSACTION READ ONLY``, MySQL/MariaDB ``SET SESSION TRANSACTION READ ONLY``,
SQLite ``PRAGMA query_only``), which is rolled back at the end; a SQLite
file that does not exist is not created. Reflection goes through the
SQLAlchemy inspector, so a role with only CONNECT and SELECT suffices. The
password never appears in a message.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from migration_audit.config import UsageError
from migration_audit.facts import ColumnFact, DefaultKind, DefaultValue, LiveDatabase, TableFact


def _parse(url: str) -> tuple[Any, str]:
    """(the parsed URL, the URL as shown: password hidden)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001 - sqlalchemy raises ArgumentError and ValueError here
        raise UsageError(f"--database-url: {exc}") from None
    return parsed, parsed.render_as_string(hide_password=True)


def _message(exc: BaseException, parsed: Any) -> str:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if parsed.password:
        message = message.replace(str(parsed.password), "***")
    return message


@contextmanager
def read_only(url: str, what: str) -> Iterator[tuple[Any, str]]:
    """A connection inside a read-only transaction that is rolled back, and
    the URL as it may be shown. Any failure is a UsageError naming ``what``
    was being read, with the password hidden."""
    import sqlalchemy as sa

    parsed, shown = _parse(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not parsed.database.startswith("file:") and not Path(parsed.database).is_file():
            raise UsageError(f"{shown}: no such database file (it is not created: migration-audit only reads)")
    try:
        engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    except Exception as exc:  # noqa: BLE001 - a missing driver, a bad option
        raise UsageError(f"cannot use {shown}: {type(exc).__name__}: {_message(exc, parsed)}") from None
    try:
        with engine.connect() as conn:
            name = conn.dialect.name
            if name in ("mysql", "mariadb"):
                conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")  # for the next transaction
                conn.rollback()
            trans = conn.begin()
            try:
                if name == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                elif name == "sqlite":
                    conn.exec_driver_sql("PRAGMA query_only = ON")
                yield conn, shown
            finally:
                trans.rollback()
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - any driver error: one clear line, never the password
        raise UsageError(f"cannot read {what} from {shown}: {_message(exc, parsed)}") from None
    finally:
        engine.dispose()


def version_heads(conn: Any, version_table: str) -> tuple[str, ...] | None:
    """The revisions in the version table; None when there is no such table."""
    import sqlalchemy as sa

    if not sa.inspect(conn).has_table(version_table):
        return None
    rows = conn.execute(sa.text(f"SELECT version_num FROM {version_table}")).scalars().all()
    return tuple(sorted(str(r) for r in rows))


def shown_url(url: str) -> str:
    """The URL as messages show it: the password hidden."""
    return _parse(url)[1]


def applied_heads(url: str, version_table: str = "alembic_version") -> tuple[str, ...]:
    """The revisions recorded in the database's version table (empty when it
    has none). Raises UsageError, with the password hidden, when it cannot
    connect."""
    with read_only(url, "the applied revisions") as (conn, shown):
        heads = version_heads(conn, version_table)
        if heads is None:
            print(f"migration-audit: {shown} has no table {version_table}: every revision counts as "
                  "pending (--version-table names another one)", file=sys.stderr)
            return ()
        return heads


def _dialect_name(conn: Any) -> str:
    return "mariadb" if getattr(conn.dialect, "is_mariadb", False) else str(conn.dialect.name)


def reflect(url: str, wanted: list[tuple[str | None, str]], version_table: str = "alembic_version") -> LiveDatabase:
    """The ``wanted`` tables (schema, name) that exist in the database, with
    each column's reflected server default, and the applied revisions."""
    import sqlalchemy as sa

    with read_only(url, "the schema") as (conn, shown):
        live = LiveDatabase(shown, _dialect_name(conn))
        live.heads = version_heads(conn, version_table)
        inspector = sa.inspect(conn)
        existing: dict[str | None, set[str]] = {}
        for schema, name in wanted:
            if schema not in existing:
                existing[schema] = set(inspector.get_table_names(schema=schema))
            if name not in existing[schema]:
                continue
            table = TableFact(name=name, schema=schema)
            for col in inspector.get_columns(name, schema=schema):
                default = col.get("default")
                fact = ColumnFact(name=col["name"], type=str(col.get("type", "")), nullable=bool(col.get("nullable", True)))
                if col.get("identity"):
                    fact.server_default = DefaultValue(DefaultKind.IDENTITY, source="IDENTITY")
                elif col.get("computed"):
                    fact.server_default = DefaultValue(DefaultKind.COMPUTED, sql=str(col["computed"].get("sqltext")))
                elif default is not None:
                    fact.server_default = DefaultValue(DefaultKind.SQL, sql=str(default))
                table.columns[fact.name] = fact
            live.schema.tables[table.key] = table
        return live
