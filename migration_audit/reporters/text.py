"""The default format: ``path:line:col: CODE [severity] message`` and an
indented ``help:`` line per finding."""

from __future__ import annotations

from migration_audit.engine import AuditResult
from migration_audit.findings import Severity
from migration_audit.reporters.common import display_path, format_finding

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"


def render_text(result: AuditResult, color: bool = False) -> str:
    lines: list[str] = []
    root = result.project.root
    for f in result.findings:
        if not color:
            lines.append(format_finding(f, root))
            continue
        where = f"{display_path(f.location, root)}:{f.location.line}:{f.location.column}:"
        lines.append(f"{_BOLD}{where}{_RESET} {f.code} {_COLORS[f.severity]}[{f.severity}]{_RESET} {f.message}")
        lines.append(f"    help: {f.help}")
    return "".join(line + "\n" for line in lines)
