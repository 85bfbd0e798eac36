"""Implementation of rule MA021."""

from __future__ import annotations

from collections.abc import Iterator

from migration_audit.facts import Facts, UnreadCall
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule


class MigrationCallNotAnalysed(Rule):
    """A migration calls a function from project code, which is not analysed.

    ## What it does
    Reports, as information, the functions a revision imports from outside
    the standard library and the SQLAlchemy/Alembic family and calls as a
    statement in `upgrade()` (a helper that creates tables or adds columns),
    once per revision and module. Migrations are never imported, and neither is the
    code they call, so what the helper does to the schema is unknown; tables
    named in its arguments are left out of the drift comparison rather than
    guessed.

    ## Why is this bad?
    It is not wrong in itself, but the audit cannot check it: a frozen
    default or a NOT NULL column the helper adds goes unreported. `--replay`
    runs the chain for real and sees what the helper did.

    ## Example
    ```python migration
    from app.db_helpers import add_audit_columns
    add_audit_columns("users")
    ```

    ## Use instead
    ```python migration
    op.add_column("users", sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()))
    ```
    """

    code = "MA021"
    name = "migration-call-not-analysed"
    severity = Severity.INFO

    def check(self, facts: Facts) -> Iterator[Finding]:
        if facts.migrations is None:
            return
        groups: dict[tuple[str, str], list[UnreadCall]] = {}
        for call in facts.migrations.unread_calls:
            groups.setdefault((call.revision, call.source or call.function.rsplit(".", 1)[0]), []).append(call)
        for (revision, source), calls in groups.items():
            names = list(dict.fromkeys(f"{c.call}()" for c in calls))
            shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
            times = f" ({len(calls)} calls)" if len(calls) > 1 else ""
            tables = sorted({t for c in calls for t in c.tables})
            left_out = (f"; {', '.join(tables)} {'is' if len(tables) == 1 else 'are'} left out of the drift "
                        "comparison" if tables else "")
            yield self.finding(
                f"revision {revision} calls {shown}{times} from {source}, which migration-audit does not import "
                f"or read: what {'it does' if len(names) == 1 else 'they do'} to the schema was not analysed"
                f"{left_out}",
                "nothing to do if the helper is reviewed; to have its changes audited, write them as `op.*` calls "
                "in the migration, or run `migration-audit check --replay`",
                calls[0].location,
                source,
            )
