"""Implementation of rule MA301."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.defaults import quote_sql_string
from migration_audit.facts import DefaultKind, DefaultValue, Facts, NotNullSet
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule


def _what_happens(dialect: str) -> str:
    if dialect in ("mysql", "mariadb"):
        return ("MySQL and MariaDB do not fail: every existing row silently gets the type's implicit value "
                "(0, '' or a zero date), which is wrong data rather than an error")
    if dialect == "sqlite":
        return ("SQLite refuses `ADD COLUMN ... NOT NULL` without a default on a table that has rows, and "
                "batch mode fails on the first existing row")
    return "on a table that has rows the ALTER TABLE fails (the column would contain nulls)"


def _suggested_default(value: DefaultValue | None) -> str:
    if value is not None and value.kind is DefaultKind.CONSTANT and isinstance(value.value, (str, int, float)):
        if isinstance(value.value, bool):
            return f'sa.text("{str(value.value).lower()}")'
        if isinstance(value.value, str):
            return repr(value.value)
        return f'"{value.value}"'
    return '"..."'


class NotNullOnExistingRows(Rule):
    """A migration makes a column NOT NULL without giving the rows already in the table a value.

    ## What it does
    Replays the migration chain and reports:
    - `add_column` (or `ALTER TABLE ... ADD`) of a `nullable=False` column to a
      table that already exists, without a `server_default`. A Python-side
      `default=` fills nothing here: the database adds the column, not the ORM.
    - `alter_column(..., nullable=False)` (or `SET NOT NULL`) on a column that
      was nullable, when nothing since the column was added writes it: no
      `UPDATE` of the column (or of the whole table) earlier in the chain, no
      server default it was added with, no table created in the same revision.
      Code that could write rows unseen (a session, SQL built at run time, a
      project helper) in the same revision counts as a backfill: the rule
      does not guess.

    ## Why is this bad?
    Tests run migrations on an empty database, so they pass; production has
    rows. On PostgreSQL and SQL Server the ALTER fails in the middle of a
    deploy, SQLite refuses the column once the table has rows, and MySQL/MariaDB quietly
    store `0`, `''` or a zero date in every existing row.

    ## Example
    ```python migration
    op.add_column("users", sa.Column("status", sa.String(20), nullable=False, default="active"))
    ```

    ## Use instead
    ```python migration
    op.add_column("users", sa.Column("status", sa.String(20), nullable=False, server_default="active"))
    # or: add it nullable, backfill, then tighten
    op.add_column("users", sa.Column("plan", sa.String(20), nullable=True))
    op.execute("UPDATE users SET plan = 'free' WHERE plan IS NULL")
    op.alter_column("users", "plan", nullable=False)
    ```
    """

    code = "MA301"
    name = "not-null-on-existing-rows"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.migrations is None:
            return
        for event in facts.migrations.not_null_set:
            if event.filled_by is not None:
                continue
            yield self._add(event, facts) if event.kind == "add" else self._alter(event, facts)

    def _add(self, e: NotNullSet, facts: Facts) -> Finding:
        client = ""
        if e.client_default is not None:
            client = (f"; its default={e.client_default.describe()} is Python-side and fills no existing row")
        message = (
            f"{e.object}: revision {e.revision} adds a NOT NULL column to the existing table "
            f"{e.table} without a server default{client}; {_what_happens(facts.dialect)}"
        )
        model_table = facts.models.get(e.table, e.schema) if facts.models is not None else None
        model_col = model_table.columns.get(e.column) if model_table is not None else None
        suggested = e.client_default or (model_col.default if model_col is not None else None)
        key = model_table is not None and model_table.is_key_column(e.column)
        if key or (suggested is not None and suggested.frozen_origin is not None):
            suggested = None  # one value in every existing row of a unique column collides: backfill per row
        help = (
            f'give existing rows a value: `sa.Column("{e.column}", ..., nullable=False, '
            f"server_default={_suggested_default(suggested)})` (drop the server default in a later "
            f"step if the model has none), or add it nullable, backfill with "
            f'`op.execute("UPDATE {e.table} SET {e.column} = ... WHERE {e.column} IS NULL")`, then '
            f'`op.alter_column("{e.table}", "{e.column}", nullable=False)`'
        )
        return self.finding(message, help, e.location, e.object)

    def _alter(self, e: NotNullSet, facts: Facts) -> Finding:
        default = ""
        if e.server_default is not None and e.server_default.sql:
            default = f"; its server default {e.server_default.sql} fills only rows inserted later"
        message = (
            f"{e.object}: revision {e.revision} sets NOT NULL, but nothing since the column was added "
            f"fills the NULLs existing rows may hold (no UPDATE of {e.column}){default}; the ALTER fails on "
            f"the first NULL"
        )
        value = e.server_default.sql if e.server_default is not None and e.server_default.sql else None
        help = (
            f'backfill first, in the same revision before the alter: `op.execute("UPDATE {e.table} SET '
            f'{e.column} = {value or quote_sql_string("...")} WHERE {e.column} IS NULL")`'
        )
        return self.finding(message, help, e.location, e.object, severity=Severity.WARNING)
