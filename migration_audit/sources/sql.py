"""Raw SQL in migrations (``op.execute("…")``) → schema operations.

A regex lexes the common statements and sqlparse the others (it also
splits scripts of several statements); a small parser over the tokens reads the DDL
that changes tables and defaults: CREATE/DROP TABLE, ALTER TABLE … ADD/DROP
COLUMN, ALTER COLUMN … SET/DROP DEFAULT, SET/DROP NOT NULL, MODIFY/CHANGE
(MySQL), RENAME, unique constraints and unique indexes. Data statements
(INSERT, UPDATE, DELETE, SELECT) change no schema and are skipped; DDL it
cannot read becomes an ``Opaque`` operation naming the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from migration_audit.defaults import string_literal_content
from migration_audit.facts import ColumnFact, DefaultKind, DefaultValue, Location, UniqueFact
from migration_audit.sources import ops

Locate = Callable[[int], Location]


@dataclass(slots=True)
class _Tok:
    quoted: bool  # a string literal or a quoted name: never a keyword
    value: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.value.upper()


_DML = {"INSERT", "DELETE", "SELECT", "WITH", "MERGE", "COPY", "GRANT", "REVOKE",
        "SET", "SHOW", "ANALYZE", "VACUUM", "BEGIN", "COMMIT", "ROLLBACK", "DO", "CALL", "LOCK",
        "REFRESH", "NOTIFY", "TRUNCATE"}
_ROW_WRITERS = {"WITH", "MERGE", "DO", "CALL"}
_COLUMN_CONSTRAINT_WORDS = {
    "NOT", "NULL", "DEFAULT", "PRIMARY", "UNIQUE", "REFERENCES", "CHECK", "CONSTRAINT",
    "COLLATE", "GENERATED", "AUTO_INCREMENT", "AUTOINCREMENT", "ON", "COMMENT", "IDENTITY",
    "FIRST", "AFTER", "CHARACTER", "CHARSET", "AS",
}
_HEAD = re.compile(r"\s*([A-Za-z_]+)\b")
_DEFAULT_STOP_WORDS = (_COLUMN_CONSTRAINT_WORDS - {"DEFAULT", "CHARACTER", "AS"}) | {"WHERE", "FROM", "RETURNING"}


# sqlparse token type → (skipped: whitespace or comment, keyword, quoted);
# sqlparse's `in` is slow
_KINDS: dict[object, tuple[bool, bool, bool]] = {}


def _tokens(statement: str) -> list[_Tok]:
    simple = _simple_tokens(statement)
    return simple if simple is not None else _sqlparse_tokens(statement)


# The statements migrations write most (`UPDATE t SET c = 'x' WHERE c IS
# NULL`, `ALTER TABLE t ADD COLUMN c INTEGER DEFAULT 0`) use few kinds of
# token: words, integers, plain quoted strings and names, comparison
# operators and punctuation. For a statement made of those alone this regex
# gives the tokens sqlparse's lexer gives (tests/test_sql.py compares them on
# generated statements), eight times faster; anything else (a sign, a
# decimal point, an escape, a comment, a parameter) goes to sqlparse. Each
# alternative refuses what sqlparse would lex differently: `1abc` and `1.5`,
# `'it''s'`, `E'...'`.
_SIMPLE_TOKEN = re.compile(
    r"""(?P<space>\s+)"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_]*)(?!['"])"""
    r"""|(?P<number>[0-9]+)(?![A-Za-z0-9_.'"])"""
    r"""|(?P<string>'[^'\\]*')(?![A-Za-z0-9_'"])"""
    r"""|(?P<symbol>"[^"\\]*")(?![A-Za-z0-9_'"])"""
    r"""|(?P<operator>[<>=!]+)"""
    r"""|(?P<punctuation>[(),;]|\.(?![0-9]))"""
)
_SIMPLE_QUOTED = {"word": False, "number": False, "string": True, "symbol": True, "operator": False,
                  "punctuation": False}


def _simple_tokens(statement: str) -> list[_Tok] | None:
    out: list[_Tok] = []
    pos, end = 0, len(statement)
    match = _SIMPLE_TOKEN.match
    while pos < end:
        m = match(statement, pos)
        if m is None:
            return None
        kind = m.lastgroup
        if kind != "space":
            out.append(_Tok(_SIMPLE_QUOTED[kind], m.group(), pos, m.end()))  # type: ignore[index]
        pos = m.end()
    return out


def _sqlparse_tokens(statement: str) -> list[_Tok]:
    # imported here: the regex above lexes what most histories hold, and
    # importing sqlparse (about 13 ms) costs what lexing 1,000 of them does
    import sqlparse.lexer
    from sqlparse import tokens as T

    out: list[_Tok] = []
    pos = 0
    for ttype, value in sqlparse.lexer.tokenize(statement):
        start = pos
        pos += len(value)
        kind = _KINDS.get(ttype)
        if kind is None:
            kind = _KINDS[ttype] = (
                ttype in T.Whitespace or ttype in T.Newline or ttype in T.Comment or ttype in T.Text.Whitespace,
                ttype in T.Keyword,
                ttype in T.String,
            )
        skipped, keyword, quoted = kind
        if skipped:
            continue
        if keyword and any(ch.isspace() for ch in value):
            # sqlparse lexes "NOT NULL", "IF EXISTS", "PRIMARY KEY" as one
            # keyword; the parser reads words.
            for m in re.finditer(r"\S+", value):
                out.append(_Tok(False, m.group(), start + m.start(), start + m.end()))
            continue
        out.append(_Tok(quoted, value, start, pos))
    return out


def _split(sql: str) -> Iterator[tuple[str, int]]:
    """Statements with their offset in ``sql``."""
    stmt = sql.strip()
    if ";" not in stmt.rstrip(";"):
        # One statement (no semicolon but perhaps a last one): no need to
        # lex it a first time only to split it.
        if stmt:
            yield stmt, sql.find(stmt)
        return
    pos = 0
    import sqlparse

    for stmt in sqlparse.split(sql):
        idx = sql.find(stmt, pos)
        if idx < 0:
            idx = pos
        yield stmt, idx
        pos = idx + len(stmt)


class _Parser:
    def __init__(self, text: str, toks: list[_Tok], base: int, locate: Locate) -> None:
        self.text = text
        self.toks = [t for t in toks if t.value != ";"]
        self.i = 0
        self.base = base
        self.locate = locate

    # -- token helpers -------------------------------------------------
    def peek(self, k: int = 0) -> _Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def word(self, k: int = 0) -> str:
        t = self.peek(k)
        if t is None or t.quoted:
            return ""
        return t.upper

    def accept(self, *words: str) -> bool:
        """Consume the words if they come next, in order."""
        for k, w in enumerate(words):
            if self.word(k) != w:
                return False
        self.i += len(words)
        return True

    def at_end(self) -> bool:
        return self.i >= len(self.toks)

    def loc(self, tok: _Tok | None = None) -> Location:
        tok = tok or self.peek() or (self.toks[-1] if self.toks else None)
        return self.locate(self.base + (tok.start if tok else 0))

    def ident(self) -> str | None:
        t = self.peek()
        if t is None or t.value in ("(", ")", ","):
            return None
        self.i += 1
        return _unquote(t.value)

    def qualified(self) -> tuple[str | None, str | None]:
        """``schema.table`` or ``table`` → (schema, table)."""
        first = self.ident()
        if first is None:
            return None, None
        if self.peek() is not None and self.peek().value == ".":
            self.i += 1
            second = self.ident()
            return first, second
        return None, first

    def paren_names(self) -> tuple[str, ...]:
        """``(a, b DESC, "c")`` → names; the cursor ends after ``)``."""
        names: list[str] = []
        if self.peek() is None or self.peek().value != "(":
            return ()
        self.i += 1
        depth = 1
        expect_name = True
        while not self.at_end():
            t = self.toks[self.i]
            self.i += 1
            if t.value == "(":
                depth += 1
            elif t.value == ")":
                depth -= 1
                if depth == 0:
                    break
            elif t.value == "," and depth == 1:
                expect_name = True
            elif expect_name and depth == 1:
                names.append(_unquote(t.value))
                expect_name = False
        return tuple(names)

    def skip_parens(self) -> None:
        if self.peek() is None or self.peek().value != "(":
            return
        depth = 0
        while not self.at_end():
            v = self.toks[self.i].value
            self.i += 1
            if v == "(":
                depth += 1
            elif v == ")":
                depth -= 1
                if depth == 0:
                    return

    def skip_to_comma(self) -> None:
        depth = 0
        while not self.at_end():
            v = self.toks[self.i].value
            if v == "(":
                depth += 1
            elif v == ")":
                if depth == 0:
                    return
                depth -= 1
            elif v == "," and depth == 0:
                return
            self.i += 1

    def default_expr(self) -> tuple[str, _Tok | None]:
        """Tokens after DEFAULT up to the next constraint keyword or comma."""
        start_tok = self.peek()
        depth = 0
        first = True
        last: _Tok | None = None
        while not self.at_end():
            t = self.toks[self.i]
            w = "" if t.quoted else t.upper
            if depth == 0:
                if t.value == "," or t.value == ")":
                    break
                if not first and w in _DEFAULT_STOP_WORDS:
                    break
            if t.value == "(":
                depth += 1
            elif t.value == ")":
                depth -= 1
            last = t
            first = False
            self.i += 1
        if start_tok is None or last is None:
            return "", None
        return self.text[start_tok.start:last.end], start_tok

    # -- column definitions ------------------------------------------
    def column_def(self) -> tuple[ColumnFact, bool, DefaultValue | None] | None:
        """``name type [constraints]``; returns the column, whether it is the
        primary key, and its server default."""
        name_tok = self.peek()
        name = self.ident()
        if name is None or name_tok is None:
            return None
        type_start = self.peek()
        type_end: _Tok | None = None
        depth = 0
        while not self.at_end():
            t = self.toks[self.i]
            if depth == 0 and (t.value in (",", ")") or t.upper in _COLUMN_CONSTRAINT_WORDS):
                break
            if t.value == "(":
                depth += 1
            elif t.value == ")":
                depth -= 1
            type_end = t
            self.i += 1
        type_text = self.text[type_start.start:type_end.end] if type_start and type_end else ""
        col = ColumnFact(name=name, type=type_text, location=self.loc(name_tok))
        primary = False
        default: DefaultValue | None = None
        while not self.at_end():
            t = self.peek()
            if t.value in (",", ")"):
                break
            if self.accept("NOT", "NULL"):
                col.nullable = False
            elif self.accept("NULL"):
                col.nullable = True
            elif self.accept("PRIMARY", "KEY"):
                primary = True
                col.nullable = False
            elif self.accept("UNIQUE"):
                self.accept("KEY")
                col.unique = True
            elif self.word() == "DEFAULT":
                self.i += 1
                text, tok = self.default_expr()
                if text:
                    default = sql_default(text, self.loc(tok))
            elif self.accept("CONSTRAINT"):
                self.ident()
            elif t.upper in ("AUTO_INCREMENT", "AUTOINCREMENT"):
                self.i += 1
                default = DefaultValue(DefaultKind.SEQUENCE, source=t.upper, location=self.loc(t))
            elif self.accept("GENERATED"):
                rest = self._collect_words_until_stop()
                kind = DefaultKind.IDENTITY if "IDENTITY" in rest else DefaultKind.COMPUTED
                default = DefaultValue(kind, source="GENERATED " + " ".join(rest), location=self.loc(t))
            else:
                if t.value == "(":
                    self.skip_parens()
                else:
                    self.i += 1
        if default is None and type_text.upper() in _SERIAL_TYPES:
            # PostgreSQL's serial types are an integer with DEFAULT nextval(...):
            # existing rows get numbered when the column is added
            default = DefaultValue(DefaultKind.SEQUENCE, source=type_text, location=col.location)
            col.nullable = False
        col.server_default = default
        return col, primary, default

    def _collect_words_until_stop(self) -> list[str]:
        words: list[str] = []
        depth = 0
        while not self.at_end():
            t = self.toks[self.i]
            if depth == 0 and t.value in (",", ")"):
                break
            if t.value == "(":
                depth += 1
            elif t.value == ")":
                depth -= 1
            words.append(t.upper)
            self.i += 1
        return words


_SERIAL_TYPES = {"SERIAL", "BIGSERIAL", "SMALLSERIAL", "SERIAL2", "SERIAL4", "SERIAL8"}


def sql_default(text: str, location: Location) -> DefaultValue:
    """A server default read from SQL text (what follows DEFAULT)."""
    literal = string_literal_content(text)
    if literal is not None:
        return DefaultValue(DefaultKind.CONSTANT, value=literal, sql=text, source=text, location=location)
    if text.upper() == "NULL":
        return DefaultValue(DefaultKind.CONSTANT, value=None, sql=text, source=text, location=location)
    return DefaultValue(DefaultKind.SQL, sql=text, source=text, location=location)


def _unquote(name: str) -> str:
    """A quoted identifier keeps its case; an unquoted one folds to lower
    case, as PostgreSQL does (MySQL column names ignore case anyway)."""
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"`":
        return name[1:-1].replace(name[0] * 2, name[0])
    if len(name) >= 2 and name[0] == "[" and name[-1] == "]":
        return name[1:-1]
    return name.lower()


def parse_sql(sql: str, locate: Locate) -> list[ops.Op]:
    """Schema operations in ``sql``; ``locate(offset)`` maps an offset in the
    SQL text to a source location."""
    result: list[ops.Op] = []
    for stmt, offset in _split(sql):
        head = _HEAD.match(stmt)
        if head and head.group(1).upper() in _DML and head.group(1).upper() not in _ROW_WRITERS:
            continue  # changes no schema: see _statement
        toks = _tokens(stmt)
        if not toks:
            continue
        p = _Parser(stmt, toks, offset, locate)
        if not p.toks:
            continue  # only semicolons: `SELECT 1;;`
        try:
            result.extend(_statement(p))
        except (IndexError, AttributeError, TypeError):
            result.append(ops.Opaque(f"SQL it could not read: {_short(stmt)}", p.loc(toks[0])))
    return result


def _short(stmt: str) -> str:
    one = " ".join(stmt.split())
    return one if len(one) <= 60 else one[:57] + "..."


def _statement(p: _Parser) -> list[ops.Op]:
    start = p.peek()
    assert start is not None
    head = p.word()
    loc = p.loc(start)
    if head in _ROW_WRITERS:
        # a CTE ending in UPDATE, MERGE, a DO block or a procedure may write any row
        return [ops.WriteRows(None, None, None, _short(p.text), loc)]
    if head in _DML:
        return []
    if p.accept("UPDATE"):
        return _update(p, loc)
    if p.accept("CREATE"):
        p.accept("OR", "REPLACE")
        for w in ("GLOBAL", "LOCAL", "TEMPORARY", "TEMP", "UNLOGGED"):
            p.accept(w)
        if p.accept("TABLE"):
            return _create_table(p, loc)
        unique = p.accept("UNIQUE")
        if p.accept("INDEX"):
            return _create_index(p, unique, loc)
        return []  # CREATE EXTENSION / FUNCTION / TYPE / VIEW / SEQUENCE ...
    if p.accept("DROP"):
        if p.accept("TABLE"):
            p.accept("IF", "EXISTS")
            out: list[ops.Op] = []
            while not p.at_end():
                schema, name = p.qualified()
                if name:
                    out.append(ops.DropTable(name, schema, loc))
                if not p.accept(","):
                    break
            return out
        if p.accept("INDEX"):
            p.accept("CONCURRENTLY")
            p.accept("IF", "EXISTS")
            schema, name = p.qualified()
            table = None
            if p.accept("ON"):
                _, table = p.qualified()
            return [ops.DropConstraint(table, schema, name, "index", loc)] if name else []
        return []
    if p.accept("ALTER", "TABLE"):
        p.accept("IF", "EXISTS")
        p.accept("ONLY")
        schema, table = p.qualified()
        if table is None:
            return [ops.Opaque("ALTER TABLE without a table name", loc)]
        return _alter_table(p, schema, table, loc)
    if head in {"COMMENT", "CREATE", "ALTER", "DROP"}:
        return []
    if p.accept("RENAME", "TABLE"):
        schema, old = p.qualified()
        if p.accept("TO"):
            _, new = p.qualified()
            if old and new:
                return [ops.RenameTable(old, new, schema, loc)]
    return []


def _update(p: _Parser, loc: Location) -> list[ops.Op]:
    """``UPDATE t SET a = 'x', b = now() [WHERE a IS NULL]`` → a WriteRows
    for the columns it sets, and one Backfill per column set to a literal
    when it reaches every row."""
    p.accept("ONLY")
    schema, table = p.qualified()
    if table is None or not p.accept("SET"):
        return [ops.WriteRows(table, schema, None, f"UPDATE {table or ''}".strip(), loc)]
    assignments: list[tuple[str, str, Location]] = []
    columns: list[str] = []
    while not p.at_end():
        column = p.ident()
        if column is None or p.peek() is None or p.peek().value != "=":
            return [ops.WriteRows(table, schema, None, f"UPDATE {table}", loc)]
        columns.append(column)
        p.i += 1
        tok = p.peek()
        text, _ = p.default_expr()
        if text and tok is not None:
            assignments.append((column, text, p.loc(tok)))
        if not p.accept(","):
            break
    writes: list[ops.Op] = [ops.WriteRows(table, schema, tuple(columns) or None, f"UPDATE {table}", loc)]
    if p.accept("FROM"):
        return writes  # UPDATE … FROM joins another table: a value per row
    if p.accept("WHERE"):
        rest = " ".join(t.upper for t in p.toks[p.i:])
        if not re.fullmatch(r"[\w\".]+ IS NULL", rest):
            return writes  # a filtered update may touch one row
    out: list[ops.Op] = writes
    for column, text, where in assignments:
        value = sql_default(text, where)
        if value.kind is DefaultKind.CONSTANT and value.value is not None:
            out.append(ops.Backfill(table, schema, column, value, where))
    return out


def _create_table(p: _Parser, loc: Location) -> list[ops.Op]:
    p.accept("IF", "NOT", "EXISTS")
    schema, table = p.qualified()
    if table is None:
        return [ops.Opaque("CREATE TABLE without a name", loc)]
    if p.peek() is None or p.peek().value != "(":
        # CREATE TABLE … AS SELECT / LIKE: columns unknown
        return [ops.Opaque(f"CREATE TABLE {table} without a column list", loc, (table,))]
    p.i += 1
    columns: list[ColumnFact] = []
    pk: tuple[str, ...] = ()
    uniques: list[UniqueFact] = []
    while not p.at_end() and p.peek().value != ")":
        cname: str | None = None
        if p.accept("CONSTRAINT"):
            cname = p.ident()
        if p.accept("PRIMARY", "KEY"):
            pk = p.paren_names()
        elif p.accept("UNIQUE"):
            if not (p.accept("KEY") or p.accept("INDEX")):
                pass
            if p.peek() is not None and p.peek().value != "(":
                cname = cname or p.ident()
            uniques.append(UniqueFact(cname, p.paren_names()))
        elif p.word() in {"FOREIGN", "CHECK", "KEY", "INDEX", "EXCLUDE", "FULLTEXT", "SPATIAL"}:
            pass
        else:
            parsed = p.column_def()
            if parsed:
                col, primary, _ = parsed
                columns.append(col)
                if primary:
                    pk = (col.name,)
        p.skip_to_comma()
        if not p.accept(","):
            break
    for c in columns:
        if c.name in pk:
            c.primary_key = True
            c.nullable = False
    return [ops.CreateTable(table, schema, columns, pk, uniques, loc)]


def _create_index(p: _Parser, unique: bool, loc: Location) -> list[ops.Op]:
    p.accept("CONCURRENTLY")
    p.accept("IF", "NOT", "EXISTS")
    name: str | None = None
    if p.word() != "ON":
        _, name = p.qualified()
    if not p.accept("ON"):
        return []
    p.accept("ONLY")
    schema, table = p.qualified()
    if p.accept("USING"):
        p.ident()
    cols = p.paren_names()
    if not unique or table is None:
        return []
    return [ops.CreateUnique(table, schema, UniqueFact(name, cols, "index"), loc)]


def _alter_table(p: _Parser, schema: str | None, table: str, loc: Location) -> list[ops.Op]:
    out: list[ops.Op] = []
    while not p.at_end():
        action_tok = p.peek()
        aloc = p.loc(action_tok)
        before = p.i
        out.extend(_alter_action(p, schema, table, aloc))
        p.skip_to_comma()
        if p.i == before and not p.at_end():
            p.i += 1
        if not p.accept(","):
            break
    return out


def _alter_action(p: _Parser, schema: str | None, table: str, loc: Location) -> list[ops.Op]:
    if p.accept("ADD"):
        cname: str | None = None
        if p.accept("CONSTRAINT"):
            cname = p.ident()
        if p.accept("UNIQUE"):
            p.accept("KEY") or p.accept("INDEX")
            if p.peek() is not None and p.peek().value != "(":
                cname = cname or p.ident()
            return [ops.CreateUnique(table, schema, UniqueFact(cname, p.paren_names()), loc)]
        if p.accept("PRIMARY", "KEY"):
            return [ops.CreatePrimaryKey(table, schema, p.paren_names(), loc)]
        if p.word() in {"FOREIGN", "CHECK", "INDEX", "KEY", "EXCLUDE", "FULLTEXT", "SPATIAL"}:
            return []
        p.accept("COLUMN")
        p.accept("IF", "NOT", "EXISTS")
        parsed = p.column_def()
        if parsed is None:
            return [ops.Opaque("ALTER TABLE … ADD it could not read", loc, (table,))]
        col, primary, _ = parsed
        col.location = loc
        out: list[ops.Op] = [ops.AddColumn(table, schema, col, loc)]
        if primary:
            out.append(ops.CreatePrimaryKey(table, schema, (col.name,), loc))
        return out
    if p.accept("DROP"):
        if p.accept("CONSTRAINT"):
            p.accept("IF", "EXISTS")
            name = p.ident()
            return [ops.DropConstraint(table, schema, name, None, loc)] if name else []
        if p.accept("PRIMARY", "KEY"):
            return [ops.DropConstraint(table, schema, "", "primary", loc)]
        if p.accept("INDEX") or p.accept("KEY"):
            name = p.ident()
            return [ops.DropConstraint(table, schema, name, "index", loc)] if name else []
        if p.word() in {"FOREIGN", "CHECK"}:
            return []
        p.accept("COLUMN")
        p.accept("IF", "EXISTS")
        name = p.ident()
        return [ops.DropColumn(table, schema, name, loc)] if name else []
    if p.accept("ALTER"):
        p.accept("COLUMN")
        column = p.ident()
        if column is None:
            return [ops.Opaque("ALTER COLUMN without a name", loc, (table,))]
        if p.accept("SET", "DEFAULT"):
            tok = p.peek()
            text, _ = p.default_expr()
            return [ops.AlterColumn(table, schema, column, loc, server_default=sql_default(text, p.loc(tok)))]
        if p.accept("DROP", "DEFAULT"):
            return [ops.AlterColumn(table, schema, column, loc, server_default=None)]
        if p.accept("SET", "NOT", "NULL"):
            return [ops.AlterColumn(table, schema, column, loc, nullable=False)]
        if p.accept("DROP", "NOT", "NULL"):
            return [ops.AlterColumn(table, schema, column, loc, nullable=True)]
        if p.accept("SET", "DATA", "TYPE") or p.accept("TYPE"):
            start = p.peek()
            p.skip_to_comma()
            end = p.toks[p.i - 1] if p.i > 0 else start
            type_text = p.text[start.start:end.end] if start else ""
            return [ops.AlterColumn(table, schema, column, loc, type=type_text)]
        return []  # SET STATISTICS / STORAGE / identity options
    if p.accept("MODIFY"):
        p.accept("COLUMN")
        return _mysql_redefine(p, schema, table, None, loc)
    if p.accept("CHANGE"):
        p.accept("COLUMN")
        old = p.ident()
        return _mysql_redefine(p, schema, table, old, loc)
    if p.accept("RENAME"):
        if p.accept("TO") or p.accept("AS"):
            _, new = p.qualified()
            return [ops.RenameTable(table, new, schema, loc)] if new else []
        p.accept("COLUMN")
        old = p.ident()
        if p.accept("TO"):
            new = p.ident()
            if old and new:
                return [ops.AlterColumn(table, schema, old, loc, new_name=new)]
        return []
    return [ops.Opaque(f"ALTER TABLE {table} action it could not read", loc, (table,))]


def _mysql_redefine(p: _Parser, schema: str | None, table: str, old: str | None, loc: Location) -> list[ops.Op]:
    """MODIFY/CHANGE replace the whole column definition, default included."""
    parsed = p.column_def()
    if parsed is None:
        return [ops.Opaque("MODIFY/CHANGE it could not read", loc, (table,))]
    col, _, default = parsed
    name = old or col.name
    return [
        ops.AlterColumn(
            table,
            schema,
            name,
            loc,
            server_default=default,
            nullable=col.nullable,
            type=col.type,
            new_name=col.name if old and old != col.name else ops.UNCHANGED,
        )
    ]
