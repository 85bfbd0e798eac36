"""``--format gcc``: ``path:line:col: error: message [MA101]``, the form
editors and ``grep``-minded tools parse (squawk's Gcc reporter)."""

from __future__ import annotations

from migration_audit.engine import AuditResult
from migration_audit.findings import Severity

_KIND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_gcc(result: AuditResult, color: bool = False) -> str:
    root = result.project.root
    return "".join(
        f"{f.location.shown_path(root)}:{f.location.line}:{f.location.column}: {_KIND[f.severity]}: "
        f"{f.message} [{f.code}]\n"
        for f in result.findings
    )
