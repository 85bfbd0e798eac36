from __future__ import annotations

import os
import sys

# `python -m migration_audit` puts the current folder first on sys.path. Run
# from a project folder, the project's modules would shadow the libraries
# (a `sqlalchemy.py` of the project would run in the auditor, even with
# --static). This package is imported already and does not need the entry.
if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == os.getcwd():
    del sys.path[0]

from migration_audit.console import main  # noqa: E402 - after sys.path is safe

raise SystemExit(main())
