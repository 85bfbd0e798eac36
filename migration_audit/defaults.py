"""Default comparison: classify literals and normalise server-default SQL.

This is the one place that decides whether two spellings of a server default
mean the same thing, and whether a literal is a per-row value that was frozen
(a UUID). Rules call it; nothing here does I/O.
"""

from __future__ import annotations

import re

_HEX = "[0-9a-fA-F]"
_UUID_RE = re.compile(
    rf"""
    (?:urn:uuid:)?
    (?:
        \{{{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}\}}
      | {_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}
      | {_HEX}{{32}}
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
NIL_UUID = "00000000-0000-0000-0000-000000000000"


def uuid_literal(text: str) -> str | None:
    """The canonical UUID if ``text`` is, in its entirety, a UUID in any common
    spelling (canonical, upper case, braces, ``urn:uuid:``, 32 hex digits)."""
    text = text.strip()
    if not _UUID_RE.fullmatch(text):
        return None
    digits = re.sub(r"[^0-9a-fA-F]", "", text.removeprefix("urn:uuid:").removeprefix("URN:UUID:"))
    if len(digits) != 32:
        return None
    d = digits.lower()
    return f"{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:]}"


def quote_sql_string(value: str) -> str:
    """A SQL string literal: ``it's`` -> ``'it''s'``."""
    return "'" + value.replace("'", "''") + "'"


def _outer_parens_wrap_all(text: str) -> bool:
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    quote: str | None = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return depth == 0


def strip_outer_parens(text: str) -> str:
    text = text.strip()
    while _outer_parens_wrap_all(text):
        text = text[1:-1].strip()
    return text


_STRING_LITERAL_RE = re.compile(r"^[NnEe]?'((?:[^']|'')*)'(?:\s*::\s*[\w .\"\[\]()]+)?$", re.DOTALL)


def string_literal_content(sql: str) -> str | None:
    """The value of ``sql`` if it is a single SQL string literal, allowing
    outer parentheses and a PostgreSQL cast (``'x'::character varying``)."""
    text = strip_outer_parens(sql)
    m = _STRING_LITERAL_RE.match(text)
    if not m:
        return None
    return m.group(1).replace("''", "'")


_NOW_SPELLINGS = {
    "now()",
    "current_timestamp",
    "current_timestamp()",
    "transaction_timestamp()",
}
_TRUE = {"true", "1", "'t'", "'true'", "'1'", "b'1'"}
_FALSE = {"false", "0", "'f'", "'false'", "'0'", "b'0'"}


def _lower_outside_quotes(text: str) -> str:
    out: list[str] = []
    quote: str | None = None
    for ch in text:
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
            out.append(ch)
        else:
            out.append(ch.lower())
    return "".join(out)


def _collapse_space(text: str) -> str:
    out: list[str] = []
    quote: str | None = None
    prev_space = False
    for ch in text:
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        if ch.isspace():
            prev_space = True
            continue
        if prev_space and out and not (out[-1] in "(," or ch in "),("):
            out.append(" ")
        prev_space = False
        out.append(ch)
    return "".join(out)


def normalize_server_default(sql: str | None, *, boolean: bool = False) -> str | None:
    """A canonical form of a server default's SQL text, so that spellings that
    mean the same thing compare equal: quotes around a literal, ``sa.text``
    against a plain string, outer parentheses, keyword case, whitespace,
    ``now()`` / ``CURRENT_TIMESTAMP``, and for boolean columns
    ``true``/``1``/``'t'``."""
    if sql is None:
        return None
    text = strip_outer_parens(sql)
    literal = string_literal_content(text)
    if literal is not None:
        # A pre-quoted Python string ("'abc'") renders as the literal 'abc'
        # wrapped once more; Alembic treats both spellings as one value.
        inner = string_literal_content(literal)
        text = inner if inner is not None else literal
        text = "'" + text.replace("'", "''") + "'"
        canonical = text
    else:
        canonical = _collapse_space(_lower_outside_quotes(text))
    if canonical in _NOW_SPELLINGS:
        return "current_timestamp"
    if boolean:
        low = canonical.lower()
        if low in _TRUE:
            return "true"
        if low in _FALSE:
            return "false"
    # A quoted number and the bare number are the same default.
    m = re.fullmatch(r"'(-?\d+(?:\.\d+)?)'", canonical)
    if m:
        canonical = m.group(1)
    if re.fullmatch(r"-?\d+\.\d+", canonical):
        canonical = canonical.rstrip("0").rstrip(".")
    return canonical


def same_server_default(a: str | None, b: str | None, *, boolean: bool = False) -> bool:
    return normalize_server_default(a, boolean=boolean) == normalize_server_default(b, boolean=boolean)
