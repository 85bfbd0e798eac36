"""The ``alembic.plugins`` entry point (Alembic 1.18+).

Alembic imports this module whenever ``alembic`` itself is imported, so it
stays small and imports the auditor only when something runs:

- the ``migration_audit`` post-write hook type;
- a server-default comparator, used when a project adds ``"migration_audit"``
  to ``context.configure(autogenerate_plugins=[...])`` and turns
  ``compare_server_default`` on: spelling-only differences are no change,
  no SQL is run to decide, and a default with a quote does not crash.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)


def _write_hook(filename: str, options: Mapping[str, str]) -> None:
    from migration_audit.hooks import write_hook

    write_hook(filename, options)


def compare_column_server_default(
    autogen_context: Any, alter_column_op: Any, schema: str | None, tname: str, cname: str,
    conn_col: Any, metadata_col: Any,
) -> Any:
    from alembic.util import PriorityDispatchResult

    from migration_audit.compare import compare_server_default

    migration_context = autogen_context.migration_context
    option = getattr(migration_context, "_user_compare_server_default", False)
    if option is False or callable(option):
        return PriorityDispatchResult.CONTINUE  # off, or the project's own function decides
    conn_default = conn_col.server_default
    metadata_default = metadata_col.server_default
    conn_text = conn_default.arg.text if conn_default is not None and hasattr(conn_default.arg, "text") else None
    verdict = compare_server_default(migration_context, conn_col, metadata_col, conn_text, metadata_default, None)
    if verdict is None:
        return PriorityDispatchResult.CONTINUE
    alter_column_op.existing_server_default = conn_default
    if verdict:
        alter_column_op.modify_server_default = metadata_default
        log.info("migration-audit: server default of %s.%s changed", tname, cname)
    return PriorityDispatchResult.STOP


def setup(plugin: Any) -> None:
    from alembic.script import write_hooks
    from alembic.util import DispatchPriority

    if "migration_audit" not in getattr(write_hooks, "_registry", {}):
        write_hooks.register("migration_audit")(_write_hook)
    plugin.add_autogenerate_comparator(
        compare_column_server_default, "column", "server_default", priority=DispatchPriority.FIRST
    )
