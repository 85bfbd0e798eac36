"""Map runtime SQLAlchemy objects back to the source lines that define them.

SQLAlchemy keeps no source location for a column. For a mapped class, the
mapper gives the attribute key; the class's MRO is searched (mixins first
found wins) for the class whose body assigns that key, and its AST gives the
line. Core ``Table("name", Column("col", ...))`` calls are found by scanning
the project's imported modules. Every file is parsed once.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from migration_audit.facts import Location
from migration_audit.sources.pyexpr import SourceError, SourceFile, bindings, parse_file, unalias_sqlalchemy

_COLUMN_CALLS = {"Column", "mapped_column", "Field", "column_property"}
_LIBRARY_MODULES = {"sqlalchemy", "sqlmodel", "pydantic", "builtins", "typing", "abc", "flask_sqlalchemy"}


def _call_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


@dataclass(frozen=True, slots=True)
class ClassRef:
    """Where a class is defined, as the process that imported it saw it: the
    parent process locates the columns a model-import child reports."""

    module: str
    qualname: str
    file: str


class ClassRefs:
    """:class:`ClassRef` of runtime classes, each module's file looked up
    once (a models module may define hundreds of classes)."""

    def __init__(self) -> None:
        self._files: dict[str, str | None] = {}
        self._refs: dict[type, ClassRef | None] = {}
        self._mros: dict[type, tuple[ClassRef, ...]] = {}

    def of(self, cls: type) -> ClassRef | None:
        """None for a library class (DeclarativeBase, SQLModel, pydantic's
        BaseModel…: never where a project column is defined, and big files
        to parse) or one without a source file."""
        if cls in self._refs:
            return self._refs[cls]
        module = getattr(cls, "__module__", "") or ""
        ref = None
        if module.split(".")[0] not in _LIBRARY_MODULES:
            if module in self._files:  # getsourcefile finds a class through its module
                filename = self._files[module]
            else:
                filename = _source_file(cls)
                if module:
                    self._files[module] = filename
            if filename:
                ref = ClassRef(module, getattr(cls, "__qualname__", cls.__name__), filename)
        self._refs[cls] = ref
        return ref

    def mro(self, cls: type) -> tuple[ClassRef, ...]:
        if cls not in self._mros:
            self._mros[cls] = tuple(r for r in (self.of(k) for k in getattr(cls, "__mro__", (cls,))) if r is not None)
        return self._mros[cls]


def _source_file(cls: type) -> str | None:
    try:
        filename = inspect.getsourcefile(cls)
    except (TypeError, OSError):
        return None
    if filename and any(part in ("site-packages", "dist-packages") for part in Path(filename).parts):
        return None
    return filename


class SourceIndex:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[Path, SourceFile | None] = {}
        self._classes: dict[Path, dict[str, ast.ClassDef]] = {}
        self._tables: dict[str, list[tuple[SourceFile, ast.Call]]] | None = None
        self._class_nodes: dict[ClassRef, tuple[SourceFile, ast.ClassDef] | None] = {}
        self._attributes: dict[int, dict[str, ast.AST]] = {}
        self.module_files: list[Path] = []

    def file(self, path: Path) -> SourceFile | None:
        if path in self._files:  # cached under the name asked for: resolve() is a syscall per part
            return self._files[path]
        resolved = path.resolve()
        if resolved not in self._files:
            try:
                src = parse_file(resolved)
                unalias_sqlalchemy(src.tree)  # `from sqlalchemy import Column as C`: C(...) is a Column
                self._files[resolved] = src
            except SourceError:
                self._files[resolved] = None
        self._files[path] = self._files[resolved]
        return self._files[resolved]

    def prefetch(self, paths: Iterable[Path]) -> None:
        """Parse and index files the models are likely defined in, ahead of
        the columns to locate (while a child process imports them)."""
        for path in paths:
            src = self.file(path)
            if src is not None:
                self._class_defs(src)

    def _class_defs(self, src: SourceFile) -> dict[str, ast.ClassDef]:
        if src.path not in self._classes:
            found: dict[str, ast.ClassDef] = {}

            def walk(body: Iterable[ast.stmt], prefix: str) -> None:
                for node in body:
                    if isinstance(node, ast.ClassDef):
                        qual = f"{prefix}{node.name}"
                        found.setdefault(qual, node)
                        walk(node.body, qual + ".")
                    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        walk(node.body, f"{prefix}{node.name}.<locals>.")
                    elif isinstance(node, (ast.If, ast.Try, ast.With)):
                        walk(getattr(node, "body", []), prefix)
                        walk(getattr(node, "orelse", []), prefix)

            walk(src.tree.body, "")
            self._classes[src.path] = found
        return self._classes[src.path]

    def class_node(self, ref: ClassRef) -> tuple[SourceFile, ast.ClassDef] | None:
        if ref in self._class_nodes:
            return self._class_nodes[ref]
        found: tuple[SourceFile, ast.ClassDef] | None = None
        src = self.file(Path(ref.file))
        if src is not None:
            node = self._class_defs(src).get(ref.qualname)
            found = (src, node) if node is not None else None
        self._class_nodes[ref] = found
        return found

    def attribute_value(self, cls_node: ast.ClassDef, key: str) -> ast.AST | None:
        """The expression assigned to ``key`` in the class body (or the
        ``declared_attr`` function that returns it). Each class body is
        scanned once: a model with hundreds of columns is otherwise scanned
        once per column."""
        attributes = self._attributes.get(id(cls_node))
        if attributes is None:  # the index keeps every parsed tree alive, so ids stay unique
            attributes = self._attributes[id(cls_node)] = dict(bindings(cls_node.body))
        return attributes.get(key)

    def locate_attribute(self, mro: Iterable[ClassRef], key: str) -> tuple[SourceFile, ast.AST, ClassRef] | None:
        for klass in mro:
            hit = self.class_node(klass)
            if hit is None:
                continue
            src, node = hit
            value = self.attribute_value(node, key)
            if value is not None:
                return src, value, klass
        return None

    def class_location(self, cls: ClassRef) -> Location | None:
        hit = self.class_node(cls)
        return hit[0].loc(hit[1]) if hit else None

    # -- Core tables ------------------------------------------------------
    def table_calls(self, name: str) -> list[tuple[SourceFile, ast.Call]]:
        if self._tables is None:
            self._tables = {}
            for path in self.module_files:
                src = self.file(path)
                if src is None:
                    continue
                for node in ast.walk(src.tree):
                    if (
                        isinstance(node, ast.Call)
                        and _call_name(node.func) == "Table"
                        and node.args
                        and isinstance(node.args[0], ast.Constant)
                        and isinstance(node.args[0].value, str)
                    ):
                        self._tables.setdefault(node.args[0].value, []).append((src, node))
        return self._tables.get(name, [])


def column_call(value: ast.AST | None) -> ast.Call | None:
    """The Column/mapped_column call inside an attribute's value: the value
    itself, a ``declared_attr`` function's return, or ``Field(sa_column=...)``."""
    if value is None:
        return None
    if isinstance(value, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for node in ast.walk(value):
            if isinstance(node, ast.Return) and node.value is not None:
                return column_call(node.value)
        return None
    if isinstance(value, ast.Call):
        name = _call_name(value.func)
        if name == "Field":
            for kw in value.keywords:
                if kw.arg == "sa_column" and isinstance(kw.value, ast.Call):
                    return kw.value
            return value
        if name in _COLUMN_CALLS:
            return value
        # relationship(...) etc.: look for a Column inside (column_property(Column(...)))
        for node in ast.walk(value):
            if isinstance(node, ast.Call) and _call_name(node.func) in ("Column", "mapped_column"):
                return node
    return None


def keyword_value(call: ast.Call | None, *names: str) -> ast.expr | None:
    """The first of ``names`` passed to ``call``; for SQLModel's
    ``Field(sa_column_kwargs={"server_default": ...})``, also a key of that
    dict literal (where SQLModel takes the Column's own arguments from)."""
    if call is None:
        return None
    for name in names:
        for kw in call.keywords:
            if kw.arg == name:
                return kw.value
    if _call_name(call.func) == "Field":
        extra = next((kw.value for kw in call.keywords if kw.arg == "sa_column_kwargs"), None)
        if isinstance(extra, ast.Dict):
            for name in names:
                for key, value in zip(extra.keys, extra.values):
                    if isinstance(key, ast.Constant) and key.value == name:
                        return value
        elif isinstance(extra, ast.Call) and _call_name(extra.func) == "dict":
            return keyword_value(extra, *names)
    return None


def core_column_call(table_call: ast.Call, column: str) -> ast.Call | None:
    for arg in table_call.args[1:]:
        if (
            isinstance(arg, ast.Call)
            and _call_name(arg.func) == "Column"
            and arg.args
            and isinstance(arg.args[0], ast.Constant)
            and arg.args[0].value == column
        ):
            return arg
    return None
