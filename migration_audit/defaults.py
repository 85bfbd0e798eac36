"""Default comparison: classify literals and normalise server-default SQL.

This is the one place that decides whether two spellings of a server default
mean the same thing, and whether a literal is a per-row value that was frozen
(a UUID). Rules call it; nothing here does I/O. The string functions are
pure and memoised: several rules ask about the same texts for every column.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

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
    if "-" not in text and "{" not in text and not (d[12] in "12345678" and d[16] in "89ab"):
        return None  # 32 bare hex digits: a UUID's .hex only if version and variant fit (an MD5 rarely does)
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


@lru_cache(maxsize=8192)
def strip_outer_parens(text: str) -> str:
    text = text.strip()
    while _outer_parens_wrap_all(text):
        text = text[1:-1].strip()
    return text


_STRING_LITERAL_RE = re.compile(r"^[NnEe]?'((?:[^']|'')*)'(?:\s*::\s*[\w .\"\[\]()]+)?$", re.DOTALL)


@lru_cache(maxsize=8192)
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


_MYSQL_WORDS = {"NULL", "CURRENT_TIMESTAMP", "TRUE", "FALSE", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP"}
# Functions that are another spelling of CURRENT_TIMESTAMP on one dialect.
_NOW_BY_DIALECT = {
    "mssql": r"\bgetdate\(\)",
    "mysql": r"\blocaltimestamp(?:\(\))?|\blocaltime(?:\(\))?",
    "mariadb": r"\blocaltimestamp(?:\(\))?|\blocaltime(?:\(\))?",
}


_PG_TYPE = (
    r"""(?:"[^"]+"|character varying|timestamp with(?:out)? time zone|time with(?:out)? time zone"""
    r"|double precision|bit varying|[a-z_][\w.]*)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*"
)
# 'x'::character varying, '{}'::text[], '-1'::integer, NULL::text, 0::numeric
_PG_CAST_AFTER_LITERAL = re.compile(rf"('(?:[^']|'')*'|\b\d+(?:\.\d+)?|\bnull)::{_PG_TYPE}")


def _mysql_unquoted(text: str) -> str:
    """MySQL reports a string default without its quotes (``abc``), MariaDB
    with them (``'abc'``); a bare value that is not a number, a keyword or a
    function call is the string."""
    stripped = text.strip()
    if (
        stripped
        and string_literal_content(stripped) is None
        and "(" not in stripped
        and stripped.upper() not in _MYSQL_WORDS
        and not re.fullmatch(r"-?\d+(?:\.\d+)?", stripped)
        and " ON UPDATE " not in stripped.upper()
    ):
        return quote_sql_string(stripped)
    return stripped


