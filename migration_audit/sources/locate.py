"""Where SQLAlchemy columns are written in a module's syntax tree: class
bodies, the Column/mapped_column call in an attribute's value, its keywords,
and Core ``Table("name", Column("col", ...))`` calls (see
:mod:`.model_source`, which maps imported models back to these lines)."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

_COLUMN_CALLS = {"Column", "mapped_column", "Field", "column_property"}


def _call_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def class_defs(tree: ast.Module) -> dict[str, list[ast.ClassDef]]:
    """Every class a module defines, by qualified name (``Outer.Inner``,
    ``factory.<locals>.Model``), each name's definitions in source order (a
    redefinition, or both branches of an if)."""
    found: dict[str, list[ast.ClassDef]] = {}

    def walk(body: Iterable[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                qual = f"{prefix}{node.name}"
                found.setdefault(qual, []).append(node)
                walk(node.body, qual + ".")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                walk(node.body, f"{prefix}{node.name}.<locals>.")
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                walk(getattr(node, "body", []), prefix)
                walk(getattr(node, "orelse", []), prefix)

    walk(tree.body, "")
    return found


def table_calls(tree: ast.Module) -> Iterator[tuple[str, ast.Call]]:
    """Core ``Table("name", ...)`` calls, with the table's name."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and _call_name(node.func) == "Table"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node


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
    """The first of ``names`` passed to ``call``. For SQLModel's ``Field``,
    first a key of its ``sa_column_kwargs`` dict (``{"server_default": ...}``):
    SQLModel builds the Column from the Field's own ``default`` and then
    applies those, so they win."""
    if call is None:
        return None
    if _call_name(call.func) == "Field":
        extra = next((kw.value for kw in call.keywords if kw.arg == "sa_column_kwargs"), None)
        if isinstance(extra, ast.Dict):
            for name in names:
                for key, value in zip(extra.keys, extra.values):
                    if isinstance(key, ast.Constant) and key.value == name:
                        return value
        elif isinstance(extra, ast.Call) and _call_name(extra.func) == "dict":
            found = keyword_value(extra, *names)
            if found is not None:
                return found
    for name in names:
        for kw in call.keywords:
            if kw.arg == name:
                return kw.value
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


def strip_optional(node: ast.AST) -> ast.AST | None:
    """The one type in ``Optional[X]`` / ``X | None`` / ``Annotated[X, ...]``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        items = [i for i in (node.left, node.right) if not (isinstance(i, ast.Constant) and i.value is None)]
        return strip_optional(items[0]) if len(items) == 1 else None
    if isinstance(node, ast.Subscript):
        head = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "")
        if head in ("Optional", "Annotated"):
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return strip_optional(items[0]) if items else None
        if head == "Union":
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            items = [i for i in items if not (isinstance(i, ast.Constant) and i.value is None)]
            return strip_optional(items[0]) if len(items) == 1 else None
    return node


def mapped_inner(annotation: ast.AST | None) -> ast.AST | None:
    """X in ``Mapped[X]`` (also a quoted ``"Mapped[X]"``); None otherwise."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    if isinstance(annotation, ast.Subscript):
        head = annotation.value
        name = head.attr if isinstance(head, ast.Attribute) else getattr(head, "id", None)
        if name == "Mapped":
            inner = annotation.slice
            if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                try:
                    inner = ast.parse(inner.value, mode="eval").body
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    return None
            return inner
    return None


def annotated_mapped_column(value: ast.AST) -> tuple[ast.expr, ast.Call] | None:
    """``Annotated[T, mapped_column(...)]``: (T, the mapped_column call),
    which SQLAlchemy builds an attribute annotated with it from (the
    attribute's own arguments win)."""
    if not (isinstance(value, ast.Subscript) and _call_name(value.value) == "Annotated"
            and isinstance(value.slice, ast.Tuple) and len(value.slice.elts) >= 2):
        return None
    call = next((e for e in value.slice.elts[1:] if isinstance(e, ast.Call)
                 and _call_name(e.func) == "mapped_column"), None)
    return (value.slice.elts[0], call) if call is not None else None


def annotated_aliases(tree: ast.Module) -> dict[str, ast.Call]:
    """Module-level ``Name = Annotated[T, mapped_column(...)]``, by name:
    the mapped_column of an attribute annotated ``Mapped[Name]``."""
    found: dict[str, ast.Call] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value = node.target.id, node.value
        else:
            continue
        alias = annotated_mapped_column(value)
        if alias is not None:
            found[name] = alias[1]
    return found


def alias_call(annotation: ast.AST | None, aliases: dict[str, ast.Call]) -> ast.Call | None:
    """The alias mapped_column of ``Mapped[Name]`` / ``Mapped[Name | None]``."""
    if not aliases or annotation is None:
        return None
    inner = mapped_inner(annotation)
    name = strip_optional(inner) if inner is not None else None
    return aliases.get(name.id) if isinstance(name, ast.Name) else None
