"""Findings: what rules produce and reporters render."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from migration_audit.facts import Location


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Fix:
    """An unambiguous rewrite of the expression that starts at ``location``:
    ``per-row`` (``uuid.uuid4()`` → ``uuid.uuid4``, ``str(uuid.uuid4())`` →
    ``lambda: str(uuid.uuid4())``), ``factory`` (``[]`` → ``list``,
    ``{...}`` → ``lambda: {...}``)."""

    kind: str
    location: Location
    # The expression as the audit read it (as in messages: on one line,
    # perhaps shortened): a file changed since, by hand or by another
    # `--fix` running at the same time, is not rewritten.
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    help: str
    location: Location
    object: str | None = None
    fix: Fix | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (str(self.location.path), self.location.line, self.location.column, self.code, self.message)
