"""Implementation of rule MA302."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule, short


class ConstantBackfillOnKey(Rule):
    """A migration writes one literal into every row of a primary-key or unique column.

    ## What it does
    Finds `UPDATE t SET col = '<literal>'` in `op.execute` SQL, with no
    `WHERE` or only `WHERE col IS NULL`, on a column that is the primary key
    or unique on its own when the revision ends (the constraint may be
    created after the backfill in the same migration). Seed rows written with
    `op.bulk_insert` are data and are not reported.

    ## Why is this bad?
    Every existing row gets the same value. On any table with two rows the
    unique index fails, the migration stops half-applied on databases without
    transactional DDL, and it only happens in production, where the rows are.

    ## Example
    ```python migration
    op.execute("UPDATE orders SET public_id = '0b6f4c1e-8a55-4c8e-9d8f-2f0a4b2b7f11'")
    op.create_unique_constraint("uq_orders_public_id", "orders", ["public_id"])
    ```

    ## Use instead
    ```python migration
    op.execute("UPDATE orders SET public_id = gen_random_uuid()")   # one value per row
    op.create_unique_constraint("uq_orders_public_id", "orders", ["public_id"])
    ```
    """

    code = "MA302"
    name = "constant-backfill-on-key"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.migrations is None:
            return
        for b in facts.migrations.backfills:
            if not b.is_key:
                continue
            obj = b.object
            what = (f"{b.value.source}, computed once (it calls {b.value.frozen_origin} one time),"
                    if b.value.frozen_origin else short(b.value.value))
            yield self.finding(
                f"{obj} ({b.key_reason}): migration {b.revision} writes {what} into every existing "
                "row; with two rows the unique constraint fails and the migration stops",
                "write a value per row: `SET col = gen_random_uuid()` (PostgreSQL) or `UUID()` (MySQL), or "
                "backfill in Python with one new value per row before the constraint is created",
                b.location,
                obj,
            )
