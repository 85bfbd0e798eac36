"""Reading Python source without running it: parsing with located errors,
import aliases, dotted names, literals, and SQLAlchemy default expressions
(``sa.text('0')``, ``sa.func.now()``, ``'abc'``, ``sa.true()``) turned into
facts."""

from __future__ import annotations

import ast
import gc
import io
import re
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from migration_audit.defaults import quote_sql_string, string_literal_content
from migration_audit.facts import DefaultKind, DefaultValue, Location
from migration_audit.sources import plain


class SourceError(Exception):
    """A file that cannot be read or parsed; carries the location."""

    def __init__(self, message: str, line: int = 1, column: int = 1, newer: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.newer = newer  # (construct, Python release) when the syntax is newer than this Python


@dataclass(slots=True)
class SourceFile:
    path: Path
    text: str
    tree: ast.Module
    lines: list[str] = field(default_factory=list)

    def loc(self, node: ast.AST) -> Location:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        return Location(self.path, line, self.char_column(line, col) + 1)

    def char_column(self, line: int, byte_col: int) -> int:
        """ast columns are UTF-8 byte offsets; report characters."""
        if 0 < line <= len(self.lines):
            text = self.lines[line - 1]
            if text.isascii():
                return byte_col
            raw = text.encode("utf-8")
            return len(raw[:byte_col].decode("utf-8", errors="replace"))
        return byte_col

    def source_of(self, node: ast.AST) -> str:
        """The exact source text of ``node``. Unlike ``ast.get_source_segment``,
        which splits the whole file on every call (quadratic on a squashed
        migration with thousands of columns), this uses the cached lines."""
        try:
            start, end = node.lineno, node.end_lineno  # type: ignore[attr-defined]
            col, end_col = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        except AttributeError:
            return ""
        if start is None or end is None or end_col is None or not (0 < start <= end <= len(self.lines)):
            return ""
        if start == end:
            return self.lines[start - 1].encode("utf-8")[col:end_col].decode("utf-8", errors="replace")
        first = self.lines[start - 1].encode("utf-8")[col:].decode("utf-8", errors="replace")
        last = self.lines[end - 1].encode("utf-8")[:end_col].decode("utf-8", errors="replace")
        return "\n".join([first, *self.lines[start:end - 1], last])

    def segment(self, node: ast.AST, limit: int = 120) -> str:
        """The source of ``node`` on one line, shortened for messages."""
        text = self.source_of(node)
        if not text:
            try:
                text = ast.unparse(node)
            except (ValueError, RecursionError):  # pragma: no cover
                text = "<expression>"
        return one_line(text, limit)


def one_line(text: str, limit: int = 120) -> str:
    """Source text on one line, shortened as messages show it."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def module_file(dotted: str, search: list[Path]) -> Path | None:
    """The source file of module ``dotted`` on ``search``, found as Python's
    import system finds it there (a package before a module of that name)."""
    if not _DOTTED.fullmatch(dotted):
        return None
    rel = Path(*dotted.split("."))
    for base in search:
        for candidate in base / rel / "__init__.py", (base / rel).with_suffix(".py"):
            if candidate.is_file():
                return candidate
    return None


def parse_file(path: Path) -> SourceFile:
    """Read and parse ``path``; raise SourceError with a location on failure."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    return parse_source(path, data)


def _imports_as_bytes(data: bytes) -> bool:
    """Whether Python's import would compile these bytes (it does not
    decode comments)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<module>", "exec", ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def parse_source(path: Path, data: bytes) -> SourceFile:
    try:
        head = data[:data.find(b"\n", data.find(b"\n") + 1) + 1 or None]  # the first two lines
        try:
            # where no coding cookie can be, and no BOM: what detect_encoding says, sooner
            encoding = "utf-8" if head.isascii() and b"coding" not in head else (
                tokenize.detect_encoding(io.BytesIO(data).readline)[0])
        except SyntaxError:
            # "invalid or missing encoding declaration": a non-UTF-8 byte in
            # the first two lines, perhaps only in a comment (see below)
            if not _imports_as_bytes(data):
                raise
            encoding = "utf-8"
        text = data.decode(encoding)
    except (SyntaxError, LookupError) as exc:
        raise SourceError(f"cannot decode file: {exc}") from None
    except UnicodeDecodeError as exc:
        if not _imports_as_bytes(data):
            line = data[: exc.start].count(b"\n") + 1
            raise SourceError(
                f"file is not valid {exc.encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start}", line
            ) from None
        # Python compiles a module from its bytes, and does not decode the
        # comments: a stray Latin-1 byte in one imports fine. Read it so too.
        text = data.decode(exc.encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise SourceError("file contains a NUL byte", line)
    try:
        # The cyclic GC rescans the young AST nodes over and over while a big
        # tree is built (a 5 MB migration: 6.1 s with it, 1.5 s without).
        # AST nodes form no cycles, so nothing is lost by pausing it (callers
        # reading many files pause it for the whole read).
        enabled = gc.isenabled()
        gc.disable()
        try:
            # `"\d"` in a user's file: Python warns (a SyntaxWarning on
            # stderr from 3.12 on) each time it is parsed; the audit is not
            # the place to say so, once per file and run.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text, filename=str(path))
        finally:
            if enabled:
                gc.enable()
    except SyntaxError as exc:
        from migration_audit.sources.syntax import newer_syntax, running

        lines = text.splitlines()
        line = lines[exc.lineno - 1] if exc.lineno and 0 < exc.lineno <= len(lines) else ""
        newer = newer_syntax(line)
        if newer is not None:
            raise SourceError(f"it uses {newer[0]}, syntax of Python {newer[1]}, and this is Python {running()}",
                              exc.lineno or 1, 1 + len(line) - len(line.lstrip()), newer) from None
        raise SourceError(f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1) from None
    except (RecursionError, MemoryError):
        raise SourceError("expression nested too deeply to parse") from None
    except ValueError as exc:  # pragma: no cover - e.g. odd null handling
        raise SourceError(f"cannot parse: {exc}") from None
    # Python counts lines at \n, \r\n and \r only (str.splitlines also
    # splits at form feeds and Unicode separators, which would shift lines).
    return SourceFile(path, text, tree, re.split(r"\r\n|\r|\n", text))


def _statements(tree: ast.AST) -> Iterator[ast.stmt]:
    """Every statement, at any depth, without walking into expressions (a
    squashed migration has a million expression nodes and a few imports)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt):
            yield node
        names = _BLOCKS.get(type(node))
        if names is None:
            names = _BLOCKS[type(node)] = tuple(
                n for n in ("body", "orelse", "finalbody", "handlers", "cases") if n in node._fields)
        for name in names:
            children = getattr(node, name, None)
            if isinstance(children, list):
                stack.extend(reversed(children))


