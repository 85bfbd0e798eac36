from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from migration_audit.facts import Location
from migration_audit.findings import Finding

if TYPE_CHECKING:
    from migration_audit.engine import AuditResult


def display_path(location: Location, root: Path) -> str:
    return location.shown_path(root)


def format_finding(f: Finding, root: Path, where: str | None = None) -> str:
    """``path:line:col: CODE [severity] message`` and an indented ``help:``
    line: the one text form of a finding (reports, hooks, pytest). ``where``
    replaces the location (a revision not yet written)."""
    loc = where or f"{display_path(f.location, root)}:{f.location.line}:{f.location.column}"
    return f"{loc}: {f.code} [{f.severity}] {f.message}\n    help: {f.help}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summary_line(result: AuditResult) -> str:
    """``Found 2 findings (1 error, 1 warning) in 4 files, 3 revisions, 2 tables.``"""
    s = result.summary()
    scope = ", ".join(_count(s[k], k[:-1]) for k in ("files", "revisions", "tables"))
    if not result.findings:
        return f"No findings in {scope}."
    counts = Counter(str(f.severity) for f in result.findings)
    detail = ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in sorted(counts.items()))
    return f"Found {_count(len(result.findings), 'finding')} ({detail}) in {scope}."
