"""The default format: ``path:line:col: CODE [severity] message`` and an
indented ``help:`` line per finding, then one summary line."""

from __future__ import annotations

from collections import Counter

from migration_audit.engine import AuditResult
from migration_audit.findings import Severity
from migration_audit.reporters.common import display_path, format_finding

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"
_BOLD = "\033[1m"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


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
    s = result.summary()
    scope = ", ".join(_count(s[k], k[:-1]) for k in ("files", "revisions", "tables"))
    if result.findings:
        counts = Counter(str(f.severity) for f in result.findings)
        detail = ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in sorted(counts.items()))
        noun = "finding" if len(result.findings) == 1 else "findings"
        lines.append(f"Found {len(result.findings)} {noun} ({detail}) in {scope}.")
    else:
        lines.append(f"No findings in {scope}.")
    return "\n".join(lines) + "\n"
