"""Where a default's value comes from, read from the source with ``ast``.

``default=str(uuid.uuid4())`` and ``default=uuid.uuid4`` look alike at a
glance; the first is a call evaluated once, when the class body runs, whose
result is one instance of a per-row value. This module tells them apart,
however the source is imported or aliased, through chains on the result
(``.hex``, ``str(...)``, f-strings, ``int(time.time())``), module-level
constants (``NOW = datetime.now()``) and project functions called at
definition (``default=new_token()``), following them into other project
modules by path, never by importing.
"""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass
from pathlib import Path

from migration_audit.facts import _rebuilt
from migration_audit.sources.pyexpr import Imports, SourceError, SourceFile, bindings, module_file, parse_file

# Functions whose every call yields a new per-row value (qualified names).
PER_ROW_FUNCTIONS = {
    # uuid3/uuid5 hash their arguments: deterministic, so not listed (on a
    # key column MA101 still reports the constant they return).
    "uuid.uuid1", "uuid.uuid4", "uuid.uuid6", "uuid.uuid7",
    "uuid_utils.uuid4", "uuid_utils.uuid7", "uuid6.uuid6", "uuid6.uuid7", "uuid_extensions.uuid7",
    "datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today",
    "time.time", "time.time_ns", "time.monotonic", "time.monotonic_ns", "time.perf_counter", "time.localtime",
    "time.gmtime", "time.strftime",
    "os.urandom", "os.getrandom",
    "shortuuid.uuid", "shortuuid.random", "shortuuid.ShortUUID.uuid",
    "nanoid.generate", "nanoid.non_secure_generate",
    "ulid.new", "ulid.ulid", "ulid.ULID", "ulid.ULID.from_timestamp", "ulid.api.new",
    "bson.ObjectId", "bson.objectid.ObjectId",
    "cuid.cuid", "cuid2.cuid_wrapper",
    "pendulum.now", "pendulum.today", "arrow.now", "arrow.utcnow",
    "django.utils.timezone.now",
}
# Modules every function of which is random.
PER_ROW_MODULES = ("random.", "secrets.", "numpy.random.")

_SQL_NAMES = {"text", "literal", "literal_column", "true", "false", "null", "cast", "select", "case", "column",
              "DefaultClause", "FetchedValue"}
_GENERATOR_CLASSES = {"Sequence", "Identity", "Computed"}
_MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class Provenance:
    """``kind``: "per-row" (a per-row source evaluated once), "call" (another
    value computed at definition), "callable", "sql", "generator", "literal",
    "mutable" (a list/dict/set literal, shared by every row) or "unknown".
    ``origin`` is the per-row call as spelled; ``via`` names the constant or
    function it arrived through."""

    kind: str
    origin: str | None = None
    via: str | None = None
    # True when calling the expression again gives a new value (the per-row
    # call is in the expression or in a function body); False when the value
    # was fixed in a module or class constant, a default argument or a
    # cache: then wrapping it in a lambda would still return that one value.
    fixable: bool = True

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return _rebuilt(self)  # the revision hook unpickles one per model column read ahead


UNKNOWN = Provenance("unknown")


def is_per_row_source(qualified: str | None) -> bool:
    if not qualified:
        return False
    return qualified in PER_ROW_FUNCTIONS or qualified.startswith(PER_ROW_MODULES)


class ModuleIndex:
    """Parsed project modules, found by dotted name on the search path."""

    def __init__(self, search: list[Path]) -> None:
        self.search = search
        self._roots: list[Path] | None = None
        self._by_path: dict[Path, _Module | None] = {}

    def module(self, path: Path, src: SourceFile | None = None, imports: Imports | None = None) -> _Module | None:
        """The module at ``path``, reusing ``src`` (and its ``imports``) when
        the caller has them."""
        if path in self._by_path:
            return self._by_path[path]
        if src is None:
            try:
                src = parse_file(path.resolve())
            except SourceError:
                self._by_path[path] = None
                return None
        self._by_path[path] = _Module(src, self, imports)
        return self._by_path[path]

    def _within(self, path: Path) -> tuple[str, ...] | None:
        """``path``'s parts below the search root that holds it."""
        if self._roots is None:
            self._roots = [base.resolve() for base in self.search]
        resolved = path.resolve()
        for root in self._roots:
            if resolved.is_relative_to(root):
                return resolved.relative_to(root).parts
        return None

    def package_of(self, path: Path) -> str | None:
        """The package a module file is in (the package itself for an
        ``__init__.py``): what its relative imports start from."""
        parts = self._within(path)
        if not parts or not all(p.isidentifier() for p in parts[:-1]):
            return None
        return ".".join(parts[:-1])

    def shown(self, path: Path) -> str:
        """``app/consts.py``: the file as messages name it."""
        parts = self._within(path)
        return "/".join(parts) if parts else path.name

    def module_named(self, dotted: str) -> _Module | None:
        path = module_file(dotted, self.search)
        return self.module(path) if path is not None else None

    def classify(self, src: SourceFile, node: ast.AST, imports: Imports | None = None) -> Provenance:
        module = self.module(src.path, src, imports)
        if module is None:  # pragma: no cover - the file parsed once already
            return UNKNOWN
        # Names resolve at module level, so an expression spelled the same in
        # one module means the same there: a models module repeats a few
        # defaults (`sa.text('0')`, `func.now()`) hundreds of times.
        text = src.source_of(node)
        if not text:
            return module.classify(node, 0)
        found = module.seen.get(text)
        if found is None:
            found = module.seen[text] = module.classify(node, 0)
        return found


