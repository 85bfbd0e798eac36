"""Implementation of rule MA104."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import DefaultKind, Facts
from migration_audit.findings import Finding, Fix, Severity
from migration_audit.rules.base import Rule, also_on, by_definition

_FACTORY = {list: "list", dict: "dict", set: "set"}


class MutableSharedDefault(Rule):
    """A mutable object (`[]`, `{}`) is the column default, shared by every row.

    ## What it does
    Finds `default=[]`, `default={}` and other list, dict or set literals as
    the client default of a column, typically a JSON or ARRAY column.

    ## Why is this bad?
    SQLAlchemy stores that exact object and hands the same one to every new
    row. Code that appends to `row.tags` before the flush changes the default
    for every later row in the process, and rows leak each other's data.

    ## Example
    ```python model
    tags = Column(JSON, default=[])
    ```

    ## Use instead
    ```python model
    tags = Column(JSON, default=list)          # a new list per row
    settings = Column(JSON, default=lambda: {"theme": "light"})
    ```
    """

    code = "MA104"
    name = "mutable-shared-default"
    severity = Severity.WARNING

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.models is None:
            return
        hits = []
        for table in facts.models.tables.values():
            for col in table.columns.values():
                d = col.default
                if d is not None and d.kind is DefaultKind.CONSTANT and type(d.value) in _FACTORY:
                    hits.append((table, col, d))
        for group in by_definition(hits):
            table, col, d = group[0]
            obj = f"{table.key}.{col.name}"
            factory = _FACTORY[type(d.value)]
            spelled = d.source or repr(d.value)
            fix = f"default={factory}" if not d.value else f"default=lambda: {spelled}"
            yield self.finding(
                f"{obj}{also_on(group)}: default={spelled} is one {factory} object shared by every row; "
                "changing it on one row before the flush changes it for every later row",
                f"create a new one per row: `{fix}`",
                d.location or col.location or table.location,  # type: ignore[arg-type]
                obj,
                fix=Fix("factory", d.location, d.source) if d.location and d.source else None,
            )
