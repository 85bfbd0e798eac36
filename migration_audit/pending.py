"""Which revisions a database has not applied yet, and the findings in them.

Used by ``check --pending --database-url URL`` and by the upgrade guard in
env.py: before ``alembic upgrade`` runs anything, audit what it is about to
run. The applied revisions are read by :mod:`.sources.database`.
"""

from __future__ import annotations

from collections.abc import Iterable

from migration_audit.facts import MigrationHistory
from migration_audit.findings import Finding


def pending_revisions(history: MigrationHistory, heads: Iterable[str]) -> set[str]:
    """Revisions that are not the applied heads or their ancestors."""
    applied: set[str] = set()
    stack = [h for h in heads if h in history.revisions]
    while stack:
        rev = stack.pop()
        if rev in applied:
            continue
        applied.add(rev)
        r = history.revisions[rev]
        stack.extend(d for d in (*r.down_revisions, *r.depends_on) if d in history.revisions)
    return set(history.revisions) - applied


def in_revisions(findings: list[Finding], history: MigrationHistory, revisions: set[str]) -> list[Finding]:
    paths = {history.revisions[r].path.resolve() for r in revisions}
    return [f for f in findings if f.location.path.resolve() in paths]
