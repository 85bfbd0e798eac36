"""Implementation of rule MA203."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.defaults import constant_as_sql, is_literal_sql, normalize_server_default
from migration_audit.facts import DefaultKind, Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule, also_on, by_definition, is_boolean


class ClientServerDefaultMismatch(Rule):
    """A column's client `default=` and its `server_default=` are different values.

    ## What it does
    Compares, on each model column that has both, a constant `default=` with a
    literal `server_default=`, as the SQL each stands for: `True` against
    `"1"` on a boolean is the same value, `"active"` against `"pending"` is
    not. Expressions (`func.now()`, a callable) are not compared.

    ## Why is this bad?
    The ORM sends the client default, so rows it inserts get one value; every
    other writer (raw SQL, another service, a bulk load, a migration's
    backfill) gets the server default. The same column then means two things
    depending on who wrote the row.

    ## Example
    ```python model
    status = mapped_column(String(20), default="active", server_default="pending")
    ```

    ## Use instead
    ```python model
    status = mapped_column(String(20), default="active", server_default="active")
    # or only server_default="active": the ORM omits the column and the database fills it
    ```
    """

    code = "MA203"
    name = "client-server-default-mismatch"
    severity = Severity.WARNING

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.models is None:
            return
        hits = []
        for table in facts.models.tables.values():
            for col in table.columns.values():
                client, server = col.default, col.server_default
                if client is None or server is None or client.kind is not DefaultKind.CONSTANT:
                    continue
                if server.kind not in (DefaultKind.CONSTANT, DefaultKind.SQL) or client.value is None:
                    continue
                boolean = is_boolean(col)
                client_sql = constant_as_sql(client.value)
                if client_sql is None or not is_literal_sql(server.sql, boolean=boolean):
                    continue
                if normalize_server_default(client_sql, boolean=boolean) == normalize_server_default(
                        server.sql, boolean=boolean):
                    continue
                hits.append((table, col, client))
        for group in by_definition(hits):
            table, col, client = group[0]
            server = col.server_default
            assert server is not None
            obj = f"{table.key}.{col.name}"
            client_shown = client.source or repr(client.value)
            server_shown = server.source or server.sql
            yield self.finding(
                f"{obj}{also_on(group)}: default={client_shown} and server_default={server_shown} disagree: rows "
                f"the ORM inserts get {constant_as_sql(client.value)}, rows written any other way (raw SQL, "
                f"other services, bulk loads) get {server.sql}",
                f"make them one value (`server_default={_server_spelling(client.value)}`), or drop `default=` "
                "and let the database fill the column",
                client.location or col.location or table.location,  # type: ignore[arg-type]
                obj,
            )


def _server_spelling(value: object) -> str:
    if isinstance(value, bool):
        return "sa.true()" if value else "sa.false()"
    if isinstance(value, str):
        return repr(value)
    sql = constant_as_sql(value)
    return repr(sql) if sql is not None and not sql.startswith("'") else str(sql)
