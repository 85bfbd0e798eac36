"""Where each model column is written, and the imported models located there.

SQLAlchemy keeps no source location for a column. For a mapped class, the
mapper gives the attribute key; the class's MRO is searched (the first class
whose body assigns the key wins) for where it is written. Core
``Table("name", Column("col", ...))`` calls are found in the project's
imported modules.

Each model module is read once into plain values (:class:`FileSources`):
every attribute of every class, the Column call it holds, and that call's
default keywords with their source text and where their value comes from
(:mod:`.provenance`). Plain values can be read ahead, while the models are
imported (by the parent of a model-import child, or by a child of an Alembic
command, :func:`read_ahead`), and joined with the imported models' records
cheaply (:func:`locate_schema`).
"""

from __future__ import annotations

import ast
import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from migration_audit.facts import DefaultKind, DefaultValue, Location, Schema, _rebuilt
from migration_audit.sources.locate import (
    _call_name,
    alias_call,
    annotated_aliases,
    class_defs,
    column_call,
    core_column_call,
    keyword_value,
    mapped_inner,
    strip_optional,
    table_calls,
)
from migration_audit.sources.models import (
    ClassRef,
    ColumnRecord,
    RuntimeModels,
    TableRecord,
    _client_value,
    _server_value,
)
from migration_audit.sources.provenance import UNKNOWN, ModuleIndex, Provenance
from migration_audit.sources.pyexpr import SourceError, SourceFile, bindings, parse_file, unalias_sqlalchemy

# the keyword sets a column's defaults are read from, as the readers ask for them
CLIENT = ("default", "insert_default")
SERVER = ("server_default",)
ONUPDATE = ("onupdate",)
SERVER_ONUPDATE = ("server_onupdate",)
_KEYWORDS = (CLIENT, SERVER, ONUPDATE, SERVER_ONUPDATE)


class Place(Protocol):
    """Where a column is written, as the default readers need it."""

    location: Location | None
    column_only: bool

    def keyword(self, *names: str) -> tuple[Location | None, str | None]: ...

    def provenance(self, *names: str) -> Provenance: ...


@dataclass(frozen=True, slots=True)
class KeywordSource:
    location: Location
    text: str  # as written, on one line
    provenance: Provenance

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return _rebuilt(self)  # one per default read ahead for the revision hook


@dataclass(slots=True)
class ColumnSource:
    """One attribute (or Core column) as written: its place, and the default
    keywords of the Column call in it."""

    location: Location | None
    keywords: dict[tuple[str, ...], KeywordSource] = field(default_factory=dict)
    # The defaults are written in a Column nested in the attribute's value
    # (SQLModel's `Field(sa_column=Column(...))`): they are the Column's
    # only, not the dataclass __init__ default.
    column_only: bool = False

    def keyword(self, *names: str) -> tuple[Location | None, str | None]:
        found = self.keywords.get(names)
        return (self.location, None) if found is None else (found.location, found.text)

    def provenance(self, *names: str) -> Provenance:
        found = self.keywords.get(names)
        return UNKNOWN if found is None else found.provenance


@dataclass(slots=True)
class ClassSource:
    location: Location
    attributes: dict[str, ColumnSource]  # every name the body binds
    lines: tuple[int, int] = (0, 0)  # first (decorators included) and last line

    def holds(self, line: int) -> bool:
        return self.lines[0] <= line <= self.lines[1]


@dataclass(slots=True)
class TableSource:
    location: Location
    columns: dict[str, ColumnSource]


@dataclass(slots=True)
class FileSources:
    path: Path
    classes: dict[str, list[ClassSource]] = field(default_factory=dict)  # by qualified name, in source order
    tables: dict[str, list[TableSource]] = field(default_factory=dict)  # Core Table() calls by name


class _Located:
    """Where one column is written, read from the syntax tree itself (the
    static reader's case, which has the tree at hand)."""

    def __init__(self, src: SourceFile | None, call: ast.Call | None, location: Location | None,
                 modules: ModuleIndex | None = None) -> None:
        self.src = src
        self.call = call
        self.location = location
        self.modules = modules
        self.column_only = False

    def keyword(self, *names: str) -> tuple[Location | None, str | None]:
        node = keyword_value(self.call, *names)
        if node is None or self.src is None:
            return self.location, None
        return self.src.loc(node), self.src.segment(node)

    def provenance(self, *names: str) -> Provenance:
        node = keyword_value(self.call, *names)
        if node is None or self.src is None or self.modules is None or isinstance(node, ast.Constant):
            return UNKNOWN  # a literal is the same in every process
        return self.modules.classify(self.src, node)


