"""Implementation of rule MA101."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migration_audit.facts import ColumnFact, DefaultKind, DefaultValue, Facts
from migration_audit.findings import Finding, Fix, Severity
from migration_audit.rules.base import Rule, also_on, by_definition, short

_UUID_GENERATORS = {
    "postgresql": "gen_random_uuid()",
    "mysql": "(UUID())",
    "mariadb": "(UUID())",
    "mssql": "NEWID()",
}
_CALL_NO_ARGS = re.compile(r"^([A-Za-z_][\w.]*)\(\s*\)$")


def callable_fix(source: str | None, attr: str) -> str:
    """What to write instead of a default computed once."""
    if source:
        m = _CALL_NO_ARGS.match(source)
        if m:
            return f"pass the function, not its result: `{attr}={m.group(1)}`"
        if "(" in source:
            return f"make it a callable that runs per row: `{attr}=lambda: {source}`"
    return "remove the constant default, or use a callable that produces a new value for every row"


def fix_kind(value: DefaultValue, col: ColumnFact) -> str | None:
    """The automatic fix for a per-row value computed once, when it is
    unambiguous: the expression itself calls the per-row source (not a
    constant defined elsewhere, which other code may use too), and the
    class is not a dataclass (where `default=` is also the __init__ value)."""
    source = value.source or ""
    if not value.frozen_origin or not value.frozen_fixable or value.location is None or "(" not in source:
        return None
    if col.in_dataclass:
        return None
    return "per-row"


def frozen_help(value: DefaultValue, col: ColumnFact, keyword: str) -> str:
    """What to write instead of a per-row value computed once."""
    if col.in_dataclass:
        return (f"in a dataclass-mapped class, `{keyword}=` is also the __init__ value: use "
                f"`default_factory=` with a callable (or `insert_default=` for the column only); not fixed "
                "automatically")
    if not value.frozen_fixable:
        where = value.frozen_via or value.source
        return (f"the value is fixed once, at import, in {where}; compute it per row instead, e.g. "
                f"`{keyword}=lambda: <the per-row call>` (not fixed automatically)")
    return callable_fix(value.source, keyword)


class ConstantDefaultOnKey(Rule):
    """A primary-key or unique column has a constant client default.

    ## What it does
    Finds `default=` / `insert_default=` on a column that must be unique on
    its own (the whole primary key, `unique=True`, or the only column of a
    unique constraint or index) whose value is a constant, including a value
    computed once when the module ran, such as `str(uuid.uuid4())`.

    ## Why is this bad?
    The expression is evaluated once, when the class body runs. Every row the
    process inserts gets the same value, so the second insert fails with a
    duplicate-key error, and each worker process fails with its own value.
    Alembic never renders `default=` into a migration, so `alembic check`
    cannot see it.

    ## Example
    ```python model
    id = Column(String(36), primary_key=True, default=str(uuid.uuid4()))
    ```

    ## Use instead
    ```python model
    id = Column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    # or, for a Uuid column: default=uuid.uuid4
    # or in the database (PostgreSQL): server_default=sa.text("gen_random_uuid()")
    ```
    """

    code = "MA101"
    name = "constant-default-on-key"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.models is None:
            return
        hits = []
        for table in facts.models.tables.values():
            for col in table.columns.values():
                d = col.default
                if d is None or d.kind is not DefaultKind.CONSTANT or d.value is None:
                    continue
                if not table.is_key_column(col.name):
                    continue
                hits.append((table, col, d))
        for group in by_definition(hits):
            table, col, d = group[0]
            reason = table.key_reason(col.name)
            obj = f"{table.key}.{col.name}"
            where = f"{obj} ({reason}){also_on(group)}"
            if d.frozen_origin:
                via = f" (through {d.frozen_via})" if d.frozen_via else ""
                message = (
                    f"{where}: default={d.source} calls {d.frozen_origin}{via} once, when the model is defined, "
                    f"so every row gets the same {col.name}; the second insert in a process fails with a "
                    "duplicate key"
                )
            elif d.source and "(" in d.source:
                # The value itself may differ per run; the message must not,
                # so that CI output and baselines are stable.
                message = (
                    f"{where}: default={d.source} is evaluated once, when the model is defined, "
                    f"so every row gets the same {col.name}; the second insert in a process fails with a "
                    "duplicate key"
                )
            else:
                spelled = f"default={d.source}" if d.source else f"the default {short(d.value)}"
                message = (
                    f"{where}: {spelled} is a constant, so every row gets {col.name} = "
                    f"{short(d.value)}; the second insert fails with a duplicate key"
                )
            if d.frozen_origin:
                help = frozen_help(d, col, "default")
            else:
                help = ("a key needs a new value for every row: use a callable that generates one "
                        "(e.g. `default=uuid.uuid4`), a sequence or identity, or no default")
            if "uuid" in (d.source or "").lower() or "uuid" in col.type.lower():
                generator = _UUID_GENERATORS.get(facts.dialect)
                if generator:
                    help += f", or generate it in the database: `server_default=sa.text({generator!r})`"
            kind = fix_kind(d, col)
            location = d.location or col.location or table.location
            yield self.finding(message, help, location, obj,  # type: ignore[arg-type]
                               fix=Fix(kind, d.location, d.source) if kind and d.location else None)
