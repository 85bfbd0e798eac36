"""``--format github``: GitHub Actions workflow commands, one per finding,
which GitHub shows as annotations on the pull request's diff:
``::error file=app/models.py,line=25,col=61,title=MA101 constant-default-on-key::message``.
Paths are relative to the current folder (the workspace in Actions)."""

from __future__ import annotations

import os
from pathlib import Path

from migration_audit.engine import AuditResult
from migration_audit.findings import Severity

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _path(path: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path(os.getcwd()).resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def render_github(result: AuditResult, color: bool = False) -> str:
    lines = []
    for f in result.findings:
        props = (f"file={_property(_path(f.location.path))},line={f.location.line},col={f.location.column},"
                 f"title={_property(f'{f.code} {f.name}')}")
        lines.append(f"::{_COMMAND[f.severity]} {props}::{_data(f'{f.message}. help: {f.help}')}")
    return "".join(line + "\n" for line in lines)