def _column_source(src: SourceFile, value: ast.AST, call: ast.Call | None, modules: ModuleIndex,
                   alias: tuple[ast.Call, SourceFile] | None = None) -> ColumnSource:
    """``alias``: the mapped_column of the ``Annotated`` alias the attribute
    is annotated with (and the file it is written in), whose defaults apply
    unless the attribute's own mapped_column gives them."""
    where = _Located(src, call, src.loc(call or value), modules)
    out = ColumnSource(where.location)
    out.column_only = call is not None and call is not value and isinstance(value, ast.Call)
    calls = [(call, where)] if call is not None else []
    if alias is not None and (call is None or (call is value and _call_name(call.func) == "mapped_column")):
        calls.append((alias[0], _Located(alias[1], alias[0], None, modules)))
    for names in _KEYWORDS:
        for c, at in calls:
            node = keyword_value(c, *names)
            if node is not None and len(calls) > 1 and c is call and isinstance(node, ast.Constant) \
                    and node.value is None:
                continue  # `server_default=None` given again: SQLAlchemy keeps the alias's
            if node is not None:
                assert at.src is not None
                out.keywords[names] = KeywordSource(at.src.loc(node), at.src.segment(node), at.provenance(*names))
                break
    return out


class _Aliases:
    """The ``Annotated`` aliases an attribute's ``Mapped[X]`` may name: the
    module's own, and those of the project modules it imports them from
    (``from app.types import created_ts``, ``types.created_ts``)."""

    def __init__(self, src: SourceFile, modules: ModuleIndex) -> None:
        self.src = src
        self.modules = modules
        self.own = annotated_aliases(src.tree)
        self._found: dict[str, tuple[ast.Call, SourceFile] | None] = {}

    def of(self, annotation: ast.AST | None) -> tuple[ast.Call, SourceFile] | None:
        if annotation is None:
            return None
        own = alias_call(annotation, self.own)
        if own is not None:
            return own, self.src
        inner = mapped_inner(annotation)
        name = strip_optional(inner) if inner is not None else None
        if not isinstance(name, (ast.Name, ast.Attribute)):
            return None
        key = name.id if isinstance(name, ast.Name) else ast.unparse(name)
        if key not in self._found:
            # each name once: `Mapped[datetime]` a thousand times looks for no file a thousand times
            module = self.modules.module(self.src.path, self.src)
            target = module.project_name(name) if module is not None else None
            found = annotated_aliases(target[0].src.tree).get(target[1]) if target is not None else None
            self._found[key] = (found, target[0].src) if found is not None and target is not None else None
        return self._found[key]


