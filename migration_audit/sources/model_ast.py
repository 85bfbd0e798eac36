"""Model modules read with ``ast`` only (``--static``): no project code runs.

The runtime source (:mod:`.models`) imports the project and walks its
``MetaData``; this one reaches the same facts without importing anything of
the project. From the modules the metadata spec and env.py name, it follows
the project's own imports the way Python would execute them, collects the
declarative classes (subclasses of a ``DeclarativeBase``, of a
``declarative_base()``, of Flask-SQLAlchemy's ``db.Model``, SQLModel
classes with ``table=True``, with their mixins) and Core
``Table("name", metadata, Column(...))`` calls, and turns each column into a
:class:`~migration_audit.facts.ColumnFact`.

Only SQLAlchemy's own vocabulary is ever evaluated: a type
(``sa.String(20)``), ``sa.text("0")``, ``sa.func.now()``, ``Identity()``…,
built from literal arguments by SQLAlchemy's classes, so that types and SQL
are spelled exactly as the runtime source spells them (the same functions
classify the defaults). The most common of them (``sa.String(50)``,
``sa.text("0")``, ``func.now()``) are spelled by :mod:`.plain` without
importing SQLAlchemy, which is imported only for the rest. Everything else is read as source: literals, module
constants (followed into other project modules), and the provenance of a
default (:mod:`.provenance`). What cannot be known without running the
project (a ``__tablename__`` computed by a function, a column built by a
factory, a base class from a library, a default computed by project code) is
reported as MA008 at its line, and the rest of the audit still runs.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migration_audit.facts import (
    ColumnFact,
    DefaultKind,
    DefaultValue,
    Diagnostic,
    Location,
    Schema,
    TableFact,
    UniqueFact,
)
from migration_audit.sources import plain
from migration_audit.sources.locate import annotated_mapped_column, column_call, core_column_call, keyword_value
from migration_audit.sources.locate import mapped_inner as _mapped_inner
from migration_audit.sources.locate import strip_optional as _strip_optional
from migration_audit.sources.model_source import (
    _client_default,
    _Located,
    _placed,
    _server_default,
    _with_provenance,
)
from migration_audit.sources.models import _dialect, compile_type, enum_choices, server_sql, server_string
from migration_audit.sources.provenance import ModuleIndex
from migration_audit.sources.pyexpr import (
    Imports,
    SourceError,
    SourceFile,
    absolute_module,
    bindings,
    literal,
    module_file,
    parse_file,
    unalias_sqlalchemy,
)

_NO = object()  # "not evaluable without running project code"
_MAX_DEPTH = 8
_DECLARATIVE_BASES = {"DeclarativeBase", "DeclarativeBaseNoMeta"}
_BASE_FACTORIES = {"declarative_base", "generate_base"}
_LIBRARIES = ("sqlalchemy", "sqlmodel")
_DEFAULT_KEYWORDS = {"default", "insert_default", "server_default", "onupdate", "server_onupdate"}
# SQLAlchemy callables that only build an expression, a type or a schema item
# from their arguments: the only calls this module ever makes.
_SAFE_CALLS = {
    "text", "literal", "literal_column", "true", "false", "null", "cast", "FetchedValue", "DefaultClause",
    "Identity", "Computed", "Sequence", "ForeignKey", "UniqueConstraint", "Index", "PrimaryKeyConstraint",
}
_ENUM_BASES = {"enum.Enum", "enum.StrEnum", "enum.IntEnum"}
# methods of a type that return a type, run on what SQLAlchemy built
_TYPE_METHODS = {"with_variant", "evaluates_none"}
_NOT_COLUMNS = {"relationship", "Relationship", "synonym", "association_proxy", "composite", "query_expression",
                "hybrid_property", "backref", "dynamic_loader", "declared_attr"}
_HOW = ("run without --static (import-models = true) to read it from the imported models, or write it as "
        "a literal")
CODE = "MA008"


@dataclass(slots=True)
class _Unit:
    """One project module: where it is and what its top level binds."""

    name: str
    path: Path
    src: SourceFile
    imports: Imports
    defs: dict[str, ast.AST] = field(default_factory=dict)  # name → ClassDef, FunctionDef, value or _Import
    executed: list[ast.stmt] = field(default_factory=list)
    star: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Import:
    qualified: str
    is_module: bool


@dataclass(slots=True)
class _Class:
    unit: _Unit
    node: ast.ClassDef
    bases: list[_Class | str] = field(default_factory=list)  # a project class, or a marker / library name
    mro: list[_Class | str] = field(default_factory=list)
    attributes: dict[str, ast.AST] = field(default_factory=dict)

    @property
    def qualname(self) -> str:
        return self.node.name


@dataclass(slots=True)
class _Column:
    key: str
    fact: ColumnFact
    foreign_key: str | None = None
    type_known: bool = True


def _executed(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements in the order an import runs them, into
    if/else, try and with blocks, but not ``if TYPE_CHECKING:``."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            test = node.test
            name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
            if name != "TYPE_CHECKING":
                yield from _executed(node.body)
            yield from _executed(node.orelse)
        elif isinstance(node, ast.Try):
            yield from _executed(node.body)
            yield from _executed(node.orelse)
            yield from _executed(node.finalbody)
        elif isinstance(node, ast.With):
            yield from _executed(node.body)


def _includes_none(node: ast.AST) -> bool:
    """``Optional[X]``, ``X | None``, ``Union[X, None]``."""
    if isinstance(node, ast.Constant) and node.value is None:
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _includes_none(node.left) or _includes_none(node.right)
    if isinstance(node, ast.Subscript):
        head = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
        if head == "Optional":
            return True
        if head == "Union":
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return any(_includes_none(i) for i in items)
        if head == "Annotated":
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return bool(items) and _includes_none(items[0])
    return False


def _is_classvar(annotation: ast.AST | None) -> bool:
    node = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
    return name == "ClassVar"


def _call_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _flask_table_name(name: str) -> str:
    """Flask-SQLAlchemy's automatic ``__tablename__`` (``camel_to_snake_case``)."""
    return re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name).lower().lstrip("_")


