"""migration-audit: find per-row values frozen into SQLAlchemy models and Alembic
migrations, and server/client default drift, before migrations are applied."""

from __future__ import annotations

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # `migration_audit.compare_server_default` for env.py, without importing
    # the comparison machinery on every `import migration_audit`.
    if name == "compare_server_default":
        from migration_audit.compare import compare_server_default

        return compare_server_default
    raise AttributeError(f"module 'migration_audit' has no attribute {name!r}")
