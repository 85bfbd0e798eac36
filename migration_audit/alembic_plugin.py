"""The ``alembic.plugins`` entry point (Alembic 1.18+).

Alembic imports this module whenever ``alembic`` itself is imported, so it
stays tiny: it registers the ``migration_audit`` post-write hook type with a
wrapper that imports the auditor only when a hook actually runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _write_hook(filename: str, options: Mapping[str, str]) -> None:
    from migration_audit.hooks import write_hook

    write_hook(filename, options)


def setup(plugin: Any) -> None:
    from alembic.script import write_hooks

    if "migration_audit" not in getattr(write_hooks, "_registry", {}):
        write_hooks.register("migration_audit")(_write_hook)
