"""Which revisions a database has not applied yet, and the findings in them.

Used by ``check --pending --database-url URL`` and by the upgrade guard in
env.py: before ``alembic upgrade`` runs anything, audit what it is about to
run. The database is only read (``SELECT version_num FROM alembic_version``),
in a transaction made read-only where the dialect allows, then rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable

from migration_audit.config import UsageError
from migration_audit.facts import MigrationHistory
from migration_audit.findings import Finding


def applied_heads(url: str, version_table: str = "alembic_version") -> tuple[str, ...]:
    """The revisions recorded in the database's version table (empty when it
    has none). Raises UsageError, with the password hidden, when it cannot
    connect."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001 - sqlalchemy raises ArgumentError and ValueError here
        raise UsageError(f"--database-url: {exc}") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        from pathlib import Path

        if not parsed.database.startswith("file:") and not Path(parsed.database).is_file():
            raise UsageError(f"{shown}: no such database file (it is not created: migration-audit only reads)")
    try:
        engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    except Exception as exc:  # noqa: BLE001 - a missing driver, a bad option
        raise UsageError(f"cannot use {shown}: {type(exc).__name__}: {exc}") from None
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
                if not sa.inspect(conn).has_table(version_table):
                    import sys

                    print(f"migration-audit: {shown} has no table {version_table}: every revision counts as "
                          "pending (--version-table names another one)", file=sys.stderr)
                    return ()
                rows = conn.execute(sa.text(f"SELECT version_num FROM {version_table}")).scalars().all()
                return tuple(sorted(str(r) for r in rows))
            finally:
                trans.rollback()
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - any driver error: one clear line, never the password
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if parsed.password:
            message = message.replace(str(parsed.password), "***")
        raise UsageError(f"cannot read the applied revisions from {shown}: {message}") from None
    finally:
        engine.dispose()


def pending_revisions(history: MigrationHistory, heads: Iterable[str]) -> set[str]:
    """Revisions that are not the applied heads or their ancestors."""
    applied: set[str] = set()
    stack = [h for h in heads if h in history.revisions]
    while stack:
        rev = stack.pop()
        if rev in applied:
            continue
        applied.add(rev)
        r = history.revisions[rev]
        stack.extend(d for d in (*r.down_revisions, *r.depends_on) if d in history.revisions)
    return set(history.revisions) - applied


def in_revisions(findings: list[Finding], history: MigrationHistory, revisions: set[str]) -> list[Finding]:
    paths = {history.revisions[r].path.resolve() for r in revisions}
    return [f for f in findings if f.location.path.resolve() in paths]
