"""Model metadata, imported at run time → facts.

``module:attr`` names the metadata (``app.models:Base.metadata``, a
``MetaData``, a declarative base, or anything with a ``.metadata``). The
import runs in a child interpreter (:mod:`.model_worker`), where any
exception the project raises becomes a located MA002 finding; the Alembic
hooks read the metadata env.py already imported. Each column is mapped back
to the line that defines it by :mod:`.model_source`, in the parent process.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import inspect
import os
import sys
import sysconfig
import traceback
import types
from copy import copy
from dataclasses import dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

from migration_audit.defaults import quote_sql_string, string_literal_content
from migration_audit.facts import (
    ColumnFact,
    DefaultKind,
    DefaultValue,
    Diagnostic,
    Location,
    Schema,
    TableFact,
    UniqueFact,
    _rebuilt,
)

_HOW = (
    "fix the import error, or point migration-audit at the metadata with --metadata module:attr "
    "or `metadata = \"module:attr\"` under [tool.migration-audit]"
)


@functools.cache
def _library_folders() -> tuple[str, ...]:
    """The standard library's and the environments' package folders."""
    paths = sysconfig.get_paths()
    found = {os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return tuple(sorted(f.rstrip(os.sep) + os.sep for f in found))


def _under(path: Path, roots: list[Path]) -> bool:
    text = str(path)
    if text.startswith("<"):  # "<frozen importlib._bootstrap>", "<string>"
        return False
    if text.startswith(_library_folders()) and not any(text.startswith(str(r) + os.sep) for r in roots):
        return False  # a library module: no need to resolve it, part by part
    try:
        resolved = path.resolve()
    except OSError:
        return False
    if not resolved.is_file() or any(part in ("site-packages", "dist-packages") for part in resolved.parts):
        return False
    return any(resolved.is_relative_to(r) for r in roots)


def _import_location(exc: BaseException, roots: list[Path], fallback: Location) -> Location:
    """The innermost traceback frame in the project's own files."""
    best = fallback
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and _under(Path(frame.filename), roots):
            best = Location(Path(frame.filename).resolve(), frame.lineno or 1, (frame.colno or 0) + 1)
    if isinstance(exc, SyntaxError) and exc.filename and _under(Path(exc.filename), roots):
        # a bad coding cookie is a SyntaxError at offset -1
        best = Location(Path(exc.filename).resolve(), max(exc.lineno or 1, 1), max(exc.offset or 1, 1))
    return best


def _resolve(spec: str) -> Any:
    module_name, sep, attr_path = spec.partition(":")
    if not sep or not module_name:
        raise ValueError(f"metadata {spec!r} must look like module:attribute (e.g. app.models:Base.metadata)")
    obj: Any = importlib.import_module(module_name)
    current = module_name
    for part in [p for p in attr_path.removesuffix("()").split(".") if p]:
        current = f"{current}.{part}"
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        if isinstance(obj, type(sys)) and hasattr(obj, "__path__"):
            try:
                obj = importlib.import_module(current)
                continue
            except ModuleNotFoundError as exc:
                if exc.name != current:
                    raise
        owner = f"module {obj.__name__}" if isinstance(obj, type(sys)) else type(obj).__name__
        raise AttributeError(f"{spec}: {owner} has no attribute {part!r}")
    if attr_path.endswith("()"):
        obj = obj()
    return obj


def _as_metadata(obj: Any, spec: str, called: bool = False) -> list[Any]:
    """The MetaData objects ``obj`` stands for: a MetaData, anything with a
    ``.metadata`` (a declarative base, ``SQLModel``), a Flask-SQLAlchemy
    ``db`` (one MetaData per bind), a Flask app that registered one (through
    Flask-Migrate or Flask-SQLAlchemy), or a function returning one of
    these, called with no arguments."""
    import functools
    import inspect

    from sqlalchemy import MetaData

    if isinstance(obj, MetaData):
        return [obj]
    binds = getattr(obj, "metadatas", None)  # Flask-SQLAlchemy 3: {bind key: MetaData}
    if isinstance(binds, dict) and binds and all(isinstance(m, MetaData) for m in binds.values()):
        return list(binds.values())
    meta = getattr(obj, "metadata", None)
    if isinstance(meta, MetaData):
        return [meta]
    extensions = getattr(obj, "extensions", None)  # a Flask app
    if isinstance(extensions, dict):
        db = getattr(extensions.get("migrate"), "db", None) or extensions.get("sqlalchemy")
        if db is not None:
            return _as_metadata(db, spec, called)
    if not called and (inspect.isroutine(obj) or isinstance(obj, functools.partial)):
        return _as_metadata(obj(), spec, called=True)
    what = f"{spec} returned an object of type {type(obj).__name__}" if called else f"{spec} is a {type(obj).__name__}"
    raise TypeError(f"{what}, not a MetaData, a declarative base, a Flask-SQLAlchemy db or a Flask app that has one")


