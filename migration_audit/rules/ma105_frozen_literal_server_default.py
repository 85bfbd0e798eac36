"""Implementation of rule MA105."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.defaults import (
    PG_FROZEN_TIME_WORDS,
    FrozenLiteral,
    classify_literal,
    literal_of,
    string_literal_content,
    type_family,
)
from migration_audit.facts import DefaultKind, DefaultValue, Facts, Location
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule, one_value_for_all


def frozen_literal(value: DefaultValue | None, near) -> FrozenLiteral | None:  # type: ignore[no-untyped-def]
    """A timestamp, epoch or token literal a server default hard-codes
    (UUIDs are MA102's)."""
    if value is None or value.kind not in (DefaultKind.CONSTANT, DefaultKind.SQL):
        return None
    text = value.value if isinstance(value.value, str) else (
        string_literal_content(value.sql) if value.sql else None
    )
    if text is None and value.sql is not None and value.kind is DefaultKind.SQL:
        text = value.sql.strip("() ")  # an epoch number written as sa.text("1796320000")
    if text is None:
        return None
    inner = string_literal_content(text)
    found = classify_literal(inner if inner is not None else text, near)
    return found if found is not None and found.kind != "uuid" else None


def pg_time_word(value: DefaultValue | None, type_text: str, dialect: str) -> FrozenLiteral | None:
    """``DEFAULT 'now'`` on a PostgreSQL date/time column: PostgreSQL turns
    the special input into a constant when it creates the table."""
    if value is None or dialect not in ("postgresql", "default", "") or value.kind is not DefaultKind.CONSTANT:
        return None
    lit = literal_of(value.sql)
    if lit is None or not lit[1] or lit[0].strip().lower() not in PG_FROZEN_TIME_WORDS:
        return None
    if type_family(type_text)[0] not in ("temporal", "date"):
        return None
    return FrozenLiteral("pg-now", lit[0], lit[0].strip().lower())


class FrozenLiteralServerDefault(Rule):
    """A server default is a timestamp or token that someone's code generated once.

    ## What it does
    Finds a server default that is a literal timestamp or epoch time close to
    the revision's `Create Date` (what `datetime.now()` returned while the
    migration was written), or a random-looking token (16+ hex or base64url
    characters), in a migration's `server_default=` or `DEFAULT …` in
    `op.execute` SQL, and random-looking tokens in the model's
    `server_default=`; and `'now'`, `'today'`, `'tomorrow'` or `'yesterday'`
    as the default of a date/time column on PostgreSQL, which stores the
    moment the table was created. An error on a column that must be unique on its own,
    a warning elsewhere. Fixed sentinels (`'1970-01-01'`) are not reported.

    ## Why is this bad?
    The value was meant to be computed per row but was rendered into the
    schema once: every row inserted without the column gets the moment the
    migration was written, or the same "secret" token.

    ## Example
    In a revision whose `Create Date` is 2026-12-03 17:38:59.120849:
    ```python migration
    op.add_column("users", sa.Column("created_at", sa.DateTime(), server_default="2026-12-03 17:38:59.120849"))
    ```

    ## Use instead
    ```python migration
    op.add_column("users", sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()))
    ```
    """

    code = "MA105"
    name = "frozen-literal-server-default"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.models is not None:
            for table in facts.models.tables.values():
                for col in table.columns.values():
                    found = frozen_literal(col.server_default, None) or pg_time_word(
                        col.server_default, col.type, facts.dialect)
                    if found is None or col.server_default is None or col.server_default.frozen_origin:
                        continue  # MA103 names the call that produced it
                    is_key = table.is_key_column(col.name)
                    yield self._finding(f"{table.key}.{col.name}", "the model's server default is", found, is_key,
                                        table.key_reason(col.name), col.server_default.location or col.location)
        if facts.migrations is not None:
            revs = facts.migrations.revisions
            for event in facts.migrations.server_defaults_set:
                rev = revs.get(event.revision)
                found = frozen_literal(event.value, rev.created if rev else None) or pg_time_word(
                    event.value, event.column_type, facts.dialect)
                if found is None or (event.temporary and not event.is_key):
                    continue
                yield self._finding(event.object, f"migration {event.revision} sets the server default to", found,
                                    event.is_key, event.key_reason, event.location)

    def _finding(self, obj: str, what: str, found: FrozenLiteral, is_key: bool, reason: str | None,
                 location: Location | None) -> Finding:
        where, consequence, severity = one_value_for_all(is_key, reason)
        if found.kind == "pg-now":
            help = "let the database compute it per row: `server_default=sa.func.now()`"
            shown = (f"'{found.text}', which PostgreSQL turns into a constant when it creates the table "
                     "(the moment the migration ran)")
        elif found.kind in ("timestamp", "epoch"):
            help = "let the database compute it per row: `server_default=sa.func.now()`"
            shown = f"the {found.describe()} '{found.text}', written when the migration was generated"
        else:
            help = ("generate it per row (`default=lambda: secrets.token_urlsafe(32)` in the model), "
                    "never a literal")
            shown = f"the {found.describe()} '{found.text}'"
        return self.finding(
            f"{obj}{where}: {what} {shown}; {consequence}",
            help,
            location,  # type: ignore[arg-type]
            obj,
            severity,
        )
