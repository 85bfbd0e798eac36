from __future__ import annotations

from pathlib import Path

from migration_audit.facts import Location


def display_path(location: Location, root: Path) -> str:
    """Relative to the project folder when inside it, else absolute; always
    with forward slashes so that output is the same on every OS."""
    path = location.path
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()