def read_sources(path: Path, modules: ModuleIndex) -> FileSources | None:
    """The classes and Core tables of one module; None when it cannot be read."""
    try:
        src = parse_file(path)
    except SourceError:
        return None
    unalias_sqlalchemy(src.tree)  # `from sqlalchemy import Column as C`: C(...) is a Column
    out = FileSources(path)
    aliases = _Aliases(src, modules)
    for qualname, nodes in class_defs(src.tree).items():
        for node in nodes:
            attributes = {}
            annotations = {n.target.id: n.annotation for n in node.body
                           if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
            for name, value in dict(bindings(node.body)).items():  # the last binding of a name wins
                attributes[name] = _column_source(src, value, column_call(value), modules,
                                                  aliases.of(annotations.get(name)))
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            out.classes.setdefault(qualname, []).append(
                ClassSource(src.loc(node), attributes, (first, node.end_lineno or node.lineno)))
    # A Core Table(...) call needs the name Table in the text (imported under
    # another name too): without it, no walk of every node (half the time a
    # large models module takes to read)
    for name, call in table_calls(src.tree) if "Table" in src.text else ():
        columns: dict[str, ColumnSource] = {}
        for arg in call.args[1:]:
            if isinstance(arg, ast.Call) and arg.args and isinstance(arg.args[0], ast.Constant) \
                    and isinstance(arg.args[0].value, str):
                ccall = core_column_call(call, arg.args[0].value)
                if ccall is not None and arg.args[0].value not in columns:
                    columns[arg.args[0].value] = _column_source(src, ccall, ccall, modules)
        out.tables.setdefault(name, []).append(TableSource(src.loc(call), columns))
    return out


class SourceCatalog:
    """The model modules read so far, each read once."""

    def __init__(self, search: list[Path]) -> None:
        self.modules = ModuleIndex(search)
        self._files: dict[Path, FileSources | None] = {}
        self._named: dict[str, Path] = {}  # as asked for → resolved (resolve() is a syscall per part)

    def file(self, name: str | Path) -> FileSources | None:
        key = str(name)
        path = self._named.get(key)
        if path is None:
            path = self._named[key] = Path(name).resolve()
        if path not in self._files:
            self._files[path] = read_sources(path, self.modules)
        return self._files[path]

    def add(self, sources: Iterable[FileSources]) -> None:
        """Files read by another process (:func:`read_ahead`)."""
        for found in sources:
            self._files.setdefault(found.path, found)

    def read(self, paths: Iterable[Path]) -> None:
        for path in paths:
            self.file(path)

    def class_source(self, ref: ClassRef) -> ClassSource | None:
        """The definition of the class ``ref`` names. Of two with its name
        (a redefinition, both branches of an if), the one holding the line
        the import saw it at, when known, else the later one, which is what
        a redefinition leaves."""
        found = self.file(ref.file)
        candidates = found.classes.get(ref.qualname) if found is not None else None
        if not candidates:
            return None
        if ref.line is not None:
            for candidate in candidates:
                if candidate.holds(ref.line):
                    return candidate
        return candidates[-1]

    def tables(self, name: str, module_files: list[Path]) -> list[TableSource]:
        out: list[TableSource] = []
        for path in module_files:
            found = self.file(path)
            if found is not None:
                out.extend(found.tables.get(name, ()))
        return out


# -- imported models, located ------------------------------------------------

def _with_provenance(value: DefaultValue | None, where: Place, names: tuple[str, ...]) -> DefaultValue | None:
    if value is None or value.kind not in (DefaultKind.CONSTANT, DefaultKind.SQL, DefaultKind.OPAQUE,
                                           DefaultKind.CALLABLE):
        return value  # a callable may still return a value fixed at import (lambda: TOKEN)
    p = where.provenance(*names)
    if p.kind != "per-row":
        return value
    return replace(value, frozen_origin=p.origin, frozen_via=p.via, frozen_fixable=p.fixable)


def _placed(value: DefaultValue | None, where: Place, names: tuple[str, ...]) -> DefaultValue | None:
    """A default read at run time, with the place its keyword is written
    (an identity or computed column: the column's place)."""
    if value is None:
        return None
    loc, source = where.keyword(*names)
    if value.kind in (DefaultKind.IDENTITY, DefaultKind.COMPUTED):
        loc = where.location
    return value.placed(source if source is not None else value.source, loc)


def _client_default(d: Any, where: Place, names: tuple[str, ...], dialect: Any) -> DefaultValue | None:
    return _placed(_client_value(d, dialect), where, names)


def _server_default(sd: Any, where: Place, names: tuple[str, ...], dialect: Any) -> DefaultValue | None:
    return _placed(_server_value(sd, dialect), where, names)


_NOWHERE = ColumnSource(None)


def _locate(col: ColumnRecord, table: TableRecord, catalog: SourceCatalog,
            module_files: list[Path]) -> tuple[ColumnSource, str | None]:
    for mro, key, cls in col.mapped:
        for ref in mro:
            found = catalog.class_source(ref)
            if found is not None and key in found.attributes:
                return found.attributes[key], key
        if cls is not None and catalog.class_source(cls) is not None:
            # declared elsewhere (e.g. __table__ = Table(...)): try the Core form
            break
    tables = catalog.tables(table.fact.name, module_files)
    for t in tables:
        if col.fact.name in t.columns:
            return t.columns[col.fact.name], None
    for cls in table.classes:
        found = catalog.class_source(cls)
        if found is not None:
            return ColumnSource(found.location), None
    for t in tables:
        return ColumnSource(t.location), None
    return _NOWHERE, None


def locate_schema(models: RuntimeModels, catalog: SourceCatalog, fallback: Location) -> Schema:
    """The imported models' facts, each column at the line that defines it,
    each default with its source text and where its value comes from. The
    records' facts become the schema's (``models`` is used up)."""
    schema = Schema()
    for table in models.tables:
        fact = table.fact
        fact.columns = {}
        for record in table.columns:
            where, attribute = _locate(record, table, catalog, models.module_files)
            col = record.fact  # the records are used once: located in place
            col.location = where.location or fallback
            fact.location = fact.location or col.location
            col.default = _with_provenance(_placed(col.default, where, CLIENT), where, CLIENT)
            col.server_default = _with_provenance(_placed(col.server_default, where, SERVER), where, SERVER)
            col.onupdate = _with_provenance(_placed(col.onupdate, where, ONUPDATE), where, ONUPDATE)
            col.server_onupdate = _placed(col.server_onupdate, where, SERVER_ONUPDATE)
            col.attribute = attribute if attribute and attribute != col.name else None
            col.in_dataclass = not where.column_only and record.dataclass_style
            fact.columns[col.name] = col
        fact.location = fact.location or fallback
        schema.tables[fact.key] = fact
    return schema


# -- reading ahead, in a child process ------------------------------------------

class ReadAhead:
    """A child process reading model modules into :class:`FileSources`
    while this process does other work (Alembic comparing the models with
    the database). Only migration-audit's own code runs in it. It is an
    optimisation only: whatever it has not read (it failed, it was slow) is
    read by :class:`SourceCatalog` when needed."""

    def __init__(self, paths: list[Path], search: list[Path]) -> None:
        from migration_audit.sources.child import kill_group

        self._kill = kill_group
        self._tmp = tempfile.TemporaryDirectory(prefix="migration-audit-")
        request = os.path.join(self._tmp.name, "request.pickle")
        self._out = os.path.join(self._tmp.name, "sources.pickle")
        with open(request, "wb") as fh:
            pickle.dump((paths, search), fh)
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            # -P: the current folder is not put on sys.path (a project's
            # sqlalchemy.py must not shadow the library)
            [sys.executable, "-P", "-m", "migration_audit.sources.model_source", request, self._out,
             str(os.getpid())],
            # its standard input is a pipe this process never writes to: it
            # ends when this process is done with the result, or dies
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=hasattr(os, "killpg"),
        )

    def result(self, timeout: float = 60.0) -> list[FileSources]:
        """What the child read (waiting for it up to ``timeout`` seconds),
        or nothing; the child is gone afterwards."""
        proc, self._proc = self._proc, None
        if proc is None:
            return []
        try:
            deadline = time.monotonic() + timeout
            while not os.path.exists(self._out) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            with open(self._out, "rb") as fh:
                found = pickle.load(fh)
            return [f for f in found if isinstance(f, FileSources)]
        except Exception:  # noqa: BLE001 - an optimisation: read in this process instead
            return []
        finally:
            self._stop(proc)

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        try:
            os.unlink(self._out)  # taken: the child need not clean up
        except OSError:
            pass
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
        self._kill(proc)
        self._tmp.cleanup()

    def cancel(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            self._stop(proc)


def _main(argv: list[str]) -> int:
    import gc

    parent = int(argv[2])  # not getppid(): the parent may have died before this process started
    gc.disable()  # our trees and facts hold no reference cycles
    try:
        with open(argv[0], "rb") as fh:
            paths, search = pickle.load(fh)
        catalog = SourceCatalog(search)
        found = [f for f in (catalog.file(p) for p in paths) if f is not None]
        tmp = argv[1] + ".part"
        with open(tmp, "wb") as fh:
            pickle.dump(found, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, argv[1])
    finally:
        # Wait for the parent to take the result (its end of standard input
        # closes then). If it died instead (SIGTERM to `alembic`, which runs
        # no cleanup then), the folder is this process's to remove: it runs
        # in a session of its own, out of reach of signals to the parent's
        # process group.
        try:
            sys.stdin.buffer.read()
        except OSError:
            pass
        # The parent removes the result before it lets go of the pipe: a
        # result still there was not taken. Without one, wait a moment for
        # this process to be handed to another parent (the pipe ends before
        # that happens) to tell a parent that died from one that goes on.
        gone = os.path.exists(argv[1])
        deadline = time.monotonic() + 2
        while not gone and time.monotonic() < deadline:
            gone = os.getppid() != parent
            if not gone:
                time.sleep(0.02)
        if gone:
            import shutil

            shutil.rmtree(os.path.dirname(argv[1]), ignore_errors=True)
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through ReadAhead
    # Run the importable module, not __main__, so that the pickle names
    # migration_audit.sources.model_source.FileSources.
    from migration_audit.sources import model_source

    raise SystemExit(model_source._main(sys.argv[1:]))
