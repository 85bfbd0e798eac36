from __future__ import annotations

from pathlib import Path

from migration_audit.facts import Location
from migration_audit.findings import Finding


def display_path(location: Location, root: Path) -> str:
    return location.shown_path(root)


def format_finding(f: Finding, root: Path, where: str | None = None) -> str:
    """``path:line:col: CODE [severity] message`` and an indented ``help:``
    line: the one text form of a finding (reports, hooks, pytest). ``where``
    replaces the location (a revision not yet written)."""
    loc = where or f"{display_path(f.location, root)}:{f.location.line}:{f.location.column}"
    return f"{loc}: {f.code} [{f.severity}] {f.message}\n    help: {f.help}"