@lru_cache(maxsize=8192)
def normalize_server_default(sql: str | None, *, boolean: bool = False, dialect: str = "") -> str | None:
    """A canonical form of a server default's SQL text, so that spellings that
    mean the same thing compare equal, on ``dialect`` (``postgresql``,
    ``mysql``, ``mariadb``, ``sqlite``, ``mssql``, or empty for any):

    - quotes, outer parentheses (SQLite, SQL Server's ``((0))``), keyword
      case and whitespace; ``sa.text("'x'")`` against the string ``"x"``;
    - PostgreSQL casts: ``'x'::character varying``, ``'{}'::jsonb``,
      ``'{}'::text[]``, ``'-1'::integer``, and casts inside expressions
      (``timezone('utc'::text, now())``);
    - ``now()``, ``CURRENT_TIMESTAMP``, ``current_timestamp()`` (MariaDB),
      ``transaction_timestamp()``, ``getdate()`` (SQL Server), also inside
      larger expressions and ``... ON UPDATE ...``; ``curdate()`` and
      ``curtime()`` (MariaDB); SQLite's spelling of ``LOCALTIMESTAMP``;
    - MySQL's unquoted string defaults;
    - numbers: ``'0'``/``0``, ``1.50``/``1.5``; booleans on boolean
      columns: ``true``/``1``/``'t'``/``b'1'``;
    - ``NULL`` is no default.

    ``now()`` and ``clock_timestamp()``, ``gen_random_uuid()`` and a literal,
    ``'0'`` and ``'1'`` stay different."""
    if sql is None:
        return None
    text = sql
    if dialect in ("mysql", "mariadb"):
        text = _mysql_unquoted(text)
    text = strip_outer_parens(text)
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
        # inside larger expressions too: timezone('utc', now()), now() + interval '1 day'
        canonical = re.sub(r"\b(?:now|current_timestamp|transaction_timestamp)\(\)|\bcurrent_timestamp\b",
                           "current_timestamp", canonical)
        extra = _NOW_BY_DIALECT.get(dialect)
        if extra:
            canonical = re.sub(extra, "current_timestamp", canonical)
        if dialect in ("mysql", "mariadb") and "cur" in canonical:
            # MariaDB reports DEFAULT CURRENT_DATE as curdate()
            canonical = re.sub(r"\b(?:curdate|current_date)\(\)", "current_date", canonical)
            canonical = re.sub(r"\b(?:curtime|current_time)\(\)", "current_time", canonical)
        if dialect == "sqlite" and "localtime" in canonical:
            # how SQLAlchemy writes func.localtimestamp() for SQLite
            canonical = re.sub(r"""datetime\(current_timestamp,(['"])localtime\1\)""", "localtimestamp", canonical)
        canonical = _PG_CAST_AFTER_LITERAL.sub(r"\1", canonical)
        canonical = strip_outer_parens(canonical)
    if canonical in _NOW_SPELLINGS:
        return "current_timestamp"
    if canonical == "null":
        return None
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


def is_sequence_default(sql: str) -> bool:
    """PostgreSQL's default on a serial column: ``nextval('t_id_seq'::regclass)``."""
    return strip_outer_parens(sql).lower().startswith("nextval(")


def same_server_default(a: str | None, b: str | None, *, boolean: bool = False, dialect: str = "") -> bool:
    return (normalize_server_default(a, boolean=boolean, dialect=dialect)
            == normalize_server_default(b, boolean=boolean, dialect=dialect))


# -- the literal classifier ---------------------------------------------------------
# Every rule that asks "is this literal a per-row value someone froze?" asks here.

@dataclass(frozen=True, slots=True)
class FrozenLiteral:
    """A literal that looks like one instance of a per-row value."""

    kind: str  # "uuid", "timestamp", "epoch", "token", "pg-now" (PostgreSQL's 'now' input)
    text: str  # the literal as written
    canonical: str  # normalised: the UUID in canonical form, the ISO timestamp
    when: datetime | None = None  # for timestamps and epochs

    def describe(self) -> str:
        return {
            "uuid": "UUID",
            "timestamp": "timestamp",
            "epoch": "epoch time",
            "token": "random-looking token",
            "pg-now": "special date/time input",
        }[self.kind]


_ISO_TS = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_HEX_TOKEN = re.compile(r"[0-9a-fA-F]{16,}")
_B64_TOKEN = re.compile(r"[A-Za-z0-9_\-]{16,}={0,2}")