class StaticModels:
    """Reads the models of one project with ``ast``. ``specs`` are metadata
    specs (``app.models:Base.metadata``), ``import_modules`` the modules
    imported first (env.py's), ``search`` the folders modules are found in."""

    def __init__(self, specs: list[str], import_modules: dict[str, Location | None], search: list[Path],
                 dialect: str, fallback: Location) -> None:
        self.specs = specs
        self.import_modules = import_modules
        self.search = search
        self.dialect_name = dialect
        self.fallback = fallback
        self.index = ModuleIndex(search)  # one parse per file, shared with provenance
        self.diagnostics: list[Diagnostic] = []
        self._reported: set[tuple[str, Location]] = set()
        self._units: dict[str, _Unit | None] = {}
        self._unparsable: set[str] = set()  # project modules Python cannot parse (reported)
        self._paths: dict[str, Path | None] = {}
        self._loaded: set[str] = set()
        self._classes: dict[int, _Class] = {}
        self._in_progress: set[int] = set()
        self._order: list[tuple[_Unit, ast.AST]] = []  # classes and Table calls, in execution order
        self._eval_cache: dict[tuple[Path, str], object] = {}
        self._library: dict[str, object] = {}
        self._types: dict[tuple[Path, str], tuple[Any, bool]] = {}

    @functools.cached_property
    def dialect(self) -> Any:
        """SQLAlchemy's dialect: imported only when something is not spelled
        by :mod:`.plain` (importing SQLAlchemy costs more than reading most
        models)."""
        return _dialect(self.dialect_name)

    def _compile(self, type_: Any) -> str:
        if isinstance(type_, plain.PlainType):
            return type_.spelling
        return compile_type(type_, self.dialect)

    # -- diagnostics -------------------------------------------------------
    def _report(self, message: str, location: Location, obj: str | None = None, help: str = _HOW,
                code: str = CODE) -> None:
        if (message, location) in self._reported:
            return
        self._reported.add((message, location))
        self.diagnostics.append(Diagnostic(code, message, help, location, obj))

    # -- modules -----------------------------------------------------------
    def _path_of(self, dotted: str) -> Path | None:
        if dotted not in self._paths:
            self._paths[dotted] = module_file(dotted, self.search)
        return self._paths[dotted]

    def unit(self, dotted: str) -> _Unit | None:
        """The module ``dotted`` of the project, parsed (not "run"); None when
        it is not a project module or cannot be parsed."""
        if dotted in self._units:
            return self._units[dotted]
        self._units[dotted] = None
        path = self._path_of(dotted)
        if path is None:
            return None
        module = self.index.module(path)
        if module is None:
            try:
                parse_file(path.resolve())
                why, where = "", Location(path.resolve(), 1, 1)
            except SourceError as exc:
                why, where = f": {exc.message}", Location(path.resolve(), exc.line, exc.column)
            self._unparsable.add(dotted)
            # an error, as when importing it (MA002): Python cannot run it either
            self._report(f"model module {dotted} ({path.name}) cannot be parsed{why}; its models were not read",
                         where, help="fix the file so that Python can parse it", code="MA002")
            return None
        unalias_sqlalchemy(module.src.tree)
        package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
        unit = _Unit(dotted, path, module.src, Imports.of(module.src.tree, package))
        for node in _executed(module.src.tree.body):
            unit.executed.append(node)
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                unit.defs[node.name] = node
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        unit.defs[target.id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                unit.defs[node.target.id] = node.value
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        unit.defs[alias.asname] = _Import(alias.name, True)
                    else:
                        top = alias.name.split(".")[0]
                        unit.defs[top] = _Import(top, True)
            elif isinstance(node, ast.ImportFrom):
                source = absolute_module(node, package)
                if not source:
                    continue
                for alias in node.names:
                    if alias.name == "*":
                        unit.star.append(source)
                    else:
                        unit.defs[alias.asname or alias.name] = _Import(f"{source}.{alias.name}", False)
        for name, bound in unit.defs.items():
            # `from sqlalchemy import String as S` and later `def S(n): ...`:
            # the module's last binding of S is the function, not SQLAlchemy's
            if not isinstance(bound, _Import) and name in unit.imports.names:
                del unit.imports.names[name]
                unit.imports.modules.discard(name)
        self._units[dotted] = unit
        return unit

    def run(self, dotted: str) -> _Unit | None:
        """"Import" ``dotted``: its packages first, then its top level in
        order, following project imports as they come."""
        parts = dotted.split(".")
        unit = None
        for i in range(1, len(parts) + 1):
            unit = self._run_one(".".join(parts[:i]))
        return unit

    def _run_one(self, dotted: str) -> _Unit | None:
        unit = self.unit(dotted)
        if unit is None or dotted in self._loaded:
            return unit
        self._loaded.add(dotted)
        package = dotted if unit.path.name == "__init__.py" else dotted.rpartition(".")[0]
        for node in unit.executed:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if self._path_of(alias.name.split(".")[0]) is not None:
                        self.run(alias.name)
            elif isinstance(node, ast.ImportFrom):
                source = absolute_module(node, package)
                if not source or self._path_of(source.split(".")[0]) is None:
                    continue
                self.run(source)
                for alias in node.names:
                    if alias.name != "*" and self._path_of(f"{source}.{alias.name}") is not None:
                        self.run(f"{source}.{alias.name}")
            elif isinstance(node, ast.ClassDef):
                self._order.append((unit, node))
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.Expr)) and isinstance(node.value, ast.Call):
                if _call_name(node.value.func) == "Table":
                    self._order.append((unit, node.value))
        return unit

    # -- names ---------------------------------------------------------------
    def symbol(self, unit: _Unit, name: str, depth: int = 0) -> tuple[_Unit, ast.AST] | _Import | None:
        """What a module-level name of ``unit`` is bound to: a definition in
        a project module (following imports), or an _Import of a name
        outside the project."""
        if depth > _MAX_DEPTH:
            return None
        node = unit.defs.get(name)
        if node is None:
            for star in unit.star:
                target = self.unit(star)
                if target is not None:
                    found = self.symbol(target, name, depth + 1)
                    if found is not None:
                        return found
            return None
        if isinstance(node, _Import):
            if node.is_module:
                return node
            module, _, attr = node.qualified.rpartition(".")
            target = self.unit(module)
            if target is not None:
                found = self.symbol(target, attr, depth + 1)
                if found is not None:
                    return found
            return node
        return unit, node

    def resolve(self, unit: _Unit, expr: ast.AST, depth: int = 0) -> tuple[_Unit, ast.AST] | _Import | None:
        """A Name or dotted Attribute → its definition, or the qualified name
        outside the project."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Name):
            return self.symbol(unit, expr.id, depth + 1)
        if isinstance(expr, ast.Attribute):
            owner = self.resolve(unit, expr.value, depth + 1)
            if isinstance(owner, _Import):
                dotted = f"{owner.qualified}.{expr.attr}"
                # `from app import coltypes`: a name that is a project module too
                target = self.unit(owner.qualified)
                if target is not None:
                    found = self.symbol(target, expr.attr, depth + 1)
                    if found is not None:
                        return found
                if self.unit(dotted) is not None:
                    return _Import(dotted, True)
                return _Import(dotted, False)
        return None

    # -- SQLAlchemy's vocabulary -------------------------------------------
    def _library_object(self, qualified: str) -> object:
        if qualified in self._library:
            return self._library[qualified]
        result: object = _NO
        parts = qualified.split(".")
        if parts[0] in _LIBRARIES:
            for cut in range(len(parts), 0, -1):
                try:
                    obj: object = importlib.import_module(".".join(parts[:cut]))
                except ImportError:
                    continue
                except Exception:  # noqa: BLE001 - a library that fails to import here
                    break
                try:
                    for attr in parts[cut:]:
                        obj = getattr(obj, attr)
                except AttributeError:
                    break
                result = obj
                break
        self._library[qualified] = result
        return result

    def _callable_allowed(self, obj: object) -> bool:
        from sqlalchemy.sql.functions import _FunctionGenerator
        from sqlalchemy.types import TypeEngine

        if isinstance(obj, type):
            return issubclass(obj, TypeEngine) or obj.__name__ in _SAFE_CALLS
        if isinstance(obj, _FunctionGenerator):
            return True
        if isinstance(getattr(obj, "__self__", None), TypeEngine):
            return getattr(obj, "__name__", None) in _TYPE_METHODS
        return getattr(obj, "__name__", None) in _SAFE_CALLS and (
            getattr(obj, "__module__", "") or "").startswith("sqlalchemy")

    def sa_value(self, unit: _Unit, node: ast.AST, depth: int = 0) -> object:
        """The value of an expression made only of literals, project
        constants and SQLAlchemy types/expressions, or _NO."""
        if depth > _MAX_DEPTH:
            return _NO
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self.sa_value(unit, e, depth + 1) for e in node.elts]
            if any(i is _NO for i in items):
                return _NO
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            keys = [self.sa_value(unit, k, depth + 1) if k is not None else _NO for k in node.keys]
            values = [self.sa_value(unit, v, depth + 1) for v in node.values]
            if any(i is _NO for i in [*keys, *values]):
                return _NO
            try:
                return dict(zip(keys, values))
            except TypeError:
                return _NO
        if isinstance(node, ast.UnaryOp):
            ok, value = literal(node)
            return value if ok else _NO
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self._name_value(unit, node, depth)
        if isinstance(node, ast.Call):
            key = (unit.path, unit.src.source_of(node))
            if key[1] and key in self._eval_cache:
                return self._eval_cache[key]
            value = self._call_value(unit, node, depth)
            if key[1]:
                self._eval_cache[key] = value
            return value
        return _NO

    def _name_value(self, unit: _Unit, node: ast.Name | ast.Attribute, depth: int) -> object:
        qualified = unit.imports.qualify(node)
        if qualified is None and isinstance(node, ast.Attribute) and node.attr in _TYPE_METHODS:
            # `sa.JSON().with_variant(JSONB(), "postgresql")`: a method of a type SQLAlchemy built
            from sqlalchemy.types import TypeEngine

            owner = self.sa_value(unit, node.value, depth + 1)
            return getattr(owner, node.attr) if isinstance(owner, TypeEngine) else _NO
        if qualified and qualified.split(".")[0] in _LIBRARIES:
            return self._library_object(qualified)
        if isinstance(node, ast.Name) and node.id not in unit.defs and "sqlalchemy" in unit.star:
            return self._library_object(f"sqlalchemy.{node.id}")
        if isinstance(node, ast.Attribute):
            found = self._flask_db_object(unit, node)
            if found is not None:
                return found
        target = self.resolve(unit, node)
        if isinstance(target, tuple):
            owner, value = target
            if isinstance(value, ast.expr):
                return self.sa_value(owner, value, depth + 1)
        return _NO

    def _call_value(self, unit: _Unit, node: ast.Call, depth: int) -> object:
        func = self.sa_value(unit, node.func, depth + 1)
        if func is _NO or not self._callable_allowed(func):
            return _NO
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                return _NO
            v = self.sa_value(unit, a, depth + 1)
            if v is _NO:
                return _NO
            args.append(v)
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                return _NO
            v = self.sa_value(unit, kw.value, depth + 1)
            if v is _NO:
                return _NO
            kwargs[kw.arg] = v
        try:
            return func(*args, **kwargs)  # type: ignore[operator]
        except Exception:  # noqa: BLE001 - arguments SQLAlchemy refuses
            return _NO

    def literal_value(self, unit: _Unit, node: ast.AST, depth: int = 0) -> tuple[bool, object]:
        """(ok, value) of a literal, or of a name bound to one in the project."""
        ok, value = literal(node)
        if ok:
            return True, value
        if depth > _MAX_DEPTH:
            return False, None
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords \
                and unit.imports.qualify(node.func) == "decimal.Decimal":
            # `default=Decimal("0.00")`, the money columns' default
            import decimal

            ok, text = literal(node.args[0])
            if ok and type(text) in (str, int):
                try:
                    return True, decimal.Decimal(text)  # type: ignore[arg-type]
                except (decimal.InvalidOperation, ValueError):
                    return False, None
            return False, None
        if isinstance(node, (ast.Name, ast.Attribute)):
            target = self.resolve(unit, node)
            if isinstance(target, tuple) and isinstance(target[1], ast.expr):
                return self.literal_value(target[0], target[1], depth + 1)
            return False, None
        if isinstance(node, ast.Call) and not node.args and not node.keywords:
            # `default=plain_status()`, a project function that only returns a literal
            target = self.resolve(unit, node.func)
            if isinstance(target, tuple) and isinstance(target[1], ast.FunctionDef):
                fn = target[1]
                body = [n for n in fn.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
                if (len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None
                        and not fn.decorator_list):
                    return self.literal_value(target[0], body[0].value, depth + 1)
            return False, None
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = [self.literal_value(unit, e, depth + 1) for e in node.elts]
            if all(ok for ok, _ in items):
                values = [v for _, v in items]
                try:
                    return True, (tuple(values) if isinstance(node, ast.Tuple)
                                  else set(values) if isinstance(node, ast.Set) else values)
                except TypeError:
                    return False, None
        return False, None

    def type_of(self, unit: _Unit, node: ast.AST) -> tuple[Any, bool]:
        """A type expression (``sa.String(20)``, ``Integer``) → (TypeEngine
        instance, known). Unknown types (a project TypeDecorator) give
        NullType and False."""
        key = (unit.path, unit.src.source_of(node))
        if key in self._types:
            return self._types[key]
        spelled = self._plain_type(unit, node)
        if spelled is not None:
            self._types[key] = (spelled, True)
            return self._types[key]
        from sqlalchemy.types import NullType, TypeEngine

        value = self.sa_value(unit, node)
        if value is _NO:
            value = self._enum_of_project_class(unit, node)
        if isinstance(value, type) and issubclass(value, TypeEngine):
            try:
                value = value()
            except Exception:  # noqa: BLE001 - a type that needs arguments
                value = _NO
        result = (value, True) if isinstance(value, TypeEngine) else (NullType(), False)
        self._types[key] = result
        return result

    def _plain_type(self, unit: _Unit, node: ast.AST) -> plain.PlainType | None:
        """``sa.String(50)``, ``Integer``…: spelled by :mod:`.plain` when its
        table knows the type and the arguments are literals."""
        if not plain.ENABLED:
            return None
        call = node if isinstance(node, ast.Call) else None
        name = plain.type_name(unit.imports.qualify(call.func if call is not None else node))
        if name is None:
            return None
        args: list[object] = []
        kwargs: dict[str, object] = {}
        if call is not None:
            for a in call.args:
                ok, value = literal(a)
                if not ok:
                    return None
                args.append(value)
            for kw in call.keywords:
                ok, value = literal(kw.value) if kw.arg is not None else (False, None)
                if not ok:
                    return None
                kwargs[kw.arg] = value  # type: ignore[index]
        spelling = plain.type_spelling(name, tuple(args), kwargs, self.dialect_name)
        return plain.PlainType(spelling) if spelling is not None else None

    def is_type(self, unit: _Unit, node: ast.AST) -> bool:
        """Could this positional Column argument be the type? (anything but
        a schema item or a string)."""
        if isinstance(node, ast.Constant):
            return False
        if isinstance(node, ast.Call) and _call_name(node.func) in (
                "ForeignKey", "Identity", "Computed", "Sequence", "FetchedValue", "DefaultClause", "CheckConstraint"):
            return False
        return True

    # -- classes -------------------------------------------------------------
    def klass(self, unit: _Unit, node: ast.ClassDef) -> _Class:
        cached = self._classes.get(id(node))
        if cached is not None:
            return cached
        info = _Class(unit, node)
        self._classes[id(node)] = info
        self._in_progress.add(id(node))
        info.attributes = dict(bindings(node.body))
        for base in node.bases:
            info.bases.append(self._base(unit, base))
        info.mro = self._mro(info)
        self._in_progress.discard(id(node))
        return info

    def _base(self, unit: _Unit, expr: ast.AST) -> _Class | str:
        """A base class: a project class, or a marker: ``declarative`` (a
        DeclarativeBase), ``base:<id>`` (a declarative_base() or db.Model),
        ``dataclass``, ``sqlmodel``, ``library:<name>`` or ``external:<name>``."""
        if isinstance(expr, ast.Subscript):  # Generic[T]
            expr = expr.value
        target = self.resolve(unit, expr)
        if isinstance(target, _Import):
            name = target.qualified
            last = name.rsplit(".", 1)[-1]
            root = name.split(".")[0]
            if root == "sqlalchemy" and last in _DECLARATIVE_BASES:
                return "declarative"
            if root == "sqlalchemy" and last == "MappedAsDataclass":
                return "dataclass"
            if root == "sqlmodel" and last == "SQLModel":
                return "sqlmodel"
            if root == "flask_sqlalchemy" or root in ("sqlalchemy", "typing", "abc", "enum", "builtins"):
                return f"library:{name}"
            return f"external:{name}"
        if isinstance(target, tuple):
            owner, node = target
            if isinstance(node, ast.ClassDef):
                if id(node) in self._in_progress:
                    return f"external:{node.name}"  # a cycle of bases: Python refuses it too
                return self.klass(owner, node)
            if isinstance(node, ast.Call) and _call_name(node.func) in _BASE_FACTORIES:
                return f"base:{owner.path}:{getattr(expr, 'id', None) or ast.unparse(expr)}"
            if isinstance(expr, ast.Attribute) and expr.attr == "Model" and self._is_flask_db(owner, node):
                return f"flask:{owner.path}:{ast.unparse(expr.value)}"
            return f"external:{ast.unparse(expr)}"
        if isinstance(expr, ast.Name) and expr.id in ("object", "Generic"):
            return f"library:{expr.id}"
        if isinstance(expr, ast.Attribute):
            # db.Model where db = SQLAlchemy() is a module-level value
            owner_target = self.resolve(unit, expr.value)
            if isinstance(owner_target, tuple) and expr.attr == "Model" and self._is_flask_db(*owner_target):
                return f"flask:{owner_target[0].path}:{ast.unparse(expr.value)}"
        return f"external:{ast.unparse(expr)}"

    def _flask_db_object(self, unit: _Unit, node: ast.Attribute) -> object | None:
        """``db.Integer``, ``db.func.now`` with ``db = SQLAlchemy(app)``:
        Flask-SQLAlchemy's object lends SQLAlchemy's and its ORM's names.
        None when the root is no such object."""
        parts: list[str] = []
        root: ast.AST = node
        while isinstance(root, ast.Attribute):
            parts.append(root.attr)
            root = root.value
        if not isinstance(root, ast.Name):
            return None
        target = self.resolve(unit, root)
        if not (isinstance(target, tuple) and self._is_flask_db(*target)):
            return None
        rest = ".".join(reversed(parts))
        for module in ("sqlalchemy", "sqlalchemy.orm"):
            found = self._library_object(f"{module}.{rest}")
            if found is not _NO:
                return found
        return _NO

    def _is_flask_db(self, unit: _Unit, node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        qualified = unit.imports.qualify(node.func) or ""
        return qualified.split(".")[0] == "flask_sqlalchemy" or qualified.endswith("SQLAlchemy")

    def _mro(self, info: _Class) -> list[_Class | str]:
        """C3 linearisation over project classes; markers are leaves."""
        def of(base: _Class | str) -> list[_Class | str]:
            return base.mro if isinstance(base, _Class) else [base]

        sequences = [list(of(b)) for b in info.bases] + [list(info.bases)]
        result: list[_Class | str] = [info]
        while True:
            sequences = [s for s in sequences if s]
            if not sequences:
                return result
            for seq in sequences:
                head = seq[0]
                if not any(head in s[1:] for s in sequences):
                    break
            else:  # inconsistent: Python would refuse the class; keep the bases' order
                for seq in sequences:
                    result.extend(x for x in seq if x not in result)
                return result
            result.append(head)
            for s in sequences:
                if s and s[0] is head or (s and s[0] == head):
                    del s[0]

    def _own(self, info: _Class, name: str) -> ast.AST | None:
        return info.attributes.get(name)

    def is_root_base(self, info: _Class) -> bool:
        return any(b == "declarative" for b in info.bases)

    def root(self, info: _Class) -> str | None:
        """The metadata a class's tables go to: an id, or None when the class
        is not declarative."""
        for entry in info.mro:
            if isinstance(entry, _Class):
                if self.is_root_base(entry):
                    custom = entry.attributes.get("metadata")
                    if isinstance(custom, ast.expr):
                        key = self.metadata_key(entry.unit, custom)
                        if key is not None:
                            return key
                    return f"class:{entry.unit.path}:{entry.qualname}"
            elif entry.startswith(("base:", "flask:")):
                return entry
            elif entry == "sqlmodel":
                return "sqlmodel"
        return None

    def metadata_key(self, unit: _Unit, expr: ast.AST, depth: int = 0) -> str | None:
        """Which metadata an expression names: ``Base.metadata``, ``Base``,
        ``metadata`` (a ``MetaData()``), ``db.metadata``, ``SQLModel.metadata``."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Attribute) and expr.attr in ("metadata", "Model"):
            inner = self.metadata_key(unit, expr.value, depth + 1)
            if inner is not None:
                return inner
        target = self.resolve(unit, expr)
        if isinstance(target, _Import):
            if target.qualified.split(".")[0] == "sqlmodel" and target.qualified.endswith("SQLModel"):
                return "sqlmodel"
            return None
        if target is None:
            return None
        owner, node = target
        if isinstance(node, ast.ClassDef):
            return self.root(self.klass(owner, node))
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name == "MetaData":
                return f"metadata:{owner.path}:{ast.unparse(expr)}"
            if name in _BASE_FACTORIES:
                given = keyword_value(node, "metadata")
                if given is not None:
                    key = self.metadata_key(owner, given, depth + 1)
                    if key is not None:
                        return key
                return f"base:{owner.path}:{getattr(expr, 'id', None) or ast.unparse(expr)}"
            if self._is_flask_db(owner, node):
                return f"flask:{owner.path}:{getattr(expr, 'id', None) or ast.unparse(expr)}"
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self.metadata_key(owner, node, depth + 1)
        return None

    # -- reading -------------------------------------------------------------
    def read(self) -> Schema | None:
        spec_modules = [s.partition(":")[0] for s in self.specs]
        for module, named_at in self.import_modules.items():
            if any(m == module or m.startswith(module + ".") for m in spec_modules):
                continue
            if self.run(module) is None and self._path_of(module.split(".")[0]) is not None:
                self._report(f"module {module} is not in the project folders, so it was not read",
                             named_at or self.fallback)
        wanted: list[str | None] = []
        for spec in self.specs:
            key = self._spec_key(spec)
            if key is False:
                continue
            wanted.append(key)  # type: ignore[arg-type]
        if not wanted:
            return None
        tables = self._tables()
        schema = Schema()
        everything = None in wanted
        for key in dict.fromkeys(k for k in wanted if k is not None):
            for fact_key, (meta, fact) in tables.items():
                if meta == key and fact_key not in schema.tables:
                    schema.tables[fact_key] = fact
        if everything:
            for fact_key, (_meta, fact) in tables.items():
                schema.tables.setdefault(fact_key, fact)
        return schema

    def _spec_key(self, spec: str) -> str | None | bool:
        """The metadata a spec names; None when it cannot be told statically
        (then every table found is read); False when it names nothing."""
        module, _, attr_path = spec.partition(":")
        where = self.import_modules.get(module) or self.fallback
        unit = self.run(module)
        if unit is None and module in self._unparsable:
            return False  # said already, with the reason
        if unit is None:
            self._report(
                f"cannot read model metadata {spec}: no module {module} in the project folders "
                f"({', '.join(dict.fromkeys(str(p) for p in self.search))})",
                where, help="check the module name, or add its folder to prepend_sys_path in alembic.ini",
                code="MA005")
            return False
        attrs = [a for a in attr_path.split(".") if a]
        while len(attrs) > 1 and attrs[0] not in unit.defs and self._path_of(f"{module}.{attrs[0]}") is not None:
            module = f"{module}.{attrs.pop(0)}"  # app:models.Base.metadata
            unit = self.run(module)
            if unit is None:
                return False
        expr: ast.expr = ast.Name(attrs[0])
        for a in attrs[1:]:
            expr = ast.Attribute(expr, a)
        first = self.symbol(unit, attrs[0])
        if first is None:
            self._report(f"cannot read model metadata {spec}: module {module} has no {attrs[0]!r}",
                         where, help="point the metadata setting at the object env.py uses", code="MA005")
            return False
        target = self.resolve(unit, expr)
        if isinstance(target, _Import) and target.qualified.split(".")[0] != "sqlmodel":
            if target.is_module:
                self._report(f"cannot read model metadata {spec}: {'.'.join(attrs)} is a module, not a MetaData "
                             "or a declarative base", where, help="point the metadata setting at the object "
                             "env.py uses", code="MA005")
            else:
                self._report(f"cannot read model metadata {spec}: it is {target.qualified}, which is outside the "
                             "project's folders and is read only by importing it", where)
            return False
        key = self.metadata_key(unit, expr)
        if key is None:
            self._report(f"cannot tell statically which metadata {spec} is, so every model found was read",
                         where)
        return key

    def _tables(self) -> dict[str, tuple[str | None, TableFact]]:
        tables: dict[str, tuple[str | None, TableFact]] = {}
        pending: list[tuple[TableFact, list[_Column]]] = []
        owners: dict[int, TableFact] = {}  # class node id → its table (single-table inheritance)
        for unit, node in self._order:
            if isinstance(node, ast.ClassDef):
                found = self._mapped_class(unit, node, owners)
                if found is None:
                    continue
                meta, fact, columns, is_new = found
            else:
                meta = None
                if len(node.args) >= 2:
                    meta = self.metadata_key(unit, node.args[1])
                core = self._core_table(unit, node)
                if core is None:
                    continue
                fact, columns = core
                is_new = True
            if is_new:
                # a table defined again (a redefined class, both branches of
                # an if): the later one, as an import leaves it
                tables[fact.key] = (meta, fact)
                pending.append((fact, columns))
            else:
                pending.append((fact, columns))
        by_name = {f.name: f for f, _ in pending}
        for fact, columns in pending:
            self._finish(fact, columns, by_name)
        return tables

    def _finish(self, fact: TableFact, columns: list[_Column], by_name: dict[str, TableFact]) -> None:
        """Columns into the table; a column typed by its ForeignKey takes the
        referenced column's type, as SQLAlchemy does."""
        for col in columns:
            if col.fact.name in fact.columns:
                continue
            fact.columns[col.fact.name] = col.fact
        for col in columns:
            if not col.type_known and col.foreign_key and col.fact.type in ("NULL", "NullType"):
                table, _, name = col.foreign_key.rpartition(".")
                target = by_name.get(table.rpartition(".")[2])
                other = target.columns.get(name) if target is not None else None
                if other is not None:
                    col.fact.type = other.type
        if fact.location is None and fact.columns:
            fact.location = next(iter(fact.columns.values())).location
        if not fact.primary_key:
            fact.primary_key = tuple(c.name for c in fact.columns.values() if c.primary_key)

    # -- declarative classes -------------------------------------------------
    def _mapped_class(self, unit: _Unit, node: ast.ClassDef, owners: dict[int, TableFact]
                      ) -> tuple[str | None, TableFact, list[_Column], bool] | None:
        info = self.klass(unit, node)
        here = unit.src.loc(node)
        sqlmodel = "sqlmodel" in info.mro
        meta = self.root(info)
        if meta is None:
            external = [b for b in info.mro if isinstance(b, str) and b.startswith("external:")]
            if external and self._looks_like_model(info):
                self._report(
                    f"class {node.name} derives from {external[0].partition(':')[2]}, which is not defined in the "
                    "project's own modules; its table and columns were not read",
                    here, node.name)
            return None
        if sqlmodel:
            table_kw = next((k.value for k in node.keywords if k.arg == "table"), None)
            if not (isinstance(table_kw, ast.Constant) and table_kw.value is True):
                return None
        elif self.is_root_base(info) or self._abstract(info):
            return None
        parent = next((c for c in info.mro[1:] if isinstance(c, _Class) and id(c.node) in owners), None)
        table_node = self._own(info, "__table__")
        if isinstance(table_node, (ast.Name, ast.Attribute)):
            target = self.resolve(unit, table_node)
            if isinstance(target, tuple) and isinstance(target[1], ast.Call) and _call_name(target[1].func) == "Table":
                # `__table__ = legacy` where `legacy = Table("legacy", ...)`:
                # that Table is read where it is defined
                return None
        if isinstance(table_node, ast.Call) and _call_name(table_node.func) == "Table":
            core = self._core_table(unit, table_node)
            if core is None:
                return None
            fact, columns = core
            owners[id(node)] = fact
            return meta, fact, columns, True
        name = self._table_name(info, parent is not None, sqlmodel, meta)
        if name is False:
            return None
        columns = list(self._class_columns(info, sqlmodel))
        if name is None:
            if parent is None:
                self._report(f"class {node.name} has no __tablename__ and no mapped parent class; SQLAlchemy "
                             "refuses to map it", here, node.name,
                             help="give it a `__tablename__`, or mark it `__abstract__ = True`")
                return None
            fact = owners[id(parent.node)]
            owners[id(node)] = fact
            return meta, fact, columns, False
        schema, uniques, pk = self._table_args(info)
        fact = TableFact(name=name, schema=schema, uniques=uniques, primary_key=pk)
        owners[id(node)] = fact
        return meta, fact, columns, True

    def _looks_like_model(self, info: _Class) -> bool:
        if "__tablename__" in info.attributes or "__table__" in info.attributes:
            return True
        for value in info.attributes.values():
            call = column_call(value)
            # pydantic's Field(...) is no column: only SQLModel's is
            if call is not None and not (_call_name(call.func) == "Field" and not (
                    info.unit.imports.qualify(call.func) or "").startswith("sqlmodel")):
                return True
        return False

    def _abstract(self, info: _Class) -> bool:
        value = self._own(info, "__abstract__")
        ok, flag = literal(value) if isinstance(value, ast.expr) else (False, None)
        return bool(ok and flag)

    def _table_name(self, info: _Class, has_parent: bool, sqlmodel: bool, meta: str) -> str | None | bool:
        """The table name; None for single-table inheritance; False when it
        cannot be read (reported)."""
        for entry in info.mro:
            if not isinstance(entry, _Class):
                continue
            if entry is not info and (self._mapped_like(entry)):
                break  # inherited from a mapped class: single-table inheritance
            value = entry.attributes.get("__tablename__")
            if value is None:
                continue
            if isinstance(value, ast.expr):
                ok, name = self.literal_value(entry.unit, value)
                if ok and isinstance(name, str) and name:
                    return name
            self._report(
                f"the __tablename__ of {info.qualname} is computed when the class is defined"
                + (f" (in {entry.qualname})" if entry is not info else "")
                + ", so its table and columns were not read", entry.unit.src.loc(value), info.qualname)
            return False
        if sqlmodel:
            return info.qualname.lower()
        if meta.startswith("flask:") and not (has_parent and not self._own_primary_key(info)):
            return _flask_table_name(info.qualname)
        return None

    def _own_primary_key(self, info: _Class) -> bool:
        for value in info.attributes.values():
            call = column_call(value)
            if call is not None and any(kw.arg == "primary_key" for kw in call.keywords):
                return True
        return False

    def _mapped_like(self, info: _Class) -> bool:
        """A class in the MRO that SQLAlchemy maps (not a mixin)."""
        if self.root(info) is None or self.is_root_base(info) or self._abstract(info):
            return False
        if "sqlmodel" in info.mro:
            table_kw = next((k.value for k in info.node.keywords if k.arg == "table"), None)
            return isinstance(table_kw, ast.Constant) and table_kw.value is True
        return True

    def _table_args(self, info: _Class) -> tuple[str | None, list[UniqueFact], tuple[str, ...]]:
        value = None
        owner = info
        for entry in info.mro:
            if isinstance(entry, _Class) and "__table_args__" in entry.attributes:
                value, owner = entry.attributes["__table_args__"], entry
                break
        if value is None:
            return None, [], ()
        items: list[ast.AST]
        if isinstance(value, ast.Dict):
            items = [value]
        elif isinstance(value, (ast.Tuple, ast.List)):
            items = list(value.elts)
        else:
            self._report(f"the __table_args__ of {info.qualname} is computed when the class is defined; its "
                         "schema and unique constraints were not read", owner.unit.src.loc(value), info.qualname)
            return None, [], ()
        return self._constraints(owner.unit, items, info.qualname)

    def _constraints(self, unit: _Unit, items: list[ast.AST], obj: str
                     ) -> tuple[str | None, list[UniqueFact], tuple[str, ...]]:
        schema: str | None = None
        uniques: list[UniqueFact] = []
        pk: tuple[str, ...] = ()
        for item in items:
            if isinstance(item, ast.Dict):
                ok, options = self.literal_value(unit, item)
                if ok and isinstance(options, dict):
                    s = options.get("schema")
                    schema = s if isinstance(s, str) else schema
                    continue
            if isinstance(item, ast.Call):
                name = _call_name(item.func)
                if name not in ("UniqueConstraint", "Index", "PrimaryKeyConstraint"):
                    continue
                args = [self.literal_value(unit, a) for a in item.args]
                label_ok, label = self.literal_value(unit, keyword_value(item, "name")) if keyword_value(
                    item, "name") is not None else (True, None)
                if name == "Index":
                    ok_u, unique = self.literal_value(unit, keyword_value(item, "unique")) if keyword_value(
                        item, "unique") is not None else (True, False)
                    if not (ok_u and unique):
                        continue
                    if args and args[0][0] and isinstance(args[0][1], str):
                        label, args = args[0][1], args[1:]
                if all(ok and isinstance(v, str) for ok, v in args) and label_ok:
                    cols = tuple(str(v) for _, v in args)
                    if name == "PrimaryKeyConstraint":
                        pk = cols
                    elif cols:
                        uniques.append(UniqueFact(label if isinstance(label, str) else None, cols,
                                                  "index" if name == "Index" else "constraint"))
                    continue
                self._report(f"a {name}(...) of {obj} names its columns in a way that cannot be read without "
                             "running the code; it was not read", unit.src.loc(item), obj)
        return schema, uniques, pk

    def _class_columns(self, info: _Class, sqlmodel: bool) -> Iterator[_Column]:
        seen: set[str] = set()
        dataclass = sqlmodel or "dataclass" in info.mro
        for entry in info.mro:
            if not isinstance(entry, _Class):
                continue
            if entry is not info and self._mapped_like(entry):
                break
            annotations = {n.target.id: n.annotation for n in entry.node.body
                           if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
            for key, value in entry.attributes.items():
                if key in seen or key.startswith("__") or key in ("metadata", "registry", "type_annotation_map"):
                    continue
                annotation = annotations.get(key)
                column = self._attribute_column(entry, info, key, value, annotation, sqlmodel, dataclass)
                if column is not None:
                    seen.add(key)
                    yield column

    def _attribute_column(self, owner: _Class, info: _Class, key: str, value: ast.AST,
                          annotation: ast.AST | None, sqlmodel: bool, dataclass: bool) -> _Column | None:
        unit = owner.unit
        src = unit.src
        if _is_classvar(annotation):
            return None
        if annotation is None and isinstance(value, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # `@declared_attr def flag(cls) -> Mapped[bool]: return mapped_column(...)`:
            # SQLAlchemy takes the type from the return annotation
            annotation = value.returns
        call = column_call(value)
        mapped = _mapped_inner(annotation)
        alias = self._annotated_alias(unit, mapped) if mapped is not None else None
        if alias is not None:
            # `created: Mapped[Stamp]` with `Stamp = Annotated[datetime, mapped_column(server_default=...)]`:
            # SQLAlchemy builds the column from the alias's mapped_column, the
            # attribute's own arguments winning
            alias_unit, alias_type, alias_call = alias
            if _includes_none(mapped) and not _includes_none(alias_type):
                alias_type = ast.BinOp(alias_type, ast.BitOr(), ast.Constant(None))
            if call is None and isinstance(value, ast.AnnAssign):
                return self._column(alias_unit, info, key, alias_call, alias_call, alias_type, src.loc(value),
                                    info.qualname, dataclass)
            if call is not None and _call_name(call.func) == "mapped_column":
                if alias_unit is unit:
                    # `server_default=None` given again is no override: SQLAlchemy keeps the alias's
                    kept = [kw for kw in call.keywords
                            if not (kw.arg in _DEFAULT_KEYWORDS and isinstance(kw.value, ast.Constant)
                                    and kw.value.value is None)]
                    own = {kw.arg for kw in kept}
                    merged = ast.Call(call.func, [*call.args, *alias_call.args],
                                      [kw for kw in alias_call.keywords if kw.arg not in own] + kept)
                    ast.copy_location(merged, call)
                    return self._column(unit, info, key, merged, merged, alias_type, src.loc(call), info.qualname,
                                        dataclass)
                return self._merged_alias(unit, info, key, call, alias_unit, alias_type, alias_call, value,
                                          dataclass)
        if call is None:
            if isinstance(value, ast.AnnAssign):  # annotation only
                if mapped is not None:
                    return self._column(unit, info, key, None, None, mapped, src.loc(value), None, dataclass)
                if sqlmodel:
                    return self._sqlmodel_column(unit, info, key, None, annotation, src.loc(value), dataclass)
                return None
            if sqlmodel and annotation is not None and isinstance(value, ast.expr):
                if isinstance(value, ast.Call) and _call_name(value.func) in _NOT_COLUMNS:
                    return None
                return self._sqlmodel_column(unit, info, key, value, annotation, src.loc(value), dataclass)
            if isinstance(value, ast.Call) and _call_name(value.func) not in _NOT_COLUMNS:
                target = self.resolve(unit, value.func)
                if isinstance(target, tuple) and isinstance(target[1], (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self._report(f"{info.qualname}.{key} is built by {src.segment(value.func, 60)}(), a project "
                                 "function, so the column it returns was not read", src.loc(value),
                                 f"{info.qualname}.{key}")
            elif isinstance(value, (ast.IfExp, ast.BoolOp)) and any(
                    isinstance(n, ast.Call) and _call_name(n.func) in ("Column", "mapped_column")
                    for n in ast.walk(value)):
                # `x = Column(...) if FLAG else Column(...)`: which one only running it tells
                self._report(f"{info.qualname}.{key} is chosen by `{src.segment(value, 60)}`, so the column "
                             "was not read", src.loc(value), f"{info.qualname}.{key}")
            return None
        name = _call_name(call.func)
        if name == "Field" and call is value and sqlmodel:
            return self._sqlmodel_column(unit, info, key, call, annotation, src.loc(call), dataclass)
        inner = call
        if name not in ("Column", "mapped_column"):
            inner = next((n for n in ast.walk(call) if isinstance(n, ast.Call)
                          and _call_name(n.func) in ("Column", "mapped_column")), None)
            if inner is None:
                return None
        return self._column(unit, info, key, inner, call, mapped if _call_name(inner.func) == "mapped_column"
                            else None, src.loc(call), info.qualname, dataclass)

    def _merged_alias(self, unit: _Unit, info: _Class, key: str, call: ast.Call, alias_unit: _Unit,
                      alias_type: ast.AST, alias_call: ast.Call, value: ast.AST, dataclass: bool) -> _Column | None:
        """``nick: Mapped[short] = mapped_column(server_default="x")`` with
        ``short`` an Annotated alias of another module: each call is read in
        its own module (names mean what they mean there), and what the
        attribute's call gives wins, as SQLAlchemy merges them."""
        base = self._column(alias_unit, info, key, alias_call, alias_call, alias_type, unit.src.loc(value),
                            info.qualname, dataclass)
        own = self._column(unit, info, key, call, call, None, unit.src.loc(call), info.qualname, dataclass)
        if base is None or own is None:
            return own or base
        # `server_default=None` given again is no override: SQLAlchemy keeps the alias's
        given = {kw.arg for kw in call.keywords if not (
            kw.arg in _DEFAULT_KEYWORDS and isinstance(kw.value, ast.Constant) and kw.value.value is None)}
        typed = "type_" in given or any(self.is_type(unit, a) for a in call.args)
        fact = base.fact.copy()
        fact.location = own.fact.location
        for field, names in (("default", ("default", "insert_default")), ("server_default", ("server_default",)),
                             ("onupdate", ("onupdate",)), ("server_onupdate", ("server_onupdate",)),
                             ("nullable", ("nullable",)), ("primary_key", ("primary_key",)),
                             ("unique", ("unique",))):
            if given.intersection(names):
                setattr(fact, field, getattr(own.fact, field))
        if typed:
            fact.type, fact.choices = own.fact.type, own.fact.choices
        return _Column(key, fact, own.foreign_key or base.foreign_key, own.type_known if typed else base.type_known)

    def _annotated_alias(self, unit: _Unit, mapped: ast.AST) -> tuple[_Unit, ast.AST, ast.Call] | None:
        """``X`` in ``Mapped[X]`` (or ``Mapped[X | None]``) naming a
        module-level ``X = Annotated[T, mapped_column(...)]``: (its module,
        T, the mapped_column call)."""
        name = _strip_optional(mapped)
        if not isinstance(name, (ast.Name, ast.Attribute)):
            return None
        target = self.resolve(unit, name)
        if not isinstance(target, tuple):
            return None
        alias = annotated_mapped_column(target[1])
        return (target[0], *alias) if alias is not None else None

    # -- columns -------------------------------------------------------------
    def _column(self, unit: _Unit, info: _Class | None, key: str, call: ast.Call | None, located: ast.Call | None,
                mapped: ast.AST | None, loc: Location, cls_name: str | None, dataclass: bool,
                core: bool = False) -> _Column | None:
        """A Column(...) / mapped_column(...) call (None: annotation only)."""
        where = _Located(unit.src, located, loc, self.index)
        args = list(call.args) if call is not None else []
        col_name: str | None = None
        if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            col_name = args.pop(0).value
        name_kw = keyword_value(call, "name")
        if name_kw is not None:
            ok, value = self.literal_value(unit, name_kw)
            col_name = value if ok and isinstance(value, str) else col_name
        col_name = col_name or key
        obj = f"{info.qualname}.{key}" if info is not None else col_name
        type_: Any = None
        type_known = False
        positional: list[object] = []
        foreign_key: str | None = None
        for arg in args:
            if isinstance(arg, ast.Call) and _call_name(arg.func) == "ForeignKey" and arg.args:
                ok, target = self.literal_value(unit, arg.args[0])
                foreign_key = target if ok and isinstance(target, str) else None
                continue
            if type_ is None and self.is_type(unit, arg):
                type_, type_known = self.type_of(unit, arg)
                if not type_known:
                    self._report_type(unit, arg, obj)
                continue
            value = self.sa_value(unit, arg)
            if value is _NO:
                self._report(f"{obj}: the argument {unit.src.segment(arg, 60)} cannot be read without running "
                             "the code; it was left out", unit.src.loc(arg), obj)
            else:
                positional.append(value)
        type_kw = keyword_value(call, "type_")
        if type_kw is not None:
            type_, type_known = self.type_of(unit, type_kw)
            if not type_known:
                self._report_type(unit, type_kw, obj)
        if type_ is None and mapped is not None:
            type_, type_known = self._annotation_type(unit, info, mapped, obj)
        if type_ is None:
            from sqlalchemy.types import NullType

            type_, type_known = NullType(), False

        def flag(name: str) -> tuple[bool, object]:
            node = keyword_value(call, name)
            if node is None:
                return False, None
            ok, value = self.literal_value(unit, node)
            if not ok:
                self._report(f"{obj}: {name}={unit.src.segment(node, 60)} cannot be read without running the "
                             "code; taken as not set", unit.src.loc(node), obj)
                return False, None
            return True, value

        has_pk, pk = flag("primary_key")
        primary_key = bool(pk) if has_pk else False
        has_unique, unique = flag("unique")
        has_nullable, nullable = flag("nullable")
        identity = computed = sequence = fetched = None
        if positional:
            from sqlalchemy import Computed, FetchedValue, Identity, Sequence

            identity = next((p for p in positional if isinstance(p, Identity)), None)
            computed = next((p for p in positional if isinstance(p, Computed)), None)
            sequence = next((p for p in positional if isinstance(p, Sequence)), None)
            fetched = next((p for p in positional if isinstance(p, FetchedValue)
                            and not isinstance(p, (Identity, Computed))), None)
        if has_nullable and nullable is not None:
            is_nullable = bool(nullable)
        elif mapped is not None:
            is_nullable = _includes_none(mapped)
        else:
            is_nullable = not primary_key and identity is None
        default = self._client(unit, call, where, ("default", "insert_default"), cls_name, obj)
        if default is None:
            if sequence is not None:
                default = _client_default(sequence, where, ("default", "insert_default"), self.dialect)
        server = self._server(unit, call, where, ("server_default",), obj_name=obj)
        if server is None:
            generator = identity or computed or fetched
            if generator is not None:
                server = _server_default(generator, where, ("server_default",), self.dialect)
        onupdate = self._client(unit, call, where, ("onupdate",), cls_name, obj)
        server_onupdate = None if computed is not None else self._server(unit, call, where, ("server_onupdate",),
                                                                        provenance=False, obj_name=obj)
        fact = ColumnFact(
            name=col_name,
            type=self._compile(type_) if type_known else (
                self._spelled_type(unit, call, args) or self._compile(type_)),
            nullable=is_nullable,
            primary_key=primary_key,
            unique=bool(unique) if has_unique else False,
            default=default,
            server_default=server,
            onupdate=onupdate,
            server_onupdate=server_onupdate,
            location=loc,
            attribute=key if not core and key != col_name else None,
            in_dataclass=dataclass,
            choices=enum_choices(type_) if type_known else None,
        )
        return _Column(key, fact, foreign_key, type_known)

    def _spelled_type(self, unit: _Unit, call: ast.Call | None, args: list[ast.expr]) -> str | None:
        """An unknown type as written, when it is a library's, named and
        called plainly (``UUIDType(binary=False)``): what MA205 judges by its
        name. None for the rest, which nothing should judge by its text: a
        project's own class or function (``String`` defined in the project
        may be anything), an expression (``A if BIG else B``), a method
        (``MyStr(3).with_variant(...)``)."""
        node = keyword_value(call, "type_") or next((a for a in args if self.is_type(unit, a)), None)
        return unit.src.segment(node, 80) if node is not None and self._read_as_written(unit, node) else None

    def _read_as_written(self, unit: _Unit, node: ast.AST) -> bool:
        callee = node.func if isinstance(node, ast.Call) else node
        if not isinstance(callee, (ast.Name, ast.Attribute)) or unit.imports.qualify(callee) is None:
            return False
        return not isinstance(self.resolve(unit, callee), tuple)

    def _report_type(self, unit: _Unit, node: ast.AST, obj: str) -> None:
        how = "read it as written" if self._read_as_written(unit, node) else "skip it"
        self._report(f"{obj}: the column type {unit.src.segment(node, 60)} is not SQLAlchemy's own; rules that "
                     f"need the type (MA205) {how}", unit.src.loc(node), obj)

    def _annotation_type(self, unit: _Unit, info: _Class | None, mapped: ast.AST, obj: str) -> tuple[Any, bool]:
        """The type SQLAlchemy's default type map gives ``Mapped[X]``."""
        inner = _strip_optional(mapped)
        if inner is not None and info is not None:
            mapping = self._type_annotation_map(info)
            text = ast.unparse(inner)
            if text in mapping:
                return mapping[text], True
        qualified = unit.imports.qualify(inner) if inner is not None else None
        if qualified in ("builtins.int", "builtins.str"):
            qualified = qualified.split(".")[1]
        if qualified in plain.ANNOTATION_TYPES and plain.ENABLED:
            spelling = plain.type_spelling(plain.ANNOTATION_TYPES[qualified], (), {}, self.dialect_name)
            if spelling is not None:
                return plain.PlainType(spelling), True
        import datetime
        import decimal
        import uuid

        from sqlalchemy.sql import sqltypes

        python: dict[str, type] = {
            "int": int, "str": str, "bool": bool, "float": float, "bytes": bytes,
            "datetime.datetime": datetime.datetime, "datetime.date": datetime.date, "datetime.time": datetime.time,
            "datetime.timedelta": datetime.timedelta, "decimal.Decimal": decimal.Decimal, "uuid.UUID": uuid.UUID,
        }
        py = python.get(qualified or "")
        if py is not None:
            return sqltypes._type_map[py], True
        members = self._enum_members(unit, inner) if inner is not None else None
        if members is not None:
            # SQLAlchemy maps an enum.Enum subclass to Enum(cls): its member
            # names, and the class name in lower case as the type's name
            return sqltypes.Enum(*members[1], name=members[0].lower()), True
        self._report(f"{obj}: the type for Mapped[{ast.unparse(mapped)}] cannot be told without importing the "
                     "models; rules that need the type (MA205) skipped it", unit.src.loc(mapped), obj)
        from sqlalchemy.types import NullType

        return NullType(), False

    def _enum_of_project_class(self, unit: _Unit, node: ast.AST) -> object:
        """``sa.Enum(Color, name="colors")`` with ``Color`` a project enum:
        the Enum SQLAlchemy builds of its member names; _NO when it cannot
        be told (``values_callable``, arguments only the code knows)."""
        if not (isinstance(node, ast.Call) and len(node.args) == 1 and not isinstance(node.args[0], ast.Starred)):
            return _NO
        func = self.sa_value(unit, node.func)
        from sqlalchemy.types import Enum

        if not (isinstance(func, type) and issubclass(func, Enum)):
            return _NO
        members = self._enum_members(unit, node.args[0])
        if members is None:
            return _NO
        kwargs: dict[str, object] = {}
        for kw in node.keywords:
            value = self.sa_value(unit, kw.value) if kw.arg not in (None, "values_callable") else _NO
            if value is _NO:
                return _NO
            kwargs[kw.arg] = value  # type: ignore[index]
        kwargs.setdefault("name", members[0].lower())
        try:
            return func(*members[1], **kwargs)
        except Exception:  # noqa: BLE001 - arguments SQLAlchemy refuses (importing the models fails too)
            return _NO

    def _enum_members(self, unit: _Unit, node: ast.AST, depth: int = 0) -> tuple[str, list[str]] | None:
        """``Color`` naming a project ``class Color(enum.Enum)``: (its name,
        its member names), or None."""
        target = self.resolve(unit, node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if not isinstance(target, tuple) or not isinstance(target[1], ast.ClassDef) or depth > _MAX_DEPTH:
            return None
        owner, cls = target
        members: list[str] = []
        enum_base = False
        for base in cls.bases:
            qualified = owner.imports.qualify(base)
            if qualified in _ENUM_BASES:
                enum_base = True
            elif qualified in ("str", "int") and qualified not in owner.defs:
                continue  # `class Color(str, enum.Enum)`: a data type mixed in
            else:
                inherited = self._enum_members(owner, base, depth + 1)
                if inherited is None:
                    return None  # a mixin or a base that is not an enum: not read
                if inherited[1]:
                    return None  # Python refuses to extend an enum with members
                enum_base = True
        if not enum_base or cls.keywords or cls.decorator_list:
            return None
        # Python's rules: dunder, _sunder_ and __private names are no members,
        # descriptors neither; a value equal to an earlier member's is an
        # alias, which SQLAlchemy leaves out. Anything else unsure: not read.
        values: list[object] = []  # the literal values so far
        automatic = False
        for stmt in cls.body:
            if isinstance(stmt, ast.ClassDef):
                return None  # a member on some Python versions, not on others
            if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or stmt.value is None:
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                return None  # `A = B = 1`, `A, B = range(2)`
            name = targets[0].id
            if name == "_ignore_":
                return None
            if name.startswith("__") or (len(name) > 2 and name[0] == name[-1] == "_"):
                continue  # __dunder__, __private, _sunder_
            if isinstance(stmt.value, ast.Lambda):
                continue  # a function: a method, no member
            ok, value = literal(stmt.value)
            if not ok:
                if not (isinstance(stmt.value, ast.Call) and _call_name(stmt.value.func) == "auto"
                        and not stmt.value.args and not stmt.value.keywords):
                    return None  # a value only running the class tells (a descriptor, perhaps)
                automatic = True
            elif any(value == seen for seen in values):
                continue  # an alias of an earlier member
            else:
                values.append(value)
            if name in members:
                return None
            members.append(name)
        if automatic and values:
            return None  # auto() beside literals: the value auto() picks may repeat one
        return cls.name, members

    def _type_annotation_map(self, info: _Class) -> dict[str, Any]:
        for entry in info.mro:
            if isinstance(entry, _Class) and isinstance(entry.attributes.get("type_annotation_map"), ast.Dict):
                node = entry.attributes["type_annotation_map"]
                assert isinstance(node, ast.Dict)
                out: dict[str, Any] = {}
                for k, v in zip(node.keys, node.values):
                    if k is None:
                        continue
                    type_, known = self.type_of(entry.unit, v)
                    if known:
                        out[ast.unparse(k)] = type_
                return out
        return {}

    def _client(self, unit: _Unit, call: ast.Call | None, where: _Located, names: tuple[str, ...],
                cls_name: str | None, obj_name: str | None = None) -> DefaultValue | None:
        node = keyword_value(call, *names)
        if node is None:
            return None
        ok, value = self.literal_value(unit, node)
        if ok and value is None:
            return None
        # what SQLAlchemy's ColumnDefault holds for a scalar, or for SQL
        plain_value = DefaultValue(DefaultKind.CONSTANT, value=value) if ok and type(value) in (
            str, int, float, bool) and plain.ENABLED else None
        if not ok and (sql := self._plain_sql(unit, node)) is not None:
            plain_value = DefaultValue(DefaultKind.SQL, sql=sql)
        if plain_value is not None:
            return _with_provenance(_placed(plain_value, where, names), where, names)
        obj: object = value if ok else self.sa_value(unit, node)
        if obj is not _NO:
            from sqlalchemy import ColumnDefault, Sequence
            from sqlalchemy.sql.elements import ClauseElement

            if ok or isinstance(obj, (ClauseElement, Sequence)):
                try:
                    d = obj if isinstance(obj, Sequence) else ColumnDefault(obj)
                except Exception:  # noqa: BLE001 - a value SQLAlchemy refuses as a default
                    d = None
                if d is not None:
                    return _with_provenance(_client_default(d, where, names, self.dialect), where, names)
        loc, source = where.keyword(*names)
        p = where.provenance(*names)
        if p.kind == "callable" or (p.kind == "per-row" and self._is_reference(unit, node)):
            value = DefaultValue(DefaultKind.CALLABLE, value=self._callable_value(unit, node, cls_name),
                                 source=source, location=loc)
        elif p.kind == "per-row":
            value = DefaultValue(DefaultKind.CONSTANT, value=_FROZEN, source=source, location=loc)
        elif isinstance(node, ast.Name) and node.id not in unit.defs and callable(getattr(builtins, node.id, None)):
            value = DefaultValue(DefaultKind.CALLABLE, value=node.id, source=source, location=loc)
        else:
            self._report(f"{obj_name + ': ' if obj_name else ''}{names[0]}={source} is computed by code that runs "
                         "only when the models are imported; rules that need its value skipped it",
                         loc or where.location or self.fallback, obj_name)
            value = DefaultValue(DefaultKind.OPAQUE, source=source, location=loc)
        return _with_provenance(value, where, names)

    def _is_reference(self, unit: _Unit, node: ast.AST) -> bool:
        """A lambda or a name of a function: called per row, even when what
        it returns was fixed at import."""
        if isinstance(node, ast.Lambda):
            return True
        if isinstance(node, ast.Call):
            return (unit.imports.qualify(node.func) or "") in ("functools.partial", "partial")
        target = self.resolve(unit, node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        return isinstance(target, tuple) and isinstance(target[1], (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                     ast.ClassDef))

    def _callable_value(self, unit: _Unit, node: ast.AST, cls_name: str | None) -> str:
        """The name the runtime source gives a callable default
        (``module.qualname``)."""
        if isinstance(node, ast.Lambda):
            return f"{unit.name}.{cls_name}.<lambda>" if cls_name else f"{unit.name}.<lambda>"
        target = self.resolve(unit, node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if isinstance(target, tuple) and isinstance(target[1], (ast.FunctionDef, ast.ClassDef)):
            return f"{target[0].name}.{target[1].name}"
        qualified = unit.imports.qualify(node) or unit.src.segment(node, 80)
        return qualified

    def _server(self, unit: _Unit, call: ast.Call | None, where: _Located, names: tuple[str, ...],
                provenance: bool = True, obj_name: str | None = None) -> DefaultValue | None:
        node = keyword_value(call, *names)
        if node is None:
            return None
        ok, value = self.literal_value(unit, node)
        if ok and value is None:
            return None
        result = None
        if ok and isinstance(value, str) and plain.ENABLED:
            result = server_string(value)
        elif not ok and (sql := self._plain_sql(unit, node)) is not None:
            result = server_sql(sql)
        if result is not None:
            result = _placed(result, where, names)
            return _with_provenance(result, where, names) if provenance else result
        from sqlalchemy import DefaultClause, FetchedValue
        from sqlalchemy.sql.elements import ClauseElement

        obj = value if ok else self.sa_value(unit, node)
        sd: object = None
        if isinstance(obj, FetchedValue):
            sd = obj
        elif isinstance(obj, (str, ClauseElement)):
            try:
                sd = DefaultClause(obj)
            except Exception:  # noqa: BLE001
                sd = None
        if sd is not None:
            result = _server_default(sd, where, names, self.dialect)
            return _with_provenance(result, where, names) if provenance else result
        loc, source = where.keyword(*names)
        refused = self._refused_server_default(unit, node, ok, value, obj, names[0])
        if refused is not None:
            # what an import stops at (MA002), here at the argument, and the rest is read
            why, instead = refused
            self._report(f"{obj_name + ': ' if obj_name else ''}{names[0]}={source} is refused by SQLAlchemy when "
                         f"the model is defined ({why}), so importing the models fails",
                         loc or where.location or self.fallback, obj_name, help=instead, code="MA002")
            return None
        p = where.provenance(*names)
        if p.kind == "per-row":
            result = DefaultValue(DefaultKind.CONSTANT, value=_FROZEN, source=source, location=loc)
        else:
            self._report(f"{obj_name + ': ' if obj_name else ''}{names[0]}={source} cannot be read without "
                         "running the code; rules that need it skipped it", loc or where.location or self.fallback,
                         obj_name)
            result = DefaultValue(DefaultKind.OPAQUE, source=source, location=loc)
        return _with_provenance(result, where, names) if provenance else result

    def _refused_server_default(self, unit: _Unit, node: ast.AST, ok: bool, value: object, obj: object,
                                keyword: str) -> tuple[str, str] | None:
        """(why SQLAlchemy raises on this ``server_default=``, what to write
        instead), or None when it takes it (or only running the code tells)."""
        sql = 'a string or SQL (`sa.text("...")`, `sa.func.now()`)'
        if ok:
            # a literal that is not a string: 123, True, b"x"
            if isinstance(value, str):
                return None
            if isinstance(value, bool):
                return f"it takes {sql}, not a bool", f"write `{keyword}=sa.{str(value).lower()}()`"
            if isinstance(value, (int, float)):
                return f"it takes {sql}, not a number", f'write `{keyword}="{value!r}"`'
            return f"it takes {sql}, not {type(value).__name__}", f"write {sql}"
        if obj is not _NO:
            from sqlalchemy.sql.functions import _FunctionGenerator

            if isinstance(obj, _FunctionGenerator):  # `sa.func.now`: not called
                return (f"it takes {sql}, not a function left uncalled",
                        f"call it: `{keyword}={unit.src.segment(node, 60)}()`")
            return f"it takes {sql}, not {type(obj).__name__}", f"write {sql}"
        if isinstance(node, ast.Call) and plain.text_name(unit.imports.qualify(node.func)):
            args = [literal(a) for a in node.args]
            if len(args) == 1 and not args[0][0]:
                return None  # text(SOME_NAME): a string the code computes
            if node.keywords or len(args) != 1 or not isinstance(args[0][1], str):
                return "text() takes one string", f'write `{keyword}=sa.text("...")` with the SQL as one string'
        return None

    def _plain_sql(self, unit: _Unit, node: ast.AST) -> str | None:
        """The SQL of ``text("...")``, ``func.now()``, ``false()``… as
        :mod:`.plain` spells it; None for the rest."""
        if not plain.ENABLED or not isinstance(node, ast.Call) or node.keywords:
            return None
        qualified = unit.imports.qualify(node.func)
        if plain.text_name(qualified):
            arg = node.args[0] if len(node.args) == 1 else None
            return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
        name = plain.function_name(qualified)
        return plain.function_sql(name, self.dialect_name) if name is not None and not node.args else None

    # -- SQLModel --------------------------------------------------------------
    def _sqlmodel_column(self, unit: _Unit, info: _Class, key: str, value: ast.expr | None,
                         annotation: ast.AST | None, loc: Location, dataclass: bool) -> _Column | None:
        """A SQLModel field, as ``sqlmodel.main.get_column_from_field`` builds it."""
        call = value if isinstance(value, ast.Call) and _call_name(value.func) == "Field" else None
        if call is not None:
            sa_column = keyword_value(call, "sa_column")
            if isinstance(sa_column, ast.Call):
                return self._column(unit, info, key, sa_column, sa_column, None, loc, info.qualname, dataclass)
        obj = f"{info.qualname}.{key}"
        where = _Located(unit.src, call, loc, self.index)

        def option(name: str) -> tuple[bool, object]:
            node = keyword_value(call, name)
            if node is None:
                return False, None
            return self.literal_value(unit, node)

        has_pk, pk = option("primary_key")
        primary_key = bool(pk) if has_pk else False
        has_nullable, nullable = option("nullable")
        inner = _strip_optional(annotation) if annotation is not None else None
        type_, known = self._sqlmodel_type(unit, call, inner, obj)
        if has_nullable:
            is_nullable = bool(nullable)
        else:
            is_nullable = not primary_key and annotation is not None and _includes_none(annotation)
        default: DefaultValue | None = None
        if call is not None:
            factory = keyword_value(call, "default_factory")
            column_kwargs = keyword_value(call, "sa_column_kwargs")
            if isinstance(column_kwargs, ast.Dict) and any(
                    isinstance(k, ast.Constant) and k.value == "default" for k in column_kwargs.keys):
                factory = None  # SQLModel applies sa_column_kwargs last: their default is the Column's
            if factory is not None:
                default = DefaultValue(DefaultKind.CALLABLE, value=self._callable_value(unit, factory, info.qualname),
                                       location=where.location)
                default = _with_provenance(default, where, ("default", "insert_default"))
            else:
                node = keyword_value(call, "default") or (call.args[0] if call.args else None)
                if node is not None:
                    synthetic = ast.Call(ast.Name("Column"), [], [ast.keyword("default", node)])
                    default = self._client(unit, synthetic, where, ("default",), info.qualname)
        elif value is not None:
            ok, literal_default = self.literal_value(unit, value)
            if ok and literal_default is not None:
                default = DefaultValue(DefaultKind.CONSTANT, value=literal_default, location=loc)
        server: DefaultValue | None = None
        if call is not None and keyword_value(call, "sa_column_kwargs") is not None:
            node = keyword_value(call, "sa_column_kwargs")
            if isinstance(node, ast.Dict):
                inner_kw = [ast.keyword(k.value, v) for k, v in zip(node.keys, node.values)
                            if isinstance(k, ast.Constant) and isinstance(k.value, str)]
                synthetic = ast.Call(ast.Name("Column"), [], inner_kw)
                plain = _Located(unit.src, None, loc, self.index)
                server = self._server(unit, synthetic, plain, ("server_default",))
        has_unique, unique = option("unique")
        fact = ColumnFact(
            name=key, type=self._compile(type_), nullable=is_nullable, primary_key=primary_key,
            unique=bool(unique) if has_unique else False, default=default, server_default=server,
            location=loc, in_dataclass=dataclass,
        )
        if not known:
            fact.type = unit.src.segment(inner, 80) if inner is not None else fact.type
        fk_ok, fk = option("foreign_key")
        return _Column(key, fact, fk if fk_ok and isinstance(fk, str) else None, known)

    def _sqlmodel_type(self, unit: _Unit, call: ast.Call | None, inner: ast.AST | None, obj: str
                       ) -> tuple[Any, bool]:
        from sqlalchemy.types import NullType

        sa_type = keyword_value(call, "sa_type")
        if sa_type is not None:
            type_, known = self.type_of(unit, sa_type)
            if not known:
                self._report_type(unit, sa_type, obj)
            return type_, known
        if inner is not None:
            type_, known = self._annotation_type(unit, None, inner, obj)
            if known:
                try:
                    from sqlmodel.sql.sqltypes import AutoString
                except ImportError:  # pragma: no cover - sqlmodel projects have it installed
                    AutoString = None  # noqa: N806
                import sqlalchemy as sa

                qualified = unit.imports.qualify(inner) or ""
                if qualified in ("str", "builtins.str") and AutoString is not None:
                    ok, length = (False, None)
                    node = keyword_value(call, "max_length")
                    if node is not None:
                        ok, length = self.literal_value(unit, node)
                    return (AutoString(length=length) if ok and isinstance(length, int) else AutoString()), True
                if qualified in ("float", "builtins.float"):
                    return sa.Float(), True
                if qualified in ("datetime.datetime",):
                    try:
                        from sqlmodel.sql.sqltypes import UTCDateTime  # type: ignore[attr-defined]

                        return UTCDateTime(), True
                    except ImportError:
                        return sa.DateTime(), True
            return type_, known
        return NullType(), False

    # -- Core tables -------------------------------------------------------------
    def _core_table(self, unit: _Unit, call: ast.Call) -> tuple[TableFact, list[_Column]] | None:
        if not call.args:
            return None
        ok, name = self.literal_value(unit, call.args[0])
        if not (ok and isinstance(name, str) and name):
            self._report(f"Table({unit.src.segment(call.args[0], 60)}, ...) has a name computed when the module "
                         "runs, so the table was not read", unit.src.loc(call))
            return None
        schema_node = keyword_value(call, "schema")
        schema = None
        if schema_node is not None:
            ok, value = self.literal_value(unit, schema_node)
            schema = value if ok and isinstance(value, str) else None
        columns: list[_Column] = []
        constraints: list[ast.AST] = []
        for arg in call.args[2:]:
            if isinstance(arg, ast.Call) and _call_name(arg.func) == "Column":
                if not (arg.args and isinstance(arg.args[0], ast.Constant) and isinstance(arg.args[0].value, str)):
                    continue
                ccall = core_column_call(call, arg.args[0].value)
                column = self._column(unit, None, arg.args[0].value, arg, ccall, None,
                                      unit.src.loc(ccall or arg), None, False, core=True)
                if column is not None:
                    columns.append(column)
            else:
                constraints.append(arg)
        _, uniques, pk = self._constraints(unit, constraints, name)
        return TableFact(name=name, schema=schema, uniques=uniques, primary_key=pk), columns


class _Frozen:
    """The value of a default computed once at import: known to be one
    value, unknown which (it exists only when the code runs)."""

    def __repr__(self) -> str:
        return "<computed at import>"


_FROZEN = _Frozen()


def static_schema(specs: list[str], import_modules: dict[str, Location | None], search: list[Path],
                  dialect: str, fallback: Location) -> tuple[Schema | None, list[Diagnostic]]:
    """The model facts of a project, read without importing it, and what
    could not be read (MA008, or MA005 when the metadata names nothing)."""
    reader = StaticModels(specs, import_modules, search, dialect, fallback)
    try:
        schema = reader.read()
    except RecursionError:
        reader._report("the model modules nest too deeply to be read statically", fallback)
        schema = None
    return schema, reader.diagnostics