# node type → its fields that hold statements (most statements have none)
_BLOCKS: dict[type, tuple[str, ...]] = {}


class Imports:
    """Local names bound by imports → qualified names (``sa`` → ``sqlalchemy``,
    ``text`` → ``sqlalchemy.text``). ``star`` lists modules star-imported."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.modules: set[str] = set()  # local names bound by a plain `import`
        self.star: list[str] = []
        self.nodes: dict[str, ast.stmt] = {}  # local name → the import statement

    @classmethod
    def of(cls, tree: ast.AST, package: str | None = None) -> Imports:
        """``package``: the package the module is in (the module itself for
        an ``__init__.py``); given, relative imports are resolved too."""
        imports = cls()
        for node in _statements(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    imports.nodes[alias.asname or alias.name.split(".")[0]] = node
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imports.names[alias.asname] = alias.name
                        imports.modules.add(alias.asname)
                    else:
                        root = alias.name.split(".")[0]
                        imports.names[root] = root
                        imports.modules.add(root)
            elif isinstance(node, ast.ImportFrom):
                module = absolute_module(node, package)
                if not module:
                    continue
                for alias in node.names:
                    if alias.name == "*":
                        imports.star.append(module)
                    else:
                        imports.names[alias.asname or alias.name] = f"{module}.{alias.name}"
        return imports

    def qualify(self, node: ast.AST) -> str | None:
        """``sa.func.now`` → ``sqlalchemy.func.now``; None for non-names."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        root = self.names.get(node.id, node.id)
        return ".".join([root, *reversed(parts)])

    def sa_name(self, node: ast.AST) -> str | None:
        """The SQLAlchemy-level name a call refers to: ``Column``, ``text``,
        ``func.now``; None when it is clearly something else. Names that no
        import binds are taken as SQLAlchemy's (star imports, sloppy files)."""
        q = self.qualify(node)
        if q is None:
            return None
        parts = q.split(".")
        if "func" in parts:
            i = parts.index("func")
            if parts[0] in ("sqlalchemy", "func") or parts[0] == "sa":
                return ".".join(parts[i:])
        if parts[0] == "sqlalchemy" or (len(parts) == 1 and parts[0] not in self.names):
            return parts[-1]
        if parts[0] == "sqlmodel" and parts[-1] in ("Column", "Field"):
            return parts[-1]
        return None


