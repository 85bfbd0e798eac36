"""Implementation of rule MA205."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.defaults import misfit
from migration_audit.facts import DefaultKind, DefaultValue, Facts, Location
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import DIALECT_NAMES, Rule


def _literal(value: DefaultValue | None) -> str | None:
    if value is None or value.kind not in (DefaultKind.CONSTANT, DefaultKind.SQL):
        return None
    return value.sql


class ServerDefaultTypeMismatch(Rule):
    """A literal server default cannot be stored in the column's type.

    ## What it does
    Checks each literal server default, in the models and in every migration
    that sets one, against the column's type on the target dialect: an
    integer or numeric column needs a number (with no more digits before the
    point than `NUMERIC(p, s)` holds), a UUID column a UUID, a JSON column
    valid JSON, a date/time column a date, a timestamp or a time of day, a
    boolean a boolean (PostgreSQL refuses a bare `0`/`1`; MySQL stores
    booleans as integers), and a string must fit the column's length.
    Expressions (`func.now()`, `text("gen_random_uuid()")`) and arrays are
    not checked.

    ## Why is this bad?
    The migration fails when it creates or alters the table (`invalid input
    syntax for type integer: "abc"`), or, for a string longer than the
    column, every insert that relies on the default fails. Tests on SQLite,
    which stores anything anywhere, do not notice.

    ## Example
    ```python model
    retries = mapped_column(Integer, server_default="three")
    active = mapped_column(Boolean, server_default=text("1"))   # on PostgreSQL
    ```

    ## Use instead
    ```python model
    retries = mapped_column(Integer, server_default="3")
    active = mapped_column(Boolean, server_default=true())
    ```
    """

    code = "MA205"
    name = "server-default-type-mismatch"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        dialect = facts.dialect
        if facts.models is not None:
            for table in facts.models.tables.values():
                for col in table.columns.values():
                    reason = misfit(col.type, _literal(col.server_default), dialect, col.choices)
                    if reason is not None and col.server_default is not None:
                        yield self._finding(f"{table.key}.{col.name}", "the model's", col.server_default, col.type,
                                            reason, dialect, col.server_default.location or col.location)
        if facts.migrations is not None:
            for event in facts.migrations.server_defaults_set:
                reason = misfit(event.column_type, _literal(event.value), dialect)
                if reason is not None:
                    yield self._finding(event.object, f"migration {event.revision}'s", event.value,
                                        event.column_type, reason, dialect, event.location)

    def _finding(self, obj: str, whose: str, value: DefaultValue, type_text: str, reason: str, dialect: str,
                 location: Location | None) -> Finding:
        on = f" on {DIALECT_NAMES[dialect]}" if dialect in DIALECT_NAMES else ""
        return self.finding(
            f"{obj}: {whose} server default {value.describe()} does not fit {type_text}{on}: {reason}",
            "write a value of the column's type, or change the type; an expression (`sa.text(...)`) is "
            "evaluated by the database and not checked here",
            location,  # type: ignore[arg-type]
            obj,
        )
