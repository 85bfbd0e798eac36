"""Implementation of rule MA190."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import DefaultKind, Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import DIALECT_NAMES, Rule
from migration_audit.rules.ma101_constant_default_on_key import frozen_help

PROOF_CODES = ("MA190", "MA290")  # found by running inserts (`migration-audit probe`), not by reading


def proven_on(facts: Facts) -> str:
    return f"proven on a scratch {DIALECT_NAMES.get(facts.probed_on, facts.probed_on or 'SQLite')} database"


class ProvenDuplicateKey(Rule):
    """Two rows inserted through the model's defaults collided on a key (`probe`).

    ## What it does
    `migration-audit probe` applies the migration chain to a scratch
    database, then inserts two rows into every table in one process, through
    the model's own client defaults and the server defaults the chain
    created (a value made up from the type only for a required column that
    has no default). When the second row's key collides with the first and
    every colliding value came from a default, the collision is proven: it
    is reported with the values that collided, at the column's default.

    ## Why is this bad?
    It is the failure itself, not a reading of the code: the second insert
    in every process fails with a duplicate key. Whatever produced the value
    (a constant, a value computed once at import, a callable that returns
    the same value, a literal server default), rows cannot be created.

    ## Example
    ```python model
    code = Column(String(20), unique=True, default="A-1")
    ```
    ```python migration
    op.add_column("users", sa.Column("code", sa.String(20)))
    op.create_index("ix_users_code", "users", ["code"], unique=True)
    ```

    ## Use instead
    ```python model
    code = Column(String(20), unique=True, default=lambda: secrets.token_hex(8))
    ```
    ```python migration
    op.add_column("users", sa.Column("code", sa.String(20)))
    op.create_index("ix_users_code", "users", ["code"], unique=True)
    ```
    """

    code = "MA190"
    name = "proven-duplicate-key"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.probed is None or facts.models is None:
            return
        for outcome in facts.probed:
            if outcome.kind != "duplicate-key" or not outcome.by_defaults or not outcome.columns:
                continue
            table = facts.models.tables.get(outcome.table_key)
            if table is None:
                continue
            cols = [table.columns[c] for c in outcome.columns if c in table.columns]
            if not cols:
                continue
            col = next((c for c in cols if c.default is not None), None) or \
                next((c for c in cols if c.server_default is not None), cols[0])
            d = col.default if col.default is not None else col.server_default
            names = ", ".join(outcome.columns)
            values = ", ".join(f"{c} = {v}" for c, v in zip(outcome.columns, outcome.values))
            reason = table.key_reason(col.name) if len(outcome.columns) == 1 else None
            key = f"{table.key}.{names}" if len(outcome.columns) == 1 else f"{table.key} ({names})"
            spelled = ""
            if d is not None:
                which = "default" if d is col.default else "server_default"
                spelled = f"; both values came from {which}={d.describe()}"
            message = (f"{key}{f' ({reason})' if reason else ''}: {proven_on(facts)}: two rows inserted in one "
                       f"process through the model's defaults both got {values}, and the second failed "
                       f"({outcome.message}){spelled}")
            if d is not None and d is col.default and d.frozen_origin:
                help = frozen_help(d, col, "default")
            elif d is not None and d is col.server_default:
                help = ("a key needs a new value for every row: use a server default the database evaluates per "
                        "row (a sequence, identity or a generator function), or none")
            elif d is not None and d.kind is DefaultKind.CONSTANT:
                help = ("a key needs a new value for every row: use a callable that generates one "
                        "(e.g. `default=uuid.uuid4`), a sequence or identity, or no default")
            else:
                help = "make the default produce a new value on every call, or give the key no default"
            location = (d.location if d is not None else None) or col.location or table.location
            yield self.finding(message, help, location, f"{table.key}.{col.name}")  # type: ignore[arg-type]
