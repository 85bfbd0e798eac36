"""Implementation of rule MA290."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule
from migration_audit.rules.ma190_proven_duplicate_key import proven_on
from migration_audit.rules.ma204_python_only_default_on_not_null import _suggestion


class ProvenNotNullFailure(Rule):
    """An INSERT that leaves out a column with a Python-only default fails (`probe`).

    ## What it does
    `migration-audit probe` applies the migration chain to a scratch
    database and, for every column (not in the primary key) that has a
    client `default=`, runs one INSERT that leaves the column out and goes
    around the model's defaults, as raw SQL, another service or `COPY` do,
    in a transaction it rolls back. When the database refuses it with a
    NOT NULL violation, the failure is proven and reported at the default.

    ## Why is this bad?
    MA204 reads the model; this is the database itself refusing the row,
    with the server defaults the migration chain really leaves. Every writer
    that is not the ORM fails on this column.

    ## Example
    ```python model
    status = Column(String(20), nullable=False, default="new")
    ```
    ```python migration
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=False))
    ```

    ## Use instead
    ```python model
    status = Column(String(20), nullable=False, default="new", server_default="new")
    ```
    ```python migration
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="new"))
    ```
    """

    code = "MA290"
    name = "proven-not-null-failure"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.probed is None or facts.models is None:
            return
        for outcome in facts.probed:
            if outcome.kind != "not-null" or not outcome.columns:
                continue
            table = facts.models.tables.get(outcome.table_key)
            col = table.columns.get(outcome.columns[0]) if table is not None else None
            if table is None or col is None or col.default is None:
                continue
            d = col.default
            obj = f"{table.key}.{col.name}"
            yield self.finding(
                f"{obj}: {proven_on(facts)}: an INSERT that leaves out {col.name} (as raw SQL, another service or "
                f"COPY does) fails ({outcome.message}); its only default is Python-side (default={d.describe()})",
                _suggestion(d, facts.dialect),
                d.location or col.location or table.location,  # type: ignore[arg-type]
                obj,
            )