def absolute_module(node: ast.ImportFrom, package: str | None) -> str | None:
    """The module a ``from ... import`` names, with a relative one resolved
    against ``package``; None when it cannot be (no package given, or more
    dots than the package has levels)."""
    if node.level == 0:
        return node.module
    if package is None:
        return None
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts) or (node.level - 1 == len(parts) and not node.module):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])]) or None


def bindings(body: list[ast.stmt]) -> Iterator[tuple[str, ast.AST]]:
    """Each name a block of statements binds directly, in order, with what it
    is bound to: an assignment's value, the ``AnnAssign`` itself when it has
    no value (``id: Mapped[int]``), or the function definition."""
    for node in body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id, node.value if node.value is not None else node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node


def module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements that run when a module is imported, in order, including
    those under a top-level if/else or try."""
    out: list[ast.stmt] = []
    for node in body:
        out.append(node)
        if isinstance(node, ast.If):
            out.extend(module_level(node.body) + module_level(node.orelse))
        elif isinstance(node, ast.Try):
            out.extend(module_level(node.body) + module_level(node.orelse) + module_level(node.finalbody))
    return out


_ALIASED_FROM = ("sqlalchemy", "sqlmodel", "flask_sqlalchemy")


def unalias_sqlalchemy(tree: ast.Module) -> None:
    """``from sqlalchemy import Column as C``: the reader knows SQLAlchemy's
    names, so every use of ``C`` is renamed ``Column`` in the tree it reads
    (messages quote the source text, which keeps ``C``), and the import
    binds ``Column``. Only where nothing else in the module binds ``C`` or
    ``Column`` (a ``def``, an assignment, another import, a parameter):
    otherwise a use could mean either, and the alias stays as written
    (its uses still resolve through the import)."""
    aliases: list[ast.alias] = []
    for node in _statements(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] in _ALIASED_FROM:
            aliases.extend(a for a in node.names if a.asname and a.asname != a.name and a.name != "*")
    if not aliases:
        return
    bindings = _binding_counts(tree)
    renames: dict[str, str] = {}
    for alias in aliases:
        assert alias.asname is not None
        if bindings.get(alias.asname, 0) == 1 and not bindings.get(alias.name, 0):
            renames[alias.asname] = alias.name
    if not renames:
        return
    for alias in aliases:
        if alias.asname in renames:
            alias.asname = None  # the import binds the name the uses now read
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in renames:
            node.id = renames[node.id]


def _binding_counts(tree: ast.AST) -> dict[str, int]:
    """How many places bind each name, anywhere in the module."""
    counts: dict[str, int] = {}

    def bind(name: str | None) -> None:
        if name:
            counts[name] = counts.get(name, 0) + 1

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bind(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(node.name)
        elif isinstance(node, ast.arg):
            bind(node.arg)
        elif isinstance(node, ast.alias):
            bind(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler):
            bind(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)):
            bind(node.name)
        elif isinstance(node, ast.MatchMapping):
            bind(node.rest)
    return counts


def literal(node: ast.AST | None) -> tuple[bool, object]:
    """(ok, value) of a literal expression, never raising."""
    if node is None:
        return True, None
    if isinstance(node, ast.Constant):
        # most literals; ast.literal_eval builds four nested closures per
        # call, a reference cycle that only the cyclic GC frees
        return True, node.value
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def str_arg(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


_SQL_CONSTANTS = {"true": "true", "false": "false", "null": "NULL"}


def sql_of(node: ast.AST, imports: Imports) -> str | None:
    """The SQL text a SQLAlchemy expression written in Python would emit as a
    server default, for the spellings migrations use; None when unknown."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return quote_sql_string(node.value)
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        if isinstance(node.value, (int, float)):
            return repr(node.value)
        if node.value is None:
            return "NULL"
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = sql_of(node.operand, imports)
        return f"-{inner}" if inner is not None else None
    if not isinstance(node, ast.Call):
        return None
    name = imports.sa_name(node.func)
    if name is None:
        return None
    args = node.args
    if name in ("text", "literal_column") and args:
        return str_arg(args[0])
    if name in _SQL_CONSTANTS and not args:
        return _SQL_CONSTANTS[name]
    if name == "literal" and args:
        ok, value = literal(args[0])
        if ok and isinstance(value, str):
            return quote_sql_string(value)
        if ok and isinstance(value, (int, float)) and not isinstance(value, bool):
            return repr(value)
        return None
    if name == "DefaultClause" and args:
        return sql_of(args[0], imports)
    if name.startswith("func."):
        fname = name.split(".", 1)[1]
        rendered: list[str] = []
        for a in args:
            r = sql_of(a, imports)
            if r is None:
                return None
            rendered.append(r)
        ansi = plain.ANSI_FUNCTIONS.get(fname.lower())
        if ansi is not None:
            return f"{ansi}({', '.join(rendered)})" if rendered else ansi
        return f"{fname}({', '.join(rendered)})"
    return None


