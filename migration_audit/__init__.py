"""migration-audit: find per-row values frozen into SQLAlchemy models and Alembic
migrations, and server/client default drift, before migrations are applied."""

from __future__ import annotations

__version__ = "0.1.0"
