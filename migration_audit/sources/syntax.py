"""Syntax from a newer Python than the one running the audit: which
construct a line that failed to parse uses, so that the finding names it
(`type Rows = ...` is Python 3.12) instead of a bare "invalid syntax"."""

from __future__ import annotations

import re
import sys

# (pattern on the line that failed, construct, the release that added it)
_CONSTRUCTS: list[tuple[re.Pattern[str], str, tuple[int, int]]] = [
    (re.compile(r"^\s*type\s+[A-Za-z_]\w*\s*(\[[^\]]*\])?\s*="), "the `type` statement", (3, 12)),
    (re.compile(r"^\s*(async\s+)?def\s+[A-Za-z_]\w*\s*\["), "a generic function (`def name[T](...)`)", (3, 12)),
    (re.compile(r"^\s*class\s+[A-Za-z_]\w*\s*\["), "a generic class (`class Name[T]:`)", (3, 12)),
    (re.compile(r"""\b[fF][rR]?(?P<q>["'])[^\n]*?\{[^}\n]*(?P=q)"""),
     "an f-string that reuses its quote inside `{...}`", (3, 12)),
    (re.compile(r"""\b[fF][rR]?(?P<q>["'])[^\n]*?\{[^}\n]*\\"""), "a backslash inside an f-string's `{...}`", (3, 12)),
    (re.compile(r"^\s*except\*?\s+[A-Za-z_][\w.]*\s*,\s*[A-Za-z_][\w.,\s]*:"),
     "`except A, B:` without parentheses", (3, 14)),
    (re.compile(r"""(?<![\w.])[tT][rR]?["']"""), "a template string (`t\"...\"`)", (3, 14)),
]


def newer_syntax(line: str) -> tuple[str, str] | None:
    """(construct, "3.12") when ``line`` uses syntax newer than this Python."""
    for pattern, construct, version in _CONSTRUCTS:
        if sys.version_info[:2] < version and pattern.search(line):
            return construct, f"{version[0]}.{version[1]}"
    return None


def running() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"