def _detail(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}) raised while importing"
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def _failure(exc: BaseException, what: str, roots: list[Path], fallback: Location) -> Diagnostic:
    message, how = f"{what}: {_detail(exc)}", _HOW
    if isinstance(exc, SyntaxError) and exc.text:
        from migration_audit.sources.syntax import newer_syntax, running

        newer = newer_syntax(exc.text)
        if newer is not None:
            name = Path(exc.filename).name if exc.filename else "a model module"
            message = (f"{what}: {name} uses {newer[0]}, syntax of Python {newer[1]}, and this is Python "
                       f"{running()}")
            how = (f"run migration-audit with Python {newer[1]} or newer, as the project does; meanwhile the "
                   "migration rules ran")
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        # Say where it was looked for: usually a dependency that is not
        # installed in this Python, or the project's package outside the path.
        top = exc.name.split(".")[0]
        own = next((r / top for r in roots if (r / top / "__init__.py").is_file() or (r / f"{top}.py").is_file()),
                   None)
        message += (f" (looked in the project folders {', '.join(str(r) for r in roots)} and in the packages "
                    f"installed for {sys.executable})")
        if own is not None and exc.name != top:
            # the project's own package is there, one of its modules is not
            how = (f"{top} is the project's own package ({own}), and it has no {exc.name}: restore the module, "
                   "or point target_metadata in env.py (or --metadata, or `metadata` under "
                   "[tool.migration-audit]) at the module that defines the models. Meanwhile the migration "
                   "rules ran")
        else:
            how = (f"install the project's dependencies into the Python that runs migration-audit "
                   f"(`{sys.executable} -m pip install -e .` or its requirements file); if {top} is the project's "
                   "own package, add the folder that contains it to prepend_sys_path in alembic.ini. Meanwhile "
                   "the migration rules ran")
    return Diagnostic("MA002", message, how, _import_location(exc, roots, fallback))


def load_metadata(
    specs: list[str], import_modules: dict[str, Location | None], roots: list[Path], fallback: Location
) -> tuple[list[Any], list[Diagnostic]]:
    """Import the project modules env.py imports (some register models only
    as a side effect), then each metadata spec. Runs in the child
    interpreter of :mod:`.model_worker`, where whatever the project raises,
    SystemExit and KeyboardInterrupt included, is the project's: an MA002.
    Returns the MetaData objects and the MA002s, one per root cause."""
    found: list[Any] = []
    diagnostics: list[Diagnostic] = []
    failed: set[str] = set()
    reported: set[str] = set()  # one finding per root cause (a missing dependency)

    missing: list[str] = []  # dependencies not installed, reported already

    def report(exc: BaseException, what: str, where: Location) -> None:
        if isinstance(exc, ModuleNotFoundError):
            missing.append(exc.name or "")
        elif isinstance(exc, ImportError) and missing:
            # "cannot import name X from partially initialized module": what
            # the first failed import left behind, not a cause of its own
            return
        if _detail(exc) not in reported:
            reported.add(_detail(exc))
            diagnostics.append(_failure(exc, what, roots, where))

    spec_modules = {spec.partition(":")[0] for spec in specs}
    for module, named_at in import_modules.items():
        if any(module == f or module.startswith(f + ".") for f in failed):
            continue
        if any(m == module or m.startswith(module + ".") for m in spec_modules):
            continue  # imported with the metadata below, and reported as such
        try:
            importlib.import_module(module)
        except BaseException as exc:  # noqa: BLE001 - project code may raise anything
            failed.add(module)
            report(exc, f"cannot import {module}", named_at or fallback)
    for spec in specs:
        module = spec.partition(":")[0]
        if any(module == f or module.startswith(f + ".") for f in failed):
            continue  # already reported
        try:
            found.extend(_as_metadata(_resolve(spec), spec))
        except BaseException as exc:  # noqa: BLE001
            report(exc, f"cannot load model metadata {spec}", import_modules.get(module) or fallback)
    return found, diagnostics


