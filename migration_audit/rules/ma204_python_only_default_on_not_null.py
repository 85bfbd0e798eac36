"""Implementation of rule MA204."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.defaults import constant_as_sql
from migration_audit.facts import DefaultKind, DefaultValue, Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule, also_on, by_definition

_NOW = {"datetime.now", "datetime.utcnow", "datetime.today", "func.now", "utcnow"}
_UUID_SQL = {
    "postgresql": 'sa.text("gen_random_uuid()")',
    "mysql": 'sa.text("(uuid())")',
    "mariadb": 'sa.text("(uuid())")',
    "sqlite": 'sa.text("(lower(hex(randomblob(16))))")',
}


def _suggestion(d: DefaultValue, dialect: str) -> str:
    """What server default gives every writer the same value."""
    spelled = f"{d.value or ''} {d.source or ''} {d.sql or ''}"
    if d.kind is DefaultKind.CONSTANT:
        sql = constant_as_sql(d.value)
        if sql is not None:
            server = repr(d.value) if isinstance(d.value, str) else f'sa.text("{sql}")'
            return f"add `server_default={server}` beside `default=` (both then give the same value)"
    if "uuid4" in spelled:
        server = _UUID_SQL.get(dialect, 'sa.text("gen_random_uuid()") on PostgreSQL, sa.text("(uuid())") on MySQL')
        return f"add `server_default={server}`, which the database evaluates per row"
    if any(n in spelled for n in _NOW):
        return "add `server_default=sa.func.now()`, which the database evaluates per row"
    if d.kind is DefaultKind.SQL and d.sql:
        return f'add `server_default=sa.text("{d.sql}")`: the database computes the same value for every writer'
    return "add a server default that computes the same value, or make the column nullable if other writers may omit it"


class PythonOnlyDefaultOnNotNull(Rule):
    """A NOT NULL column gets a value only from a Python-side default.

    ## What it does
    Finds model columns that are NOT NULL, are not part of the primary key,
    have a `default=` (a constant, a callable or a SQL expression the ORM
    puts in its INSERT) and no `server_default=`. A value frozen at import
    (MA101, MA103) is reported by those rules instead.

    ## Why is this bad?
    The database knows nothing of `default=`. Every insert that does not go
    through the ORM and omits the column fails with a NOT NULL violation: raw
    SQL in a migration or a script, another service, `COPY`/`LOAD DATA`,
    `insert().from_select()`, a database console.

    ## Example
    ```python model
    created_at = mapped_column(DateTime, nullable=False, default=dt.utcnow)
    ```

    ## Use instead
    ```python model
    created_at = mapped_column(DateTime, nullable=False, default=dt.utcnow, server_default=func.now())
    ```
    """

    code = "MA204"
    name = "python-only-default-on-not-null"
    severity = Severity.WARNING

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.models is None:
            return
        hits = []
        for table in facts.models.tables.values():
            for col in table.columns.values():
                d = col.default
                if col.nullable or col.primary_key or col.server_default is not None or d is None:
                    continue
                if d.kind not in (DefaultKind.CONSTANT, DefaultKind.CALLABLE, DefaultKind.SQL, DefaultKind.OPAQUE):
                    continue  # a Sequence fires on the server too
                if d.kind is DefaultKind.CONSTANT and (d.value is None or table.is_key_column(col.name)):
                    continue  # a constant on a key column is MA101's: no server default fixes it
                if d.frozen_origin is not None:
                    continue  # a value frozen at import is MA103's: copying it to the server is no fix
                hits.append((table, col, d))
        for group in by_definition(hits):
            table, col, d = group[0]
            obj = f"{table.key}.{col.name}"
            yield self.finding(
                f"{obj}{also_on(group)} is NOT NULL and its only default is Python-side "
                f"(default={d.describe()}): an INSERT that bypasses the ORM (raw SQL, another service, COPY, "
                "insert().from_select()) and omits the column fails",
                _suggestion(d, facts.dialect),
                d.location or col.location or table.location,  # type: ignore[arg-type]
                obj,
            )
