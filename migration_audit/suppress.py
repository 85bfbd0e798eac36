"""Suppressions, applied after the rules run: ignore comments, config's
``per-file-ignores`` and ``exclude``, and ``severity`` overrides.

- ``# migration-audit: ignore[MA101]`` on the finding's line, or alone on the
  line just above it; ``ignore[MA101, MA204]`` for several; a bare
  ``ignore`` for any rule.
- ``# migration-audit: ignore-file[MA201]`` anywhere in a file.
- An ignore that matches nothing is reported (MA007) when the rules it names
  ran; an unknown code in a comment is a usage error naming the closest one.

Comments are read with :mod:`tokenize`, so the text inside strings never
counts; only files that contain ``migration-audit:`` are tokenized.
"""

from __future__ import annotations

import fnmatch
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from migration_audit.config import Project, UsageError
from migration_audit.facts import Location
from migration_audit.findings import Finding, Severity

_COMMENT = re.compile(r"#\s*migration-audit:\s*(ignore-file|ignore)\b\s*(?:\[([^\]]*)\])?", re.IGNORECASE)


@dataclass(slots=True)
class IgnoreComment:
    location: Location
    kind: str  # "ignore" or "ignore-file"
    selectors: dict[str, frozenset[str]]  # as written → the codes each names; empty: any rule
    alone: bool  # nothing but the comment on its line
    used: set[str] = field(default_factory=set)  # codes it suppressed

    def matches(self, code: str) -> bool:
        return not self.selectors or any(code in codes for codes in self.selectors.values())

    def unused(self, ran: set[str]) -> list[str] | None:
        """The selectors that suppressed nothing although their rules ran
        (``[]`` for a bare ignore that matched nothing); None when all did."""
        if not self.selectors:
            return None if self.used else []
        idle = [s for s, codes in self.selectors.items() if codes & ran and not codes & self.used]
        return idle or None


def read_comments(path: Path) -> list[IgnoreComment]:
    """The ignore comments in one Python file; a UsageError for an unknown
    rule code, located at the comment."""
    from migration_audit.rules import UnknownRule, expand

    try:
        data = path.read_bytes()
    except OSError:
        return []
    if b"migration-audit:" not in data:
        return []
    found: list[IgnoreComment] = []
    try:
        tokens = list(tokenize.tokenize(io.BytesIO(data).readline))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        return []  # an unreadable file is reported as MA001 by the migration reader
    code_lines = {t.start[0] for t in tokens if t.type not in (
        tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
        tokenize.ENDMARKER)}
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = _COMMENT.search(tok.string)
        if m is None:
            continue
        line, col = tok.start
        where = Location(path.resolve(), line, col + 1 + m.start())
        selectors: dict[str, frozenset[str]] = {}
        for selector in (s.strip() for s in (m.group(2) or "").split(",")):
            if not selector:
                continue
            try:
                selectors[selector] = frozenset(expand(selector))
            except UnknownRule as exc:
                raise UsageError(f"{path}:{line}:{col + 1}: {m.group(0)}: {exc}") from None
        found.append(IgnoreComment(where, m.group(1).lower(), selectors, line not in code_lines))
    return found


def _glob_match(path: str, pattern: str) -> bool:
    return fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.rstrip("/") + "/*") or (
        "/" not in pattern and fnmatch.fnmatch(path.rsplit("/", 1)[-1], pattern))


@dataclass(slots=True)
class Suppressed:
    findings: list[Finding]
    unused: list[tuple[IgnoreComment, list[str]]]  # comments (or the codes in them) that matched nothing


def apply(findings: list[Finding], project: Project, files: set[Path], ran: set[str]) -> Suppressed:
    """Drop what the comments in ``files`` (and in the findings' own files),
    ``per-file-ignores`` and ``exclude`` suppress; apply ``severity``."""
    by_file: dict[Path, list[IgnoreComment]] = {}
    for path in sorted({*(p.resolve() for p in files), *(f.location.path.resolve() for f in findings)}):
        if _excluded(path, project):
            continue  # nothing in an excluded file is reported, its unused ignores included
        comments = read_comments(path)
        if comments:
            by_file[path] = comments
    kept: list[Finding] = []
    for f in findings:
        path = f.location.path.resolve()
        if _excluded(path, project):
            continue
        shown = f.location.shown_path(project.root)
        if any(f.code in _codes(selectors) and _glob_match(shown, pattern)
               for pattern, selectors in project.per_file_ignores.items()):
            continue
        hit = None
        for c in by_file.get(path, ()):
            if not c.matches(f.code):
                continue
            if c.kind == "ignore-file" or c.location.line == f.location.line or (
                    c.alone and c.location.line == f.location.line - 1):
                hit = c
                break
        if hit is not None:
            hit.used.add(f.code)
            continue
        if f.code in project.severity:
            f = _with_severity(f, project.severity[f.code])
        kept.append(f)
    unused: list[tuple[IgnoreComment, list[str]]] = []
    for comments in by_file.values():
        for c in comments:
            idle = c.unused(ran)
            if idle is not None:
                unused.append((c, idle))
    return Suppressed(kept, unused)


def _excluded(path: Path, project: Project) -> bool:
    if not project.exclude:
        return False
    shown = Location(path, 1, 1).shown_path(project.root)
    return any(_glob_match(shown, pattern) for pattern in project.exclude)


def _codes(selectors: list[str]) -> set[str]:
    from migration_audit.rules import expand

    return {code for s in selectors for code in expand(s)}


def _with_severity(f: Finding, level: str) -> Finding:
    from dataclasses import replace

    return replace(f, severity={"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}[level])