def server_default_of(node: ast.AST | None, src: SourceFile, imports: Imports) -> DefaultValue | None:
    """A ``server_default=`` argument as a fact; None for ``None``/absent."""
    if node is None or (isinstance(node, ast.Constant) and node.value is None):
        return None
    loc = src.loc(node)
    spelled = src.segment(node)
    if isinstance(node, ast.Call):
        name = imports.sa_name(node.func)
        if name == "FetchedValue":
            return DefaultValue(DefaultKind.FETCHED, source=spelled, location=loc)
        if name == "DefaultClause" and node.args:
            inner = server_default_of(node.args[0], src, imports)
            return inner
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return DefaultValue(DefaultKind.CONSTANT, value=node.value, sql=quote_sql_string(node.value),
                            source=spelled, location=loc)
    sql = sql_of(node, imports)
    if sql is None:
        return DefaultValue(DefaultKind.OPAQUE, source=spelled, location=loc)
    content = string_literal_content(sql)
    if content is not None:
        return DefaultValue(DefaultKind.CONSTANT, value=content, sql=sql, source=spelled, location=loc)
    return DefaultValue(DefaultKind.SQL, sql=sql, source=spelled, location=loc)


def type_of(node: ast.AST | None, src: SourceFile) -> str:
    if node is None:
        return ""
    text = src.segment(node, limit=80)
    for prefix in ("sa.", "sqlalchemy.", "postgresql.", "mysql.", "sqlite."):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text
