"""Server-default comparison for Alembic itself.

``compare_server_default`` is what users pass to
``context.configure(compare_server_default=...)`` so that ``alembic check``
and autogenerate compare server defaults the way migration-audit does:
spelling differences (casts, quotes, parentheses, ``now()`` against
``CURRENT_TIMESTAMP``, booleans) are not changes, and no SQL is run to
decide. It never raises on a default that contains a quote.
"""

from __future__ import annotations

from typing import Any

from migration_audit.defaults import is_sequence_default, quote_sql_string, same_server_default


def render_metadata_default(default: Any, dialect: Any) -> tuple[bool, str | None]:
    """(comparable, SQL text) of a model's server default."""
    from sqlalchemy import DefaultClause
    from sqlalchemy.sql.elements import TextClause

    if default is None:
        return True, None
    if not isinstance(default, DefaultClause):
        return False, None  # Identity, Computed, FetchedValue: Alembic's own rules apply
    arg = default.arg
    if isinstance(arg, str):
        return True, quote_sql_string(arg)
    if isinstance(arg, TextClause):
        return True, arg.text
    try:
        return True, str(dialect.ddl_compiler(dialect, None).render_default_string(arg))
    except Exception:  # noqa: BLE001 - an expression this dialect cannot compile
        return False, None


def dialect_name(dialect: Any) -> str:
    """``mariadb`` for a MariaDB server (SQLAlchemy names both ``mysql``)."""
    return "mariadb" if getattr(dialect, "is_mariadb", False) else str(dialect.name)


def compare_server_default(
    context: Any,
    inspected_column: Any,
    metadata_column: Any,
    inspected_default: str | None,
    metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    """True when the defaults really differ, False when they are the same
    value spelled differently, None to leave the decision to Alembic."""
    import sqlalchemy as sa

    dialect = context.dialect
    comparable, model_sql = render_metadata_default(metadata_default, dialect)
    if not comparable:
        return None
    conn_sql = inspected_default
    if conn_sql is not None and is_sequence_default(conn_sql):
        return None  # a serial column's sequence: Alembic knows it
    boolean = isinstance(getattr(metadata_column, "type", None), sa.Boolean)
    return not same_server_default(model_sql, conn_sql, boolean=boolean, dialect=dialect_name(dialect))
