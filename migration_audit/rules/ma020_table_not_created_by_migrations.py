"""Implementation of rule MA020."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule, same_table

class TableNotCreatedByMigrations(Rule):
    """No migration creates a model table (a `create_all` + `alembic stamp` baseline).

    ## What it does
    Reports, once per table and as information, a model table that no
    revision creates: the chain never mentions it, or only alters it. Many
    projects made their first tables with `metadata.create_all()` and then
    ran `alembic stamp head`; their chain starts after that baseline. Only
    the columns the migrations define are compared with the model (MA201),
    so such a table is never reported as drift.

    ## Why is this bad?
    It is not wrong in itself. But a database built from scratch with
    `alembic upgrade head` (CI, a new developer, disaster recovery) lacks
    the table, and the audit cannot compare what the chain does not define.

    ## Example
    ```python class
    class Setting(Base):
        __tablename__ = "settings"
        id = Column(Integer, primary_key=True)
    ```

    ## Use instead
    A migration that creates it (or `ignore = ["MA020"]` when the baseline is intended):
    ```python class
    class Setting(Base):
        __tablename__ = "settings"
        id = Column(Integer, primary_key=True)
    ```
    ```python migration
    op.create_table("settings", sa.Column("id", sa.Integer(), primary_key=True))
    ```
    """

    code = "MA020"
    name = "table-not-created-by-migrations"
    severity = Severity.INFO

    def check(self, facts: Facts) -> Iterator[Finding]:
        history = facts.migrations
        if facts.models is None or history is None or not history.revisions:
            return
        ever_created = {key for _, key in history.created_in}
        for table in facts.models.tables.values():
            if (table.location is None or table.name in history.opaque_tables
                    or not facts.table_filter.compares(table.name, table.schema)):
                continue
            chain = same_table(history.head_schema, table)
            if chain is not None and chain.created_by is not None:
                continue
            if chain is None and (table.key in ever_created or table.name in ever_created):
                continue  # created, then dropped or renamed: not a baseline table
            if chain is None:
                how = "the migrations never mention it"
                compared = "nothing of it is compared with the migrations"
            else:
                how = f"the migrations only alter it ({', '.join(sorted(chain.columns)) or 'no columns'})"
                compared = "only the columns they define are compared with the model"
            yield self.finding(
                f"{table.key}: no migration creates this table; {how}, so it was made another way, such as "
                f"`metadata.create_all()` followed by `alembic stamp`; {compared}",
                "nothing to do if the databases you deploy to have it; for `alembic upgrade head` on an empty "
                f"database to build it, add a migration that creates {table.key}",
                table.location,
                table.key,
            )
