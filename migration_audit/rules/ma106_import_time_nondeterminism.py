"""Implementation of rule MA106."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import DefaultKind, Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule, short


class ImportTimeNondeterminism(Rule):
    """A default differs between two fresh imports of the models.

    ## What it does
    Imports the model metadata in two fresh interpreters and compares every
    column's `default`, `server_default`, `onupdate` and `server_onupdate`.
    A value that differs was computed at import from a nondeterministic
    source, whatever path it took: a helper in another package, a settings
    object, a metaclass. Defaults the source check already explains (MA101,
    MA103) are not repeated here.

    ## Why is this bad?
    Each process gets its own frozen value and shares it across every row it
    writes: the same symptom as `default=str(uuid.uuid4())`, but hidden
    behind code no reviewer reads together with the model.

    ## Example
    ```python module
    class Settings:
        def __init__(self):
            self.default_token = secrets.token_hex(16)


    settings = Settings()
    ```
    ```python model
    api_key = Column(String(32), default=settings.default_token)
    ```

    ## Use instead
    ```python model
    api_key = Column(String(32), default=lambda: secrets.token_hex(16))
    ```
    """

    code = "MA106"
    name = "import-time-nondeterminism"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.models is None:
            return
        for v in facts.variances:
            first, second, col = v.first, v.second, v.column
            if first.frozen_origin:
                continue  # MA101/MA103 name the call
            table = facts.models.tables.get(v.table)
            if (
                v.attribute == "default"
                and first.kind is DefaultKind.CONSTANT
                and table is not None
                and table.is_key_column(col.name)
            ):
                continue  # MA101 reports a constant on a key column
            keyword = v.attribute
            spelled = f"{keyword}={first.source}" if first.source else keyword
            obj = f"{v.table}.{col.name}"
            later = short(second.value if second is not None and second.sql is None else (second.sql if second else None))
            earlier = short(first.value if first.sql is None else first.sql)
            yield self.finding(
                f"{obj}: {spelled} differs between two imports of the models ({earlier}, then {later}); it is "
                "computed once per process from a nondeterministic source, and every row that process writes "
                "gets it",
                f"compute it per row: pass a callable (`{keyword}=lambda: ...`) instead of a value computed at "
                "import",
                first.location or col.location,  # type: ignore[arg-type]
                obj,
            )
