"""The ``migration-audit`` command. For ``check``, the model worker starts
first (it imports SQLAlchemy while the rest of the tool is imported and the
configuration read); then :func:`migration_audit.cli.main` runs."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        if sys.argv[1:2] == ["check"]:
            from migration_audit.sources.child import prestart_model_worker

            prestart_model_worker(static="--static" in sys.argv[2:])
        from migration_audit.cli import main as cli_main
    except KeyboardInterrupt:  # Ctrl-C while the tool is still being imported
        from migration_audit.sources.child import discard_prestarted

        discard_prestarted()
        print("migration-audit: interrupted", file=sys.stderr)
        return 130
    return cli_main()
