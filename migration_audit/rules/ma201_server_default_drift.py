"""Implementation of rule MA201."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from migration_audit.defaults import constant_as_sql, is_literal_sql, normalize_server_default
from migration_audit.facts import ColumnFact, DefaultKind, DefaultValue, Facts, Location, TableFact
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule, differing_server_defaults, is_boolean, same_table, shown_server_default


def _same_as_client_default(col: ColumnFact, chain_sd: DefaultValue | None, dialect: str) -> bool:
    client = col.default
    if client is None or client.kind is not DefaultKind.CONSTANT or chain_sd is None or chain_sd.sql is None:
        return False
    client_sql = constant_as_sql(client.value)
    boolean = is_boolean(col)
    return client_sql is not None and is_literal_sql(chain_sd.sql, boolean=boolean) and (
        normalize_server_default(client_sql, boolean=boolean, dialect=dialect)
        == normalize_server_default(chain_sd.sql, boolean=boolean, dialect=dialect))


def _where(loc: Location | None, root: Path) -> str:
    return f" ({loc.shown_path(root)}:{loc.line})" if loc is not None else ""


class ServerDefaultDrift(Rule):
    """The model's server default differs from the one the migrations leave at head.

    ## What it does
    Replays the migration chain and compares, for every column that both the
    model and the chain define, the model's `server_default` with the server
    default the chain leaves at head: one present and the other absent, or
    two different values. Differences that are only spelling (quotes,
    `sa.text("0")` against `"0"`, outer parentheses, keyword case, `now()`
    against `CURRENT_TIMESTAMP`, `true` against `1` on a boolean) are not
    reported, nor a server default the chain added to fill existing rows
    when it is the model's own constant `default=` (every writer then gets
    the same value).

    ## Why is this bad?
    Alembic compares server defaults only with `compare_server_default=True`,
    which is off by default, so such a model change never produces a
    migration. The database keeps the old default: rows written outside the
    ORM (raw SQL, other services, bulk loads) get a value the model no longer
    promises, and a fresh database built from the models differs from
    production.

    ## Example
    The model says `pending`:
    ```python model
    status = mapped_column(String(20), server_default="pending")
    ```
    while the migrations created `active`:
    ```python migration
    op.add_column("users", sa.Column("status", sa.String(20), server_default="active"))
    ```

    ## Use instead
    Generate a migration for the change:
    ```python model
    status = mapped_column(String(20), server_default="pending")
    ```
    ```python migration
    op.add_column("users", sa.Column("status", sa.String(20), server_default="active"))
    op.alter_column("users", "status", server_default="pending")
    ```
    """

    code = "MA201"
    name = "server-default-drift"
    severity = Severity.WARNING

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.models is None or facts.migrations is None:
            return
        history = facts.migrations
        replayed = facts.replayed
        if replayed is not None:
            # --replay: what the chain really leaves, read back from the scratch database
            other, dialect, how = replayed.schema, replayed.dialect, f" when applied to {replayed.shown_url}"

            def skip(t: TableFact) -> bool:
                return not facts.table_filter.compares(t.name, t.schema)
        else:
            other, dialect, how = history.head_schema, facts.dialect, ""

            def skip(t: TableFact) -> bool:
                return t.name in history.opaque_tables or not facts.table_filter.compares(t.name, t.schema)
        for table, col, model_sd, chain_col, chain_sd in differing_server_defaults(facts.models, other, dialect, skip):
            if model_sd is None and _same_as_client_default(col, chain_sd, dialect):
                # `server_default=""` added to fill existing rows, with the
                # model's `default=""`: every writer gets the same value
                continue
            obj = f"{table.key}.{col.name}"
            static_table = same_table(history.head_schema, table)
            static = static_table.columns.get(col.name) if static_table is not None else None
            if static is not None:
                chain_col = static  # the static replay knows where the default was written
            static_sd = static.server_default if static is not None else None
            chain_where = how + _where(static_sd.location if static_sd else None, facts.root)
            if model_sd is None:
                message = (
                    f"{obj}: the model has no server default, but the migrations leave "
                    f"DEFAULT {shown_server_default(chain_sd)}{chain_where}"
                )
                help = (
                    f'generate a migration that drops it (`op.alter_column("{table.name}", "{col.name}", '
                    f"server_default=None)`; if it was only there to fill existing rows, drop it in the "
                    f"migration that added it), or restore `server_default=` in the model"
                )
            elif chain_sd is None:
                dropped = chain_col.server_default_changed_at
                message = (
                    f"{obj}: the model's server default is {shown_server_default(model_sd)}, but "
                    + (
                        f"the migrations drop it{how}{_where(dropped, facts.root)}"
                        if dropped is not None
                        else f"the migrations create the column without one{how}"
                    )
                )
                help = (
                    f'generate a migration that sets it (`op.alter_column("{table.name}", "{col.name}", '
                    f"server_default={model_sd.source or repr(model_sd.sql)})`), or remove it from the model"
                )
            else:
                message = (
                    f"{obj}: the model's server default is {shown_server_default(model_sd)}, but the migrations "
                    f"leave {shown_server_default(chain_sd)}{chain_where}"
                )
                help = (
                    f'generate a migration that changes it (`op.alter_column("{table.name}", "{col.name}", '
                    f"server_default={model_sd.source or repr(model_sd.sql)})`), or change the model back"
                )
            location = (model_sd.location if model_sd else None) or col.location or table.location
            yield self.finding(message, help, location, obj)  # type: ignore[arg-type]
