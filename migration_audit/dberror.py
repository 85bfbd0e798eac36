"""Read a database's duplicate-key and NOT NULL error text.

One parser for the wording of PostgreSQL, MySQL/MariaDB and SQLite, as the
driver raises it and as SQLAlchemy wraps it (``(psycopg.errors.UniqueViolation)
duplicate key value violates unique constraint "users_pkey"`` then
``DETAIL:  Key (id)=(…) already exists.``, ``[SQL: INSERT INTO users (…) …]``
and ``[parameters: …]``). Used by ``explain-error``, the probe and the runtime
guard; plain text in, facts out, nothing imported but the standard library.

English server messages only (PostgreSQL's ``lc_messages``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

UNIQUE = "unique"
NOT_NULL = "not-null"

_IDENT = r'(?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|[\w$]+)'
_NAME = rf"(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})?)"

_PATTERNS: list[tuple[str, str, re.Pattern[str]]] = [
    # PostgreSQL
    ("postgresql", UNIQUE, re.compile(r'duplicate key value violates unique constraint "(?P<constraint>(?:[^"]|"")+)"')),
    ("postgresql", NOT_NULL, re.compile(
        r'null value in column "(?P<column>(?:[^"]|"")+)"(?: of relation "(?P<table>(?:[^"]|"")+)")? '
        r'violates not-null constraint')),
    # MySQL and MariaDB: 1062, 1048 (explicit NULL), 1364 (column omitted, strict mode)
    ("mysql", UNIQUE, re.compile(r"Duplicate entry '(?P<value>.*?)' for key '(?P<constraint>[^']+)'", re.S)),
    ("mysql", NOT_NULL, re.compile(r"Column '(?P<column>[^']+)' cannot be null")),
    ("mysql", NOT_NULL, re.compile(r"Field '(?P<column>[^']+)' doesn't have a default value")),
    # SQLite, current and pre-3.8 wording
    ("sqlite", UNIQUE, re.compile(r"UNIQUE constraint failed: index '(?P<constraint>[^']+)'")),
    ("sqlite", UNIQUE, re.compile(r"UNIQUE constraint failed: (?P<qualified>[^\n\[]+)")),
    ("sqlite", UNIQUE, re.compile(r"PRIMARY KEY must be unique")),
    ("sqlite", UNIQUE, re.compile(r"columns? (?P<bare>[\w$, ]+?) (?:is|are) not unique")),
    ("sqlite", NOT_NULL, re.compile(r"NOT NULL constraint failed: (?P<qualified>[^\n\[,]+)")),
    ("sqlite", NOT_NULL, re.compile(r"(?P<qualified>[\w$]+\.[\w$]+) may not be NULL")),
]
_PG_KEY = re.compile(r"Key \((?P<columns>.+?)\)=\((?P<values>.*)\) already exists", re.S)
_SQL = re.compile(r"\[SQL: (?P<sql>.*?)\]\s*(?=\n\[parameters:|\n\[SQL parameters|\n\(Background|\Z)", re.S)
_PARAMS = re.compile(r"\[parameters: (?P<params>.*?)\]\s*(?=\n\(Background|\Z)", re.S)
_INSERT = re.compile(rf"^\s*INSERT\s+(?:IGNORE\s+)?INTO\s+{_NAME}\s*(?:\((?P<columns>[^)]*)\))?", re.I | re.S)
_UPDATE = re.compile(rf"^\s*UPDATE\s+{_NAME}\s+SET\b", re.I | re.S)
_DRIVER = re.compile(r"\((?P<driver>[\w.]+)\.(?:errors\.\w+|err\.\w+|\w*Error)\)")


@dataclass(frozen=True, slots=True)
class DatabaseError:
    """What one duplicate-key or NOT NULL error says.

    ``table`` and ``columns`` come from the message when it names them
    (SQLite, PostgreSQL's DETAIL and NOT NULL wording, MySQL's column),
    else the table from the statement; ``constraint`` is the constraint or
    index the database named (``users_pkey``, ``PRIMARY``, ``email``).
    ``values`` are the key's values as the message shows them.
    ``statement_columns`` and ``rows`` are the INSERT's column list and its
    parameters per row, when the text has them and they could be read.
    """

    kind: str  # UNIQUE or NOT_NULL
    dialect: str  # "postgresql", "mysql" (MySQL and MariaDB) or "sqlite"
    message: str  # the database's own words, one line
    table: str | None = None
    schema: str | None = None
    columns: tuple[str, ...] = ()
    constraint: str | None = None
    values: tuple[str, ...] = ()
    statement: str | None = None
    statement_columns: tuple[str, ...] | None = None
    rows: list[dict[str, object]] = field(default_factory=list)

    @property
    def explicit_null(self) -> bool:
        """A NOT NULL error for a NULL the statement gave (MySQL's 1048
        wording, or the column in the INSERT's list with None)."""
        if self.kind != NOT_NULL or not self.columns:
            return False
        if "cannot be null" in self.message:
            return True
        col = self.columns[0]
        return bool(self.rows) and all(col in r and r[col] is None for r in self.rows)


def unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"`":
        return name[1:-1].replace(name[0] * 2, name[0])
    if len(name) >= 2 and name[0] == "[" and name[-1] == "]":
        return name[1:-1]
    return name


def _split_name(name: str) -> tuple[str | None, str]:
    parts = [unquote(p) for p in re.findall(_IDENT, name)]
    if len(parts) >= 2:
        return parts[-2], parts[-1]
    return None, parts[0] if parts else name


def split_top(text: str) -> list[str]:
    """Split on commas outside quotes and brackets."""
    parts: list[str] = []
    depth, quote, start, i = 0, "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _literal(text: str) -> object:
    """A parameter as SQLAlchemy shows it; what is not a Python literal
    (``datetime.datetime(2026, 12, 4, …)``, ``UUID('…')``) stays its text,
    except a UUID, which becomes its string."""
    m = re.fullmatch(r"UUID\('([0-9a-fA-F-]+)'\)", text.strip())
    if m:
        return m.group(1)
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text.strip()


def _rows(params: str, columns: tuple[str, ...] | None) -> list[dict[str, object]]:
    """The parameters per row: SQLAlchemy shows a dict (named styles, where
    a multi-row INSERT suffixes each name with ``__0``, ``__1``), a tuple
    (positional styles, flat across the rows of a multi-row INSERT) or a
    list of either (executemany)."""
    text = params.strip()
    if re.search(r"displaying \d+ of \d+ total bound parameter sets", text):
        text = re.sub(r"\s*\.\.\. displaying \d+ of \d+ total bound parameter sets \.\.\.\s*", ", ", text)
    if text.startswith("[") and text.endswith("]"):
        items = split_top(text[1:-1])
    else:
        items = [text]
    rows: list[dict[str, object]] = []
    for item in items:
        if item.startswith("{") and item.endswith("}"):
            by_suffix: dict[str, dict[str, object]] = {}
            for pair in split_top(item[1:-1]):
                key, sep, value = pair.partition(":")
                if not sep:
                    continue
                name = _literal(key)
                if not isinstance(name, str):
                    continue
                m = re.fullmatch(r"(.+)__(\d+)", name)
                base, row = (m.group(1), m.group(2)) if m else (name, "")
                by_suffix.setdefault(row, {})[base] = _literal(value)
            rows.extend(by_suffix[k] for k in sorted(by_suffix, key=lambda s: int(s) if s else -1))
        elif item.startswith("(") and item.endswith(")") and columns:
            values = [_literal(v) for v in split_top(item[1:-1])]
            width = len(columns)
            if width and len(values) % width == 0:
                for start in range(0, len(values), width):
                    rows.append(dict(zip(columns, values[start:start + width])))
    return rows


def _dialect_hint(text: str) -> str | None:
    m = _DRIVER.search(text)
    if not m:
        return None
    driver = m.group("driver").lower()
    if driver.startswith(("psycopg", "asyncpg", "pg8000")):
        return "postgresql"
    if driver.startswith(("pymysql", "mysqldb", "mysql", "mariadb", "asyncmy", "aiomysql")):
        return "mysql"
    if driver.startswith(("sqlite", "aiosqlite", "pysqlite")):
        return "sqlite"
    return None


def parse(text: str) -> DatabaseError | None:
    """The duplicate-key or NOT NULL error in ``text``, or None when it is
    neither."""
    hint = _dialect_hint(text)
    found: tuple[str, str, re.Match[str]] | None = None
    for dialect, kind, pattern in _PATTERNS:
        if hint is not None and dialect != hint:
            continue
        m = pattern.search(text)
        if m:
            found = (dialect, kind, m)
            break
    if found is None:
        return None
    dialect, kind, m = found
    groups = m.groupdict()
    table = schema = constraint = None
    columns: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    if groups.get("qualified"):
        pairs = [_split_name(p) for p in groups["qualified"].strip().split(", ")]
        table = pairs[0][0]
        columns = tuple(c for _, c in pairs)
    if groups.get("bare"):
        columns = tuple(c.strip() for c in groups["bare"].split(",") if c.strip())
    if groups.get("column"):
        columns = (groups["column"].replace('""', '"'),)
    if groups.get("table"):
        table = groups["table"].replace('""', '"')
    if groups.get("constraint"):
        constraint = groups["constraint"].replace('""', '"')
    if groups.get("value") is not None:
        values = (groups["value"],)
    message = " ".join(m.group(0).split())
    if dialect == "postgresql" and kind == UNIQUE:
        key = _PG_KEY.search(text)
        if key:
            columns = tuple(unquote(c) for c in split_top(key.group("columns")))
            shown = key.group("values")
            values = tuple(split_top(shown)) if len(columns) > 1 else (shown,)
    statement = statement_columns = None
    rows: list[dict[str, object]] = []
    sql = _SQL.search(text)
    if sql:
        statement = sql.group("sql").strip()
        ins = _INSERT.match(statement)
        upd = _UPDATE.match(statement) if ins is None else None
        target = ins or upd
        if target is not None:
            st_schema, st_table = _split_name(target.group("name"))
            if table is None or table == st_table:
                table, schema = st_table, schema or st_schema
        if ins is not None and ins.group("columns") is not None:
            statement_columns = tuple(unquote(c) for c in split_top(ins.group("columns")))
        params = _PARAMS.search(text)
        if params:
            rows = _rows(params.group("params"), statement_columns)
    if dialect == "mysql" and constraint and "." in constraint:
        # MySQL 8.0.19+ names the key with its table: for key 'users.PRIMARY'
        prefix, _, rest = constraint.partition(".")
        if table is None or prefix == table:
            table, constraint = prefix, rest
    return DatabaseError(kind, dialect, message, table, schema, columns, constraint, values, statement,
                         statement_columns, rows)
