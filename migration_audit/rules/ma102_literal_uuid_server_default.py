"""Implementation of rule MA102."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.defaults import NIL_UUID, string_literal_content, uuid_literal
from migration_audit.facts import DefaultKind, DefaultValue, Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule, one_value_for_all

_HELP = (
    'generate the value per row: `server_default=sa.text("gen_random_uuid()")` on PostgreSQL, '
    '`sa.text("(UUID())")` on MySQL 8/MariaDB, or a client `default=uuid.uuid4`; '
    "never a literal UUID"
)


def literal_uuid(value: DefaultValue | None) -> str | None:
    """The UUID a server default hard-codes, in canonical form."""
    if value is None or value.kind not in (DefaultKind.CONSTANT, DefaultKind.SQL):
        return None
    text: str | None = None
    if isinstance(value.value, str):
        text = value.value
    elif value.sql is not None:
        text = string_literal_content(value.sql)
    if text is None:
        return None
    inner = string_literal_content(text)  # "'3f2a...'" given as a Python string
    return uuid_literal(inner if inner is not None else text)


class LiteralUuidServerDefault(Rule):
    """A server default is a literal UUID.

    ## What it does
    Finds a server default that is one fixed UUID, in any spelling
    (canonical, upper case, braces, `urn:uuid:`, 32 hex digits), in the model
    (`server_default=`) or in any migration (`server_default=` in
    `create_table`/`add_column`/`alter_column`, `DEFAULT '…'` in SQL passed to
    `op.execute`). It is an error on a column that must be unique on its own,
    a warning elsewhere. A literal that the same migration replaces again
    (add the column with a default to fill existing rows, drop the default,
    backfill) is not reported on a non-key column.

    ## Why is this bad?
    A UUID is meant to be new for every row. Baked into the schema, every row
    inserted without the column gets the same one: on a key column the second
    insert fails; elsewhere, rows that should differ silently share an id.
    Usually someone rendered `uuid.uuid4()` into the migration by accident.

    ## Example
    ```python migration
    op.create_table(
        "tokens",
        sa.Column("id", sa.Uuid(), server_default="3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f", primary_key=True),
    )
    ```

    ## Use instead
    ```python migration
    op.create_table(
        "tokens",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), primary_key=True),
    )
    ```
    """

    code = "MA102"
    name = "literal-uuid-server-default"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.models is not None:
            for table in facts.models.tables.values():
                for col in table.columns.values():
                    found = literal_uuid(col.server_default)
                    if found is None:
                        continue
                    is_key = table.is_key_column(col.name)
                    if found == NIL_UUID and not is_key:
                        continue  # the nil UUID as a deliberate "none" marker
                    obj = f"{table.key}.{col.name}"
                    where, consequence, severity = one_value_for_all(is_key, table.key_reason(col.name))
                    sd = col.server_default
                    assert sd is not None
                    yield self.finding(
                        f"{obj}{where}: the model's server default is the literal UUID '{found}'; {consequence}",
                        _HELP,
                        sd.location or col.location or table.location,  # type: ignore[arg-type]
                        obj,
                        severity,
                    )
        if facts.migrations is not None:
            for event in facts.migrations.server_defaults_set:
                found = literal_uuid(event.value)
                if found is None or (found == NIL_UUID and not event.is_key):
                    continue
                if event.temporary and not event.is_key:
                    # Added with a literal to fill existing rows, then changed
                    # in the same migration: it never outlives the migration.
                    continue
                where, consequence, severity = one_value_for_all(event.is_key, event.key_reason)
                yield self.finding(
                    f"{event.object}{where}: migration {event.revision} sets the server default to the literal "
                    f"UUID '{found}'; {consequence}",
                    _HELP,
                    event.location,
                    event.object,
                    severity,
                )
