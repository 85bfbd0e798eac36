from __future__ import annotations

from migration_audit.cli import main

raise SystemExit(main())