def _entropy(text: str) -> float:
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def parse_timestamp(text: str) -> datetime | None:
    m = _ISO_TS.fullmatch(text.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, frac, _tz = m.groups()
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            int((frac or "0").ljust(6, "0")),
        )
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def classify_literal(text: str, near: datetime | None = None, window: timedelta = timedelta(days=2)) -> FrozenLiteral | None:
    """What per-row value ``text`` is a frozen instance of, if any.

    - a UUID in any spelling;
    - an ISO date/timestamp, or epoch seconds/milliseconds, within ``window``
      of ``near`` (the revision's creation date: the moment someone ran
      ``datetime.now()``); a fixed sentinel such as ``1970-01-01`` is not;
    - a hex token of 16+ characters, or a base64url token of 16+ characters
      that mixes character classes and looks random.
    """
    text = text.strip()
    if not text:
        return None
    found = uuid_literal(text)
    if found is not None:
        return FrozenLiteral("uuid", text, found)
    ts = parse_timestamp(text)
    if ts is not None:
        if near is not None and abs(ts - near) <= window and (len(text) > 10 or abs(ts.date() - near.date()) <= window):
            return FrozenLiteral("timestamp", text, ts.isoformat(sep=" "), ts)
        return None
    if re.fullmatch(r"\d{10}(\d{3})?(\.\d+)?", text) and near is not None:
        seconds = float(text) / (1000 if len(text.split(".")[0]) == 13 else 1)
        try:
            when = datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
        if abs(when - near) <= window:
            return FrozenLiteral("epoch", text, when.isoformat(sep=" "), when)
        return None
    if _HEX_TOKEN.fullmatch(text):
        if any(c.isdigit() for c in text) and any(c.isalpha() for c in text) and _entropy(text) >= 3.0:
            return FrozenLiteral("token", text, text.lower())
        return None
    if _B64_TOKEN.fullmatch(text):
        body = text.rstrip("=")
        classes = sum(bool(re.search(p, body)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
        if classes >= 3 and _entropy(body) >= 3.5 and not re.search(r"[a-z]{5,}", body):
            return FrozenLiteral("token", text, text)
    return None


def constant_as_sql(value: object) -> str | None:
    """The SQL literal a Python constant default stands for (``True`` →
    ``true``, ``'a'`` → ``'a'``, an Enum member → its name quoted, as
    SQLAlchemy's Enum stores it); None for values with no one spelling
    (datetimes, dicts, lists)."""
    import decimal
    import enum

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    if isinstance(value, enum.Enum):
        return quote_sql_string(value.name)
    from migration_audit.facts import EnumMember

    if isinstance(value, EnumMember):
        return quote_sql_string(value.name)
    if isinstance(value, str):
        return quote_sql_string(value)
    return None


_LITERAL_SQL = re.compile(r"'(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false|null", re.IGNORECASE)


def is_literal_sql(sql: str | None, *, boolean: bool = False) -> bool:
    """True when a server default is one literal value (a string, a number,
    a boolean), not an expression the database evaluates."""
    normalized = normalize_server_default(sql, boolean=boolean)
    return normalized is not None and _LITERAL_SQL.fullmatch(normalized) is not None


# -- does a literal fit the column type? ----------------------------------------------

_LENGTH = re.compile(r"\((?:\s*length\s*=\s*)?(\d+)", re.IGNORECASE)


@lru_cache(maxsize=8192)
def type_family(type_text: str) -> tuple[str, int | None]:
    """(family, length) of a column type as SQLAlchemy compiles it
    (``VARCHAR(20)``, ``TIMESTAMP WITHOUT TIME ZONE``) or as a migration
    spells it (``sa.String(length=20)``, ``DateTime()``). Families:
    boolean, integer, numeric, uuid, json, temporal, date, string, other."""
    t = type_text.upper()
    if "[]" in t or "ARRAY" in t:
        return "other", None  # '{}' and '{1,2}' are arrays, whatever the items
    if "BOOL" in t:
        return "boolean", None
    if "INTERVAL" in t:
        return "other", None
    if "UUID" in t or "UNIQUEIDENTIFIER" in t:
        return "uuid", None
    if "JSON" in t:
        return "json", None
    if re.search(r"DATETIME|TIMESTAMP|\bTIME\b|^TIME", t):
        return "temporal", None
    if re.search(r"\bDATE\b|^DATE", t):
        return "date", None
    if re.search(r"SERIAL|\w*INT(?:EGER)?\b|^INT", t) and "POINT" not in t:
        return "integer", None
    if re.search(r"NUMERIC|DECIMAL|FLOAT|REAL|DOUBLE|NUMBER", t):
        return "numeric", None
    if re.search(r"CHAR|STRING|TEXT|UNICODE", t):
        m = _LENGTH.search(t)
        return "string", int(m.group(1)) if m else None
    return "other", None


_PG_BOOLEAN_WORDS = {"t", "f", "true", "false", "y", "n", "yes", "no", "on", "off", "1", "0"}
_PG_TIME_WORDS = {"now", "today", "tomorrow", "yesterday", "infinity", "-infinity", "epoch", "allballs"}
PG_FROZEN_TIME_WORDS = {"now", "today", "tomorrow", "yesterday"}


@lru_cache(maxsize=8192)
def literal_of(sql: str | None) -> tuple[str, bool] | None:
    """(value, quoted) when a server default's SQL is one literal: a string
    (with any PostgreSQL cast) or a bare number; None for expressions."""
    if sql is None:
        return None
    content = string_literal_content(sql)
    if content is not None:
        return content, True
    bare = strip_outer_parens(sql)
    if re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", bare):
        return bare, False
    if bare.lower() in ("true", "false"):
        return bare.lower(), False
    return None


_CLOCK = re.compile(r"(-?)(\d{1,3}):(\d{2})(?::(\d{2})(\.\d+)?)?(.*)")


def _not_a_time(value: str, v: str, dialect: str) -> str | None:
    """Why a TIME column cannot take ``v``: hours, minutes or seconds out of
    range in ``hh:mm[:ss]``, or no digits at all. The databases read many
    more forms (``1200``, ``12:00:00+02``, ``allballs``): those pass."""
    mysql = dialect in ("mysql", "mariadb")
    clock = _CLOCK.fullmatch(v)
    if clock is None:
        return None if re.search(r"\d", v) else f"'{value}' is not a time of day"
    sign, hours, minutes, seconds, fraction, _zone = clock.groups()
    h, m, s = int(hours), int(minutes), int(seconds or 0)
    frac = bool(fraction and fraction.strip(".0"))
    if mysql:
        # TIME is a duration there, -838:59:59 to 838:59:59
        bad = m > 59 or s > 59 or h > 838
    else:
        bad = bool(sign) or m > 59 or s > 60 or (s == 60 and frac) or h > 24 or (h == 24 and (m or s or frac))
    return f"'{value}' is not a {'time' if mysql else 'time of day'}" if bad else None


# NUMERIC(5, 2), DECIMAL(10), sa.Numeric(precision=5, scale=2)
_PRECISION = re.compile(r"(?:NUMERIC|DECIMAL)\(\s*(?:PRECISION\s*=\s*)?(\d+)\s*(?:,\s*(?:SCALE\s*=\s*)?(\d+)\s*)?\)",
                        re.IGNORECASE)


def _too_many_digits(type_text: str, number: str, shown: str) -> str | None:
    """Why a number does not fit NUMERIC(p, s): more than p - s digits before
    the point (PostgreSQL fails each insert that takes the default, MySQL
    refuses the column), once rounded to s digits after it, as both do
    (``99.995`` is ``100.00`` in NUMERIC(4, 2))."""
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    m = _PRECISION.search(type_text)
    if m is None:
        return None
    precision, scale = int(m.group(1)), int(m.group(2) or 0)
    if scale > precision or precision > 1000:
        return None
    try:
        value = Decimal(number)
        if not value.is_finite() or abs(value.adjusted()) > 1000:
            return None
        rounded = abs(value).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None
    def whole_digits(number: Decimal) -> int:
        return len(str(int(number))) if number >= 1 else 0

    digits = whole_digits(rounded)
    if digits <= precision - scale:
        return None
    how = f" once rounded to {scale} after it" if whole_digits(abs(value)) < digits else ""
    return (f"{shown} has {digits} digit{'s' if digits != 1 else ''} before the decimal point{how}, and the "
            f"column holds {precision - scale} (precision {precision}, scale {scale})")


@lru_cache(maxsize=1024)
def enum_values(type_text: str) -> tuple[str, ...] | None:
    """The values of an enum type as spelled: ``sa.Enum('a', 'b', name='ab')``
    in a migration, ``ENUM('a','b')`` as MySQL compiles it; None for any other
    type, or values that are not string literals (``Enum(Status)``)."""
    if "enum(" not in type_text.lower():
        return None
    import ast

    try:
        node = ast.parse(type_text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    func = node.func if isinstance(node, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name.lower() != "enum" or not node.args:  # type: ignore[union-attr]
        return None
    values = [a.value for a in node.args if isinstance(a, ast.Constant)]  # type: ignore[union-attr]
    if len(values) != len(node.args) or not all(isinstance(v, str) for v in values):  # type: ignore[union-attr]
        return None
    return tuple(values)


@lru_cache(maxsize=8192)
def misfit(type_text: str, sql: str | None, dialect: str, choices: tuple[str, ...] | None = None) -> str | None:
    """Why the literal server default ``sql`` cannot be stored in a column of
    ``type_text`` on ``dialect``, or None when it fits (or is an expression,
    or the type is one migration-audit does not check). ``choices``: the
    values of an enum column, when its type text does not spell them."""
    import json

    lit = literal_of(sql)
    if lit is None:
        return None
    value, quoted = lit
    choices = choices or enum_values(type_text)
    if choices:
        if dialect in ("mysql", "mariadb"):
            # compared by the column's collation (case-insensitive by default);
            # trailing spaces of the values are dropped
            known = {c.rstrip(" ").casefold() for c in choices}
            if not quoted or value.rstrip(" ").casefold() in known:
                return None
        if quoted and value not in choices:
            shown = ", ".join("'" + c.replace("'", "''") + "'" for c in choices[:8])
            more = f" and {len(choices) - 8} more" if len(choices) > 8 else ""
            return f"'{value}' is not one of the enum's values ({shown}{more})"
        return None
    family, length = type_family(type_text)
    v = value.strip()
    if family == "boolean":
        if dialect == "postgresql" and not quoted and v not in ("true", "false"):
            return f"PostgreSQL refuses the number {v} as a boolean default (write true/false, or the string '{v}')"
        if quoted and dialect in ("mysql", "mariadb") and not re.fullmatch(r"[+-]?\d+", v):
            return f"MySQL stores booleans as integers: '{value}' is not one (write 0 or 1)"
        if quoted and v.lower() not in _PG_BOOLEAN_WORDS:
            return f"'{value}' is not a boolean"
        return None
    if family == "integer":
        if not re.fullmatch(r"[+-]?\d+", v):
            return f"'{value}' is not an integer" if quoted else f"{value} is not an integer"
        return None
    if family == "numeric":
        if not re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", v) and v.lower() not in (
                "nan", "infinity", "-infinity"):
            return f"'{value}' is not a number"
        return _too_many_digits(type_text, v, f"'{value}'" if quoted else value)
    if family == "uuid":
        digits = v.removeprefix("{").removesuffix("}").replace("-", "")
        if not re.fullmatch(r"[0-9a-fA-F]{32}", digits):
            return f"'{value}' is not a UUID"
        return None
    if family == "json":
        try:
            json.loads(value)
        except ValueError:
            return f"'{value}' is not valid JSON"
        return None
    if family in ("temporal", "date"):
        if dialect in ("postgresql", "default", "") and v.lower() in _PG_TIME_WORDS:
            return None  # a special input PostgreSQL accepts ('now' is MA105's concern)
        if dialect in ("mysql", "mariadb") and re.fullmatch(r"0000-00-00(?: 00:00:00)?", v):
            return None
        if family == "temporal" and not re.search(r"DATETIME|TIMESTAMP", type_text.upper()):
            return _not_a_time(value, v, dialect)
        if parse_timestamp(v) is None:
            return f"'{value}' is not a {'date' if family == 'date' else 'date/time'}"
        return None
    if family == "string" and length is not None and len(value) > length:
        why = f"'{value}' is {len(value)} characters, longer than the column's {length}"
        # SQLite ignores the length: the schema is wrong for any other database
        return why + (" (SQLite stores it whole; PostgreSQL and MySQL refuse it)" if dialect == "sqlite" else "")
    return None
