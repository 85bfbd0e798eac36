"""Implementation of rule MA202."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import Facts, MigrationHistory
from migration_audit.findings import Finding, Severity
from migration_audit.pending import pending_revisions
from migration_audit.rules.base import Rule, differing_server_defaults, shown_server_default


def _pending_tables(history: MigrationHistory | None, heads: tuple[str, ...] | None) -> set[str]:
    """Tables (lower-cased names) that revisions the database has not
    applied yet will change: their differences are expected, not drift."""
    if history is None or heads is None:
        return set()
    touched: set[str] = set()
    for rev in pending_revisions(history, heads):
        for op in history.revisions[rev].ops:
            for attr in ("table", "new_name"):
                name = getattr(op, attr, None)
                if isinstance(name, str):
                    touched.add(name.lower())
    return touched


class DatabaseDefaultDrift(Rule):
    """The model's server default differs from the one the live database has.

    ## What it does
    With `--database-url`, reads the database (in a read-only transaction,
    through SQLAlchemy's inspector) and compares, for every column that both
    the model and the database have, the model's `server_default` with the
    reflected default, as the SQL the database itself spells: PostgreSQL's
    casts (`'x'::character varying`), MariaDB's `current_timestamp()`,
    MySQL's unquoted strings, SQLite's parentheses, `1.50` against `1.5`,
    booleans, are not differences; `now()` against `clock_timestamp()` is.
    Serial/identity sequences are not compared, nor are tables that
    revisions the database has not applied yet will change.

    ## Why is this bad?
    The model and the migrations can agree while the database does not: a
    default changed by hand, a migration edited after it ran, a hotfix. Rows
    written outside the ORM then get a value nobody reviewed, and the next
    autogenerate (with `compare_server_default`) produces a surprise.

    ## Example
    The model says `pending`:
    ```python model
    email = mapped_column(String(200))
    status = mapped_column(String(20), server_default="pending")
    ```
    while the database has `active`:
    ```sql database
    CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200), status VARCHAR(20) DEFAULT 'active');
    ```

    ## Use instead
    Make the database match the model with a migration
    (`op.alter_column("users", "status", server_default="pending")`), and apply it:
    ```python model
    email = mapped_column(String(200))
    status = mapped_column(String(20), server_default="pending")
    ```
    ```sql database
    CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200), status VARCHAR(20) DEFAULT 'pending');
    ```
    """

    code = "MA202"
    name = "database-default-drift"
    severity = Severity.WARNING

    def check(self, facts: Facts) -> Iterator[Finding]:
        live = facts.database
        if facts.models is None or live is None:
            return
        skip = _pending_tables(facts.migrations, live.heads)
        for table, col, model_sd, _db_col, db_sd in differing_server_defaults(
                facts.models, live.schema, live.dialect, lambda t: t.name.lower() in skip or not facts.table_filter.compares(t.name, t.schema)):
            obj = f"{table.key}.{col.name}"
            spelled = model_sd.source or repr(model_sd.sql) if model_sd is not None else "None"
            yield self.finding(
                f"{obj}: the model's server default is {shown_server_default(model_sd)}, but the database "
                f"{live.shown_url} has {shown_server_default(db_sd)}",
                f'bring the database to the model with a migration (`op.alter_column("{table.name}", '
                f'"{col.name}", server_default={spelled})`) and apply it; if the migrations already say so, '
                "the database was changed by hand or runs an edited migration",
                (model_sd.location if model_sd else None) or col.location or table.location,  # type: ignore[arg-type]
                obj,
            )
