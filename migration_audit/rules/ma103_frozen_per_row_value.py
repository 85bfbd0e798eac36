"""Implementation of rule MA103."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import Facts
from migration_audit.findings import Finding, Fix, Severity
from migration_audit.rules.base import Rule, also_on, by_definition, one_value_for_all
from migration_audit.rules.ma101_constant_default_on_key import fix_kind, frozen_help

_KEYWORDS = (("default", "default"), ("onupdate", "onupdate"), ("server_default", "server_default"))


class FrozenPerRowValue(Rule):
    """A per-row value (a UUID, the current time, a random token) is computed once, when the model is defined.

    ## What it does
    Finds `default=`, `insert_default=`, `onupdate=` and `server_default=`
    whose expression calls a per-row source at definition time:
    `uuid.uuid4()`, `datetime.now()`, `datetime.utcnow()`, `date.today()`,
    `time.time()`, `random.*()`, `secrets.token_*()`, `os.urandom()`,
    `shortuuid.uuid()`, `nanoid.generate()`, `ULID()`, `ObjectId()`…,
    however they are imported, through chains on the result (`.hex`,
    `str(...)`, f-strings, `.isoformat()`), module-level constants
    (`NOW = datetime.now()`) and project functions called at definition. On a
    column that must be unique on its own, MA101 reports it instead.

    ## Why is this bad?
    The call runs once, when the class body runs. Every row the process
    writes gets the value from that moment: `created_at` is the time the
    worker started, a "random" token is the same for everyone. Nothing
    fails, so it is found late, in the data.

    ## Example
    ```python model
    created_at = Column(DateTime, default=datetime.datetime.now())
    ```

    ## Use instead
    ```python model
    created_at = Column(DateTime, default=datetime.datetime.now)   # the callable
    # or in the database: server_default=sa.func.now()
    ```
    """

    code = "MA103"
    name = "frozen-per-row-value"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        yield from self._migrations(facts)
        if facts.models is None:
            return
        for attr, keyword in _KEYWORDS:
            hits = []
            for table in facts.models.tables.values():
                for col in table.columns.values():
                    value = getattr(col, attr)
                    if value is None or not value.frozen_origin:
                        continue
                    if attr == "default" and table.is_key_column(col.name):
                        continue  # MA101 reports it, with the duplicate key it causes
                    hits.append((table, col, value))
            for group in by_definition(hits):
                table, col, value = group[0]
                obj = f"{table.key}.{col.name}"
                via = f" (through {value.frozen_via})" if value.frozen_via else ""
                message = (
                    f"{obj}{also_on(group)}: {keyword}={value.source} calls {value.frozen_origin}{via} once, "
                    f"when the model is defined; every row gets that one value instead of its own"
                )
                if keyword == "server_default":
                    help = (
                        "let the database compute it per row: `server_default=sa.func.now()` for a timestamp, "
                        '`server_default=sa.text("gen_random_uuid()")` for a UUID (PostgreSQL)'
                    )
                else:
                    help = frozen_help(value, col, keyword)
                kind = fix_kind(value, col) if keyword != "server_default" else None
                yield self.finding(message, help, value.location or col.location or table.location, obj,  # type: ignore[arg-type]
                                   fix=Fix(kind, value.location, value.source) if kind and value.location else None)

    def _migrations(self, facts: Facts) -> Iterator[Finding]:
        """A migration that computes a server default with a per-row call:
        the value is computed once, when the migration runs, and baked in."""
        if facts.migrations is None:
            return
        for event in facts.migrations.server_defaults_set:
            value = event.value
            if not value.frozen_origin or (event.temporary and not event.is_key):
                continue
            where, consequence, severity = one_value_for_all(event.is_key, event.key_reason)
            yield self.finding(
                f"{event.object}{where}: migration {event.revision} sets server_default={value.source}, which "
                f"calls {value.frozen_origin} once, when the migration runs; {consequence}",
                'let the database compute it per row: `server_default=sa.text("gen_random_uuid()")` (PostgreSQL) '
                "for a UUID, `server_default=sa.func.now()` for a timestamp",
                event.location,
                event.object,
                severity,
            )
