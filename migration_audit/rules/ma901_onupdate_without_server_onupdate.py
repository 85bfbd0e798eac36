"""Implementation of rule MA901."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule, also_on, by_definition


class OnupdateWithoutServerOnupdate(Rule):
    """`onupdate=` with no `server_onupdate=`: only ORM updates refresh the column.

    ## What it does
    Finds model columns with a Python-side `onupdate=` (typically
    `updated_at`) and no `server_onupdate=`. Off by default: enable it with
    `--select MA901` when the database is written by more than the ORM.

    ## Why is this bad?
    `onupdate=` runs only when the ORM (or a Core `update()` through
    SQLAlchemy) updates the row. A raw `UPDATE`, another service or a
    migration's backfill leaves `updated_at` at its old value, so "changed
    since" queries and caches miss those rows.

    ## Example
    ```python model
    updated_at = mapped_column(DateTime, default=func.now(), onupdate=func.now())
    ```

    ## Use instead
    Let the database maintain it, and tell SQLAlchemy to read it back:
    ```python model
    # MySQL / MariaDB
    updated_at = mapped_column(
        DateTime, server_default=text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
        server_onupdate=FetchedValue(),
    )
    # PostgreSQL: a BEFORE UPDATE trigger, and server_onupdate=FetchedValue()
    ```
    """

    code = "MA901"
    name = "onupdate-without-server-onupdate"
    severity = Severity.WARNING
    enabled_by_default = False

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.models is None:
            return
        hits = []
        for table in facts.models.tables.values():
            for col in table.columns.values():
                if col.onupdate is not None and col.server_onupdate is None:
                    hits.append((table, col, col.onupdate))
        for group in by_definition(hits):
            table, col, d = group[0]
            obj = f"{table.key}.{col.name}"
            on_mysql = facts.dialect in ("mysql", "mariadb")
            yield self.finding(
                f"{obj}{also_on(group)}: onupdate={d.describe()} runs only for updates made through SQLAlchemy; "
                "a raw UPDATE, another service or a migration's backfill leaves the old value",
                (
                    'have the database maintain it: `server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE '
                    'CURRENT_TIMESTAMP"), server_onupdate=sa.FetchedValue()`'
                    if on_mysql
                    else "have the database maintain it with a BEFORE UPDATE trigger (created in a migration) "
                    "and declare `server_onupdate=sa.FetchedValue()`"
                ),
                d.location or col.location or table.location,  # type: ignore[arg-type]
                obj,
            )