class _Module:
    def __init__(self, src: SourceFile, index: ModuleIndex, imports: Imports | None = None) -> None:
        self.src = src
        # A weak reference: the index holds its modules, and a cycle would
        # keep every migration's syntax tree alive until the cyclic GC runs
        # (it is paused during the audit).
        self._index = weakref.ref(index)
        self.imports = imports if imports is not None else Imports.of(src.tree, index.package_of(src.path))
        self.constants: dict[str, ast.expr] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.classes: dict[str, dict[str, ast.expr]] = {}  # class name → its body's assignments
        self.seen: dict[str, Provenance] = {}  # expression as spelled → what it was found to be
        for node in src.tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                self.constants[node.target.id] = node.value
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = {n: v for n, v in bindings(node.body) if isinstance(v, ast.expr)}

    def _index_(self) -> ModuleIndex:
        index = self._index()
        assert index is not None, "a module outlived its index"
        return index

    # -- names --------------------------------------------------------------
    def project_symbol(self, name: str) -> tuple[_Module, str] | None:
        """An imported name that lives in a project module: (module, name)."""
        qualified = self.imports.names.get(name)
        if not qualified or name in self.imports.modules:
            return None
        module_name, _, attr = qualified.rpartition(".")
        if not module_name:
            return None
        target = self._index_().module_named(module_name)
        return (target, attr) if target is not None else None

    def module_attribute(self, node: ast.Attribute) -> tuple[_Module, str] | None:
        """``helpers.today`` where ``from app import helpers`` or ``import
        app.helpers``: (that project module, "today")."""
        qualified = self.imports.qualify(node.value)
        if not qualified or not isinstance(node.value, (ast.Name, ast.Attribute)):
            return None
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id not in self.imports.names:
            return None
        target = self._index_().module_named(qualified)
        return (target, node.attr) if target is not None else None

    def project_name(self, node: ast.AST) -> tuple[_Module, str] | None:
        """``X`` or ``module.X`` naming something of another project module."""
        if isinstance(node, ast.Name):
            return self.project_symbol(node.id)
        if isinstance(node, ast.Attribute):
            return self.module_attribute(node)
        return None

    def classify(self, node: ast.AST, depth: int) -> Provenance:
        if depth > _MAX_DEPTH:
            return UNKNOWN
        if isinstance(node, ast.Lambda):
            return self._lambda(node, depth)
        if isinstance(node, ast.Constant):
            return Provenance("literal")
        if isinstance(node, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
            inner = self._any(getattr(node, "elts", None) or getattr(node, "values", None) or [], depth)
            return inner if inner.kind == "per-row" else Provenance("mutable")
        if isinstance(node, ast.JoinedStr):
            found = self._any([v.value for v in node.values if isinstance(v, ast.FormattedValue)], depth)
            return found if found.kind == "per-row" else Provenance("call" if found.kind == "call" else "literal")
        if isinstance(node, (ast.BinOp, ast.BoolOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Tuple)):
            children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
            found = self._any(children, depth)
            if found.kind in ("per-row", "call"):
                return found
            return Provenance("literal")
        if isinstance(node, ast.Subscript):
            return self._value_of(self.classify(node.value, depth + 1))
        if isinstance(node, ast.Name):
            return self._name(node.id, depth)
        if isinstance(node, ast.Attribute):
            qualified = self.imports.qualify(node)
            if is_per_row_source(qualified):
                return Provenance("callable")
            base = node.value
            if isinstance(base, ast.Name) and base.id in self.classes:
                # `Config.TOKEN` where `class Config: TOKEN = secrets.token_hex()`
                value = self.classes[base.id].get(node.attr)
                if value is not None:
                    inner = self.classify(value, depth + 1)
                    if inner.kind == "per-row":
                        line = self.src.loc(value).line
                        return Provenance("per-row", inner.origin,
                                          inner.via or f"{base.id}.{node.attr} ({self._rel()}:{line})", False)
                    return UNKNOWN
            target = self.module_attribute(node)
            if target is not None:
                module, attr = target
                return module._name(attr, depth + 1)
            if isinstance(base, (ast.Call, ast.Subscript, ast.Attribute, ast.Name)):
                inner = self.classify(base, depth + 1)
                if inner.kind == "per-row":
                    return inner  # uuid4().hex, NOW.year
            return UNKNOWN  # enum members, settings attributes
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        return UNKNOWN

    @staticmethod
    def _value_of(p: Provenance) -> Provenance:
        return p if p.kind in ("per-row", "call") else UNKNOWN

    def _any(self, nodes: list[ast.AST], depth: int) -> Provenance:
        best = Provenance("literal")
        for child in nodes:
            if child is None:
                continue
            p = self.classify(child, depth + 1)
            if p.kind == "per-row":
                return p
            if p.kind == "call":
                best = p
        return best

    def _name(self, name: str, depth: int) -> Provenance:
        qualified = self.imports.names.get(name)
        if is_per_row_source(qualified):
            return Provenance("callable")  # `default=new_id` where new_id is uuid4
        if name in self.constants:
            inner = self.classify(self.constants[name], depth + 1)
            if inner.kind == "per-row":
                line = self.src.loc(self.constants[name]).line
                return Provenance("per-row", inner.origin, inner.via or f"{name} ({self._rel()}:{line})", False)
            return inner if inner.kind in ("mutable", "call") else UNKNOWN
        if name in self.functions:
            return self._function_reference(self.functions[name], depth)
        target = self.project_symbol(name)
        if target is not None:
            module, attr = target
            inner = module._name(attr, depth + 1)
            return inner
        if name in self.classes:
            return Provenance("callable")  # a class is a factory (`default=dict`, `default=Money`)
        return UNKNOWN

    def _function_reference(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> Provenance:
        """``default=get_token``: a callable, unless what it returns was fixed
        at import (a module constant) or it is cached."""
        cached = any(
            (self.imports.qualify(d.func if isinstance(d, ast.Call) else d) or "").split(".")[-1]
            in ("lru_cache", "cache", "cached_property")
            for d in fn.decorator_list
        )
        result = self._returns(fn, depth)
        if result.kind == "per-row" and (cached or not result.fixable):
            line = self.src.loc(fn).line
            how = "cached " if cached else ""
            return Provenance("per-row", result.origin,
                              result.via or f"{how}{fn.name}() ({self._rel()}:{line})", False)
        return Provenance("callable")

    def _lambda(self, node: ast.Lambda, depth: int) -> Provenance:
        """A lambda is called per row, but its default arguments are evaluated
        once, and a constant it returns was fixed at import."""
        defaults = [d for d in [*node.args.defaults, *node.args.kw_defaults] if d is not None]
        found = self._any(defaults, depth)
        if found.kind == "per-row":
            return Provenance("per-row", found.origin, found.via or "a lambda default argument", False)
        body = self.classify(node.body, depth + 1)
        if body.kind == "per-row" and not body.fixable:
            return body
        return Provenance("callable")

    def _rel(self) -> str:
        return self._index_().shown(self.src.path)

    def _call(self, node: ast.Call, depth: int) -> Provenance:
        func = node.func
        qualified = self.imports.qualify(func)
        if is_per_row_source(qualified):
            return Provenance("per-row", self.src.segment(node, 80))
        if isinstance(func, ast.Attribute) and func.attr in ("now", "utcnow", "today") and qualified and (
            qualified.endswith(("datetime.now", "datetime.utcnow", "datetime.today", "date.today"))
        ):
            return Provenance("per-row", self.src.segment(node, 80))
        sa = self.imports.sa_name(func)
        if sa is not None and (sa.startswith("func.") or sa in _SQL_NAMES):
            # sa.text(str(int(time.time()))): SQL, but built from a frozen value
            found = self._any([*node.args, *(kw.value for kw in node.keywords)], depth)
            return found if found.kind == "per-row" else Provenance("sql")
        if sa in _GENERATOR_CLASSES:
            return Provenance("generator")
        if qualified in ("functools.partial", "partial"):
            # the arguments after the function are evaluated once, now
            found = self._any([*node.args[1:], *(kw.value for kw in node.keywords)], depth)
            if found.kind == "per-row":
                return Provenance("per-row", found.origin, found.via or "a functools.partial argument", False)
            return Provenance("callable")
        # A project function called at definition (`new_token()`,
        # `helpers.today()`): what does it return?
        owner_fn: tuple[_Module, str] | None = None
        if isinstance(func, ast.Attribute):
            owner_fn = self.module_attribute(func)
        elif isinstance(func, ast.Name):
            owner_fn = (self, func.id) if func.id in self.functions else self.project_symbol(func.id)
        if owner_fn is not None and owner_fn[1] in owner_fn[0].functions:
            owner, fname = owner_fn
            result = owner._returns(owner.functions[fname], depth)
            if result.kind == "per-row":
                line = owner.src.loc(owner.functions[fname]).line
                return Provenance("per-row", result.origin, result.via or f"{fname}() ({owner._rel()}:{line})",
                                  result.fixable)
            return Provenance("call")
        # A call on a per-row value (`uuid4().hex.upper()`), or with one as an
        # argument (`str(uuid4())`, `int(time.time())`).
        if isinstance(func, ast.Attribute):
            receiver = self.classify(func.value, depth + 1)
            if receiver.kind == "per-row":
                return receiver
        found = self._any([*node.args, *(kw.value for kw in node.keywords)], depth)
        if found.kind == "per-row":
            return found
        return Provenance("call")

    def _returns(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> Provenance:
        best = Provenance("call")
        for node in ast.walk(fn):
            if isinstance(node, ast.Return) and node.value is not None:
                p = self.classify(node.value, depth + 1)
                if p.kind == "per-row":
                    return p
        return best