# -- facts -------------------------------------------------------------------

def _dialect(name: str) -> Any:
    from sqlalchemy.engine import make_url
    from sqlalchemy.engine.default import DefaultDialect

    if name and name != "default":
        try:
            return make_url(f"{name}://").get_dialect()()
        except Exception:  # noqa: BLE001 - unknown dialect name: fall back
            pass
    return DefaultDialect()


def _render(arg: Any, dialect: Any) -> str | None:
    try:
        return str(dialect.ddl_compiler(dialect, None).render_default_string(arg))
    except Exception:  # noqa: BLE001 - an expression the dialect cannot compile
        try:
            return str(arg.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        except Exception:  # noqa: BLE001
            return None


def _callable_name(fn: Any) -> str:
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    module = getattr(fn, "__module__", None)
    return f"{module}.{name}" if module and module != "builtins" else str(name)


def _client_value(d: Any, dialect: Any) -> DefaultValue | None:
    """``default=``/``onupdate=`` as the imported column holds it; where it
    is written comes later (:func:`_placed`)."""
    if d is None or getattr(d, "is_sentinel", False) or type(d).__name__ == "_InsertSentinelColumnDefault":
        return None
    if getattr(d, "is_sequence", False):
        return DefaultValue(DefaultKind.SEQUENCE, value=getattr(d, "name", None))
    if getattr(d, "is_callable", False):
        fn = getattr(d, "_fn", None) or d.arg
        return DefaultValue(DefaultKind.CALLABLE, value=_callable_name(fn))
    if getattr(d, "is_clause_element", False):
        return DefaultValue(DefaultKind.SQL, sql=_render(d.arg, dialect))
    if getattr(d, "is_scalar", False):
        return DefaultValue(DefaultKind.CONSTANT, value=d.arg)
    return DefaultValue(DefaultKind.OPAQUE)


@functools.cache
def _default_classes() -> tuple[type, type, type, type]:
    from sqlalchemy import Computed, DefaultClause, Identity
    from sqlalchemy.sql.elements import TextClause

    return Identity, Computed, DefaultClause, TextClause


def _server_value(sd: Any, dialect: Any) -> DefaultValue | None:
    """``server_default=``/``server_onupdate=`` as the imported column holds it."""
    if sd is None:
        return None
    Identity, Computed, DefaultClause, TextClause = _default_classes()
    if isinstance(sd, Identity):
        return DefaultValue(DefaultKind.IDENTITY, source="Identity()")
    if isinstance(sd, Computed):
        return DefaultValue(DefaultKind.COMPUTED, sql=str(sd.sqltext))
    if isinstance(sd, DefaultClause):
        arg = sd.arg
        if isinstance(arg, str):
            return server_string(arg)
        return server_sql(arg.text if isinstance(arg, TextClause) else _render(arg, dialect))
    return DefaultValue(DefaultKind.FETCHED)


def server_string(value: str) -> DefaultValue:
    """``server_default="x"``: a string SQLAlchemy quotes."""
    return DefaultValue(DefaultKind.CONSTANT, value=value, sql=quote_sql_string(value))


def server_sql(sql: str | None) -> DefaultValue:
    """A server default given as SQL (``text("0")``, a rendered
    ``func.now()``); None: SQL the dialect could not render."""
    if sql is None:
        return DefaultValue(DefaultKind.OPAQUE)
    content = string_literal_content(sql)
    if content is not None:
        return DefaultValue(DefaultKind.CONSTANT, value=content, sql=sql)
    return DefaultValue(DefaultKind.SQL, sql=sql)


def _type_name(col: Any, dialect: Any) -> str:
    return compile_type(col.type, dialect)


def _as_stored(value: DefaultValue | None, type_: Any) -> DefaultValue | None:
    """An Enum member as a constant default, as the column's Enum type
    stores it: its name, unless ``values_callable`` says otherwise (then
    the string it gives, which is what the rules compare)."""
    if value is None or value.kind is not DefaultKind.CONSTANT or not isinstance(value.value, enum.Enum):
        return value
    stored = getattr(type_, "_valid_lookup", {}).get(value.value)
    if not isinstance(stored, str) or stored == value.value.name:
        return value
    return dataclasses.replace(value, value=stored)


def enum_choices(type_: Any) -> tuple[str, ...] | None:
    """The values of SQLAlchemy's Enum type (and the dialects' ENUM), as
    stored: member names for an enum class, unless values_callable says."""
    enums = getattr(type_, "enums", None)
    if not enums or not type(type_).__module__.startswith("sqlalchemy."):
        return None
    return tuple(enums) if all(isinstance(e, str) for e in enums) else None


def compile_type(type_: Any, dialect: Any) -> str:
    """A column type as the dialect spells it in DDL (``VARCHAR(20)``)."""
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # noqa: BLE001 - a type the dialect cannot render
        return type(type_).__name__


def _mappers_by_table() -> dict[Any, list[Any]]:
    from sqlalchemy.orm import mapperlib

    by_table: dict[Any, list[Any]] = {}
    registries = getattr(mapperlib, "_mapper_registries", {})
    for reg in list(registries):
        # Not reg.mappers: a class whose mapping raised (an import that
        # failed halfway and was caught, earlier in this process) leaves a
        # manager without a mapper, and reg.mappers raises UnmappedClassError.
        managers = list(getattr(reg, "_managers", ()))
        mappers = [m.__dict__["mapper"] for m in managers if "mapper" in m.__dict__] if managers else []
        if not managers:
            try:
                mappers = list(reg.mappers)
            except Exception:  # noqa: BLE001 - a registry SQLAlchemy itself cannot list
                mappers = []
        for mapper in mappers:
            for table in getattr(mapper, "tables", ()):
                by_table.setdefault(table, []).append(mapper)
    return by_table


def _is_dataclass_style(cls: type) -> bool:
    """Mapped as a dataclass (MappedAsDataclass, SQLModel, pydantic)."""
    return is_dataclass(cls) or hasattr(cls, "model_fields") or hasattr(cls, "__fields__")


def _mapped_by(col: Any, mappers: list[Any]) -> list[tuple[Any, Any]]:
    """(mapper, property) of each mapper that maps ``col``."""
    from sqlalchemy.orm.exc import UnmappedColumnError

    found = []
    for mapper in mappers:
        try:
            found.append((mapper, mapper.get_property_by_column(col)))
        except (UnmappedColumnError, KeyError, AttributeError):
            continue
    return found


_LIBRARY_MODULES = {"sqlalchemy", "sqlmodel", "pydantic", "builtins", "typing", "abc", "flask_sqlalchemy"}


@dataclass(frozen=True, slots=True)
class ClassRef:
    """Where a class is defined, as the process that imported it saw it: the
    parent process locates the columns a model-import child reports."""

    module: str
    qualname: str
    file: str
    # A line inside the class's definition, when the class tells it: of two
    # definitions with one name, the one that ran
    line: int | None = None

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return _rebuilt(self)  # a model-import child sends one per mapped class and MRO entry


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
                qualname = getattr(cls, "__qualname__", cls.__name__)
                ref = ClassRef(module, qualname, filename, _class_line(cls, qualname, filename))
        self._refs[cls] = ref
        return ref

    def mro(self, cls: type) -> tuple[ClassRef, ...]:
        if cls not in self._mros:
            self._mros[cls] = tuple(r for r in (self.of(k) for k in getattr(cls, "__mro__", (cls,))) if r is not None)
        return self._mros[cls]


def _class_line(cls: type, qualname: str, filename: str) -> int | None:
    """A line inside the definition of ``cls``: Python 3.13's
    ``__firstlineno__``, else where a function of its body starts."""
    line = getattr(cls, "__firstlineno__", None)
    if isinstance(line, int):
        return line
    try:
        values = list(vars(cls).values())
    except TypeError:
        return None
    for value in values:
        # plain functions only: attribute lookups on a mapped class's other
        # members (InstrumentedAttribute) go through SQLAlchemy's __getattr__
        if isinstance(value, (classmethod, staticmethod)):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        if not isinstance(value, types.FunctionType):
            continue
        code = value.__code__
        if code.co_filename == filename and value.__qualname__.startswith(qualname + "."):
            return int(code.co_firstlineno)
    return None


def _source_file(cls: type) -> str | None:
    try:
        filename = inspect.getsourcefile(cls)
    except (TypeError, OSError):
        return None
    if filename and any(part in ("site-packages", "dist-packages") for part in Path(filename).parts):
        return None
    return filename



@dataclass(slots=True)
class ColumnRecord:
    """A column as the imported models hold it, before it is located: its
    facts (defaults without their source), and each mapped class's MRO with
    the attribute key, where its source is looked for."""

    fact: ColumnFact
    mapped: list[tuple[tuple[ClassRef, ...], str, ClassRef | None]]
    dataclass_style: bool = False


@dataclass(slots=True)
class TableRecord:
    fact: TableFact  # columns are filled when located
    columns: list[ColumnRecord]
    classes: list[ClassRef]  # the classes that map the table


@dataclass(slots=True)
class RuntimeModels:
    """What importing the models tells, in plain values: a model-import child
    sends it to the parent, which locates it in the source
    (:func:`locate_schema`) while the child's memory is given back."""

    tables: list[TableRecord] = field(default_factory=list)
    module_files: list[Path] = field(default_factory=list)  # the project's imported modules

    def schema(self) -> Schema:
        """The facts without their places (enough to compare two imports)."""
        schema = Schema()
        for t in self.tables:
            fact = copy(t.fact)
            fact.columns = {c.fact.name: c.fact for c in t.columns}
            schema.tables[fact.key] = fact
        return schema


def runtime_models(metadatas: list[Any], dialect_name: str, roots: list[Path]) -> RuntimeModels:
    """Read the imported metadata: every value that needs the live objects
    (types as the dialect spells them, defaults, mapped attributes)."""
    from sqlalchemy import Index, UniqueConstraint

    dialect = _dialect(dialect_name)
    by_table = _mappers_by_table()
    refs = ClassRefs()
    out = RuntimeModels(module_files=project_module_files(roots))
    for md in metadatas:
        for table in md.tables.values():
            mappers = by_table.get(table, [])
            # Names are SQLAlchemy's quoted_name (a str subclass): facts hold
            # plain str, so that reading them back needs no SQLAlchemy.
            fact = TableFact(name=str(table.name), schema=None if table.schema is None else str(table.schema))
            fact.primary_key = tuple(str(c.name) for c in table.primary_key.columns)
            for cons in table.constraints:
                if isinstance(cons, UniqueConstraint):
                    fact.uniques.append(UniqueFact(str(cons.name) if isinstance(cons.name, str) else None,
                                                   tuple(str(c.name) for c in cons.columns)))
            for idx in table.indexes:
                if isinstance(idx, Index) and idx.unique:
                    cols = tuple(str(c.name) for c in idx.columns)
                    if cols and len(cols) == len(idx.expressions):
                        fact.uniques.append(UniqueFact(str(idx.name) if isinstance(idx.name, str) else None, cols,
                                                       "index"))
            record = TableRecord(fact, [], [r for r in (refs.of(m.class_) for m in mappers) if r is not None])
            dataclass_style = {m: _is_dataclass_style(m.class_) for m in mappers}
            for col in table.columns:
                mapped = _mapped_by(col, mappers)
                record.columns.append(ColumnRecord(
                    ColumnFact(
                        name=str(col.name),
                        type=_type_name(col, dialect),
                        choices=enum_choices(col.type),
                        nullable=bool(col.nullable),
                        primary_key=bool(col.primary_key),
                        unique=bool(col.unique),
                        default=_as_stored(_client_value(col.default, dialect), col.type),
                        server_default=_server_value(col.server_default, dialect),
                        onupdate=_client_value(col.onupdate, dialect),
                        server_onupdate=_server_value(col.server_onupdate, dialect)
                        if not (col.computed is not None and col.server_onupdate is col.computed) else None,
                    ),
                    [(refs.mro(mapper.class_), prop.key, refs.of(mapper.class_)) for mapper, prop in mapped],
                    bool(mapped) and dataclass_style[mapped[0][0]],
                ))
            out.tables.append(record)
    return out


def project_module_files(roots: list[Path]) -> list[Path]:
    """Source files of the modules imported so far that live in the project."""
    files: list[Path] = []
    library = _library_folders()
    inside = tuple(str(r) + os.sep for r in roots)
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if not isinstance(filename, str) or not filename.endswith(".py"):
            continue
        if filename.startswith(library) and not filename.startswith(inside):
            continue  # most of them, told by their name alone (as _under does, without a Path each)
        if _under(Path(filename), roots):
            files.append(Path(filename).resolve())
    return sorted(set(files))
