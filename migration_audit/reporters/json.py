"""``--format json``: a public, versioned shape.

``{"version": 1, "findings": [{code, name, severity, message, help, path,
line, column, object}], "summary": {files, revisions, tables, findings}}``
"""

from __future__ import annotations

import json

from migration_audit.engine import AuditResult
from migration_audit.reporters.common import display_path


def render_json(result: AuditResult, color: bool = False) -> str:
    root = result.project.root
    payload = {
        "version": 1,
        "findings": [
            {
                "code": f.code,
                "name": f.name,
                "severity": str(f.severity),
                "message": f.message,
                "help": f.help,
                "path": display_path(f.location, root),
                "line": f.location.line,
                "column": f.location.column,
                "object": f.object,
            }
            for f in result.findings
        ],
        "summary": result.summary(),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
