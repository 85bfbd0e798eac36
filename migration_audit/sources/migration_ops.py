"""A revision's ``upgrade()`` body, read with ``ast`` → schema operations.

Accepts the spellings autogenerate writes and the ones people write by hand:
``op.*`` calls, ``with op.batch_alter_table(...) as batch_op:`` blocks,
``sa.Column``/``Column``, ``sa.text(...)``/``text(...)``, ``sa.func.now()``,
plain strings, ``sa.Identity``/``sa.Computed``, names wrapped in ``op.f()``,
and SQL passed to ``op.execute`` (parsed by :mod:`migration_audit.sources.sql`).
Anything it cannot read becomes an ``Opaque`` operation, never an error.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import replace

from migration_audit.facts import ColumnFact, DefaultKind, DefaultValue, Location, UniqueFact
from migration_audit.sources import ops
from migration_audit.sources.plain import text_name
from migration_audit.sources.provenance import ModuleIndex
from migration_audit.sources.pyexpr import (
    Imports,
    SourceFile,
    kwarg,
    literal,
    server_default_of,
    str_arg,
    type_of,
)

_NO_SCHEMA_EFFECT = {
    "f", "get_bind", "get_context", "inline_literal", "bulk_insert", "create_foreign_key",
    "create_check_constraint", "create_table_comment", "drop_table_comment",
    "create_exclude_constraint", "invoke", "implementation_for", "register_operation",
    "run_async", "batch_alter_table",
}
_MAX_INLINE_DEPTH = 4


class UpgradeReader:
    """Reads one migration module's ``upgrade()`` into operations."""

    def __init__(self, src: SourceFile) -> None:
        self.src = src
        self.imports = Imports.of(src.tree)
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {
            n.name: n
            for n in src.tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        self._inlining: list[str] = []
        self._called: set[str] = set()
        # Local names assigned in upgrade() and the helpers it calls, by
        # their last assignment read so far: `orders = sa.table("orders", ...)`.
        self._locals: dict[str, ast.expr] = {}
        self._provenance = ModuleIndex([])  # this file only: migrations never pull in project code

    def _server_default(self, node: ast.AST) -> DefaultValue | None:
        """server_default= of a column or alter_column, with the per-row call
        it freezes when the migration runs (`server_default=str(uuid.uuid4())`)."""
        value = server_default_of(node, self.src, self.imports)
        if value is None or value.kind not in (DefaultKind.OPAQUE, DefaultKind.CONSTANT, DefaultKind.SQL):
            return value
        if isinstance(node, ast.Constant) or (
                isinstance(node, ast.Call) and not node.keywords and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant) and text_name(self.imports.qualify(node.func))):
            return value  # a literal, or text() of one: the same in every run
        p = self._provenance.classify(self.src, node, self.imports)
        if p.kind == "per-row":
            return replace(value, frozen_origin=p.origin, frozen_via=p.via, frozen_fixable=False)
        return value

    def read(self) -> list[ops.Op]:
        fn = self.functions.get("upgrade")
        if fn is None:
            return []
        self._inlining.append("upgrade")
        result = list(self._body(fn.body, {}))
        # The multidb template dispatches with globals()[f"upgrade_{engine_name}"]():
        # read every upgrade_<engine>() it could call.
        for name, other in self.functions.items():
            if name.startswith("upgrade_") and name not in self._called:
                self._inlining.append(name)
                result.extend(self._body(other.body, {}))
                self._inlining.pop()
        return result

    # -- statements ---------------------------------------------------
    def _body(self, stmts: list[ast.stmt], batches: dict[str, tuple[str, str | None]]) -> Iterator[ops.Op]:
        for stmt in stmts:
            yield from self._stmt(stmt, batches)

    def _stmt(self, stmt: ast.stmt, batches: dict[str, tuple[str, str | None]]) -> Iterator[ops.Op]:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Call, ast.Await)):
            call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            if isinstance(call, ast.Call):
                yield from self._call(call, batches, for_effect=True)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Call):
            self._assign(stmt)
            yield from self._call(stmt.value, batches)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            self._assign(stmt)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            inner = dict(batches)
            for item in stmt.items:
                ctx = item.context_expr
                if (
                    isinstance(ctx, ast.Call)
                    and self._op_method(ctx.func) == "batch_alter_table"
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    table = self._name_arg(ctx.args[0] if ctx.args else kwarg(ctx, "table_name"))
                    schema = self._schema(ctx)
                    if table is None:
                        yield ops.Opaque("batch_alter_table on a computed table name", self.src.loc(ctx))
                    else:
                        inner[item.optional_vars.id] = (table, schema)
            yield from self._body(stmt.body, inner)
        elif isinstance(stmt, ast.If):
            # The usual guard (`if not column_exists: op.add_column(...)`)
            # leaves the schema as its body does; the else branch is the
            # state that already existed.
            yield from self._body(stmt.body, batches)
        elif isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            yield from self._body(stmt.body, batches)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            yield from self._body(stmt.body, batches)  # type: ignore[attr-defined]
            yield from self._body(stmt.finalbody, batches)  # type: ignore[attr-defined]

    def _assign(self, stmt: ast.Assign | ast.AnnAssign) -> None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if isinstance(target, ast.Name) and stmt.value is not None:
                self._locals[target.id] = stmt.value

    def _local(self, node: ast.expr) -> ast.expr:
        seen = 0
        while isinstance(node, ast.Name) and node.id in self._locals and seen < 5:
            node, seen = self._locals[node.id], seen + 1
        return node

    def _update_values(self, node: ast.AST) -> Iterator[ops.Op]:
        """``t.update().values(col=value)`` over every row, where ``t`` is
        ``sa.table("name", ...)``/``sa.Table(...)`` and ``value`` a literal or
        a per-row call evaluated once (``batch = str(uuid.uuid4())``): one
        value written into every existing row."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values"):
            return
        update = node.func.value
        if not (isinstance(update, ast.Call) and isinstance(update.func, ast.Attribute)
                and update.func.attr == "update" and not update.args and not update.keywords):
            return  # .where(...) before .values(): a filtered update
        table_node = self._local(update.func.value)
        if not (isinstance(table_node, ast.Call) and self.imports.sa_name(table_node.func) in ("table", "Table")
                and table_node.args):
            return
        table = str_arg(table_node.args[0])
        if table is None:
            return
        schema = str_arg(kwarg(table_node, "schema")) if kwarg(table_node, "schema") is not None else None
        for kw in node.keywords:
            if kw.arg is None:
                continue
            value = self._local(kw.value)
            where = self.src.loc(kw.value)
            if isinstance(value, ast.Constant) and value.value is not None:
                yield ops.Backfill(table, schema, kw.arg, DefaultValue(
                    DefaultKind.CONSTANT, value.value, source=self.src.segment(kw.value, 60), location=where), where)
                continue
            p = self._provenance.classify(self.src, value)
            if p.kind == "per-row":
                yield ops.Backfill(table, schema, kw.arg, DefaultValue(
                    DefaultKind.CONSTANT, None, source=self.src.segment(kw.value, 60), location=where,
                    frozen_origin=p.origin, frozen_via=p.via, frozen_fixable=False), where)

    # -- calls ------------------------------------------------------------
    def _op_method(self, func: ast.AST) -> str | None:
        """``op.add_column`` → ``add_column``."""
        if not isinstance(func, ast.Attribute):
            return None
        q = self.imports.qualify(func.value)
        if q in ("alembic.op", "op"):
            return func.attr
        return None

    def _call(self, call: ast.Call, batches: dict[str, tuple[str, str | None]],
              for_effect: bool = False) -> Iterator[ops.Op]:
        func = call.func
        method = self._op_method(func)
        if method is not None:
            yield from self._op(method, call, None)
            return
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in batches:
            yield from self._op(func.attr, call, batches[func.value.id])
            return
        if isinstance(func, ast.Attribute) and func.attr == "execute":
            # connection.execute(sa.text("ALTER TABLE ...")) / op.get_bind().execute(...)
            if call.args:
                yield from self._execute(call.args[0], quiet=True)
            return
        if isinstance(func, ast.Name) and func.id in self.functions:
            if func.id in self._inlining or len(self._inlining) > _MAX_INLINE_DEPTH:
                return
            self._inlining.append(func.id)
            self._called.add(func.id)
            try:
                yield from self._body(self.functions[func.id].body, batches)
            finally:
                self._inlining.pop()
            return
        if self._may_write_rows(func):
            yield ops.WriteRows(None, None, None, f"{self.src.segment(call, 60)}", self.src.loc(call))
            helper = self._helper(func) if for_effect else None
            if helper is not None:
                names = tuple(s for s in (str_arg(a) for a in call.args) if s)
                base = func
                while isinstance(base, ast.Attribute):
                    base = base.value
                imported = self.imports.names[base.id]  # type: ignore[union-attr]
                source = imported.rsplit(".", 1)[0] if isinstance(func, ast.Name) else imported
                yield ops.HelperCall(helper, self.src.segment(func, 60), self.src.loc(call), names, source)

    def _helper(self, func: ast.AST) -> str | None:
        """The qualified name of a function imported from outside the
        standard library and the libraries a migration uses, called as a
        statement (for what it does, as a helper that creates tables is):
        project code, or a library's schema helper."""
        if isinstance(func, ast.Attribute) and func.attr in _ROW_WRITING_METHODS:
            return None
        base = func
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in self.imports.names:
            return None  # a local object (`inspector.get_columns()`), a builtin
        q = self.imports.qualify(func)
        root = q.split(".")[0] if q else ""
        if not q or root in _LIBRARY_ROOTS or root in sys.stdlib_module_names:
            return None
        return q

    def _may_write_rows(self, func: ast.AST) -> bool:
        """A call that could write existing rows without migration-audit
        seeing which: a session or connection method, or a function from
        the project (never imported to find out)."""
        if isinstance(func, ast.Attribute) and func.attr in _ROW_WRITING_METHODS:
            return True
        q = self.imports.qualify(func)
        if q is None:
            return False
        root = q.split(".")[0]
        if root in _LIBRARY_ROOTS or (isinstance(func, ast.Name) and func.id not in self.imports.names):
            return False  # builtins and library constructors write nothing
        return True

    def _op(self, method: str, call: ast.Call, batch: tuple[str, str | None] | None) -> Iterator[ops.Op]:
        handler = getattr(self, f"_op_{method}", None)
        if handler is None:
            return
        args = list(call.args)
        if batch is not None and method != "drop_index":
            # batch_op.add_column(col) == op.add_column(table, col); for the
            # constraint and index calls the table comes after their name.
            table_node: ast.expr = ast.Constant(batch[0])
            if method in ("create_unique_constraint", "create_primary_key", "create_index", "drop_constraint"):
                args = args[:1] + [table_node] + args[1:]
            else:
                args = [table_node, *args]
        yield from handler(call, args, batch[1] if batch else None)

    def _name_arg(self, node: ast.AST | None) -> str | None:
        if node is None:
            return None
        s = str_arg(node)
        if s is not None:
            return s
        if isinstance(node, ast.Call) and self._op_method(node.func) == "f" and node.args:
            return str_arg(node.args[0])
        if isinstance(node, ast.Call) and self.imports.sa_name(node.func) in ("quoted_name", "conv") and node.args:
            return str_arg(node.args[0])
        return None

    def _schema(self, call: ast.Call, default: str | None = None) -> str | None:
        node = kwarg(call, "schema")
        if node is None:
            return default
        return self._name_arg(node)

    def _arg(self, call: ast.Call, args: list[ast.expr], i: int, name: str) -> ast.expr | None:
        if i < len(args):
            return args[i]
        return kwarg(call, name)

    def _names_list(self, node: ast.AST | None) -> tuple[str, ...] | None:
        if isinstance(node, (ast.List, ast.Tuple)):
            names = [self._name_arg(e) for e in node.elts]
            if all(n is not None for n in names):
                return tuple(n for n in names if n is not None)
        return None

    # -- op handlers ------------------------------------------------------
    def _op_create_table(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        loc = self.src.loc(call)
        table = self._name_arg(self._arg(call, args, 0, "table_name"))
        if table is None:
            yield ops.Opaque("create_table with a computed name", loc)
            return
        schema = self._schema(call, batch_schema)
        columns: list[ColumnFact] = []
        pk: tuple[str, ...] = ()
        uniques: list[UniqueFact] = []
        for item in args[1:]:
            if isinstance(item, ast.Starred):
                yield ops.Opaque(f"create_table({table!r}, *...) with computed columns", loc, (table,))
                continue
            if not isinstance(item, ast.Call):
                continue
            kind = self.imports.sa_name(item.func)
            if kind == "Column":
                col = self._column(item)
                if col is None:
                    yield ops.Opaque(f"a column of {table} with a computed name", self.src.loc(item), (table,))
                else:
                    columns.append(col)
            elif kind == "PrimaryKeyConstraint":
                pk = tuple(n for n in (self._name_arg(a) for a in item.args) if n)
            elif kind == "UniqueConstraint":
                cols = tuple(n for n in (self._name_arg(a) for a in item.args) if n)
                uniques.append(UniqueFact(self._name_arg(kwarg(item, "name")), cols))
        if not pk:
            pk = tuple(c.name for c in columns if c.primary_key)
        for c in columns:
            if c.name in pk:
                c.primary_key = True
                c.nullable = False
        yield ops.CreateTable(table, schema, columns, pk, uniques, loc)

    def _op_drop_table(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        table = self._name_arg(self._arg(call, args, 0, "table_name"))
        if table is not None:
            yield ops.DropTable(table, self._schema(call, batch_schema), self.src.loc(call))

    def _op_rename_table(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        old = self._name_arg(self._arg(call, args, 0, "old_table_name"))
        new = self._name_arg(self._arg(call, args, 1, "new_table_name"))
        if old and new:
            yield ops.RenameTable(old, new, self._schema(call, batch_schema), self.src.loc(call))
        else:
            yield ops.Opaque("rename_table with computed names", self.src.loc(call))

    def _op_add_column(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        loc = self.src.loc(call)
        table = self._name_arg(self._arg(call, args, 0, "table_name"))
        col_node = self._arg(call, args, 1, "column")
        if table is None:
            yield ops.Opaque("add_column on a computed table name", loc)
            return
        col = None
        if isinstance(col_node, ast.Call) and self.imports.sa_name(col_node.func) == "Column":
            col = self._column(col_node)
        if col is None:
            yield ops.Opaque(f"add_column on {table} with a column it could not read", loc, (table,))
            return
        schema = self._schema(call, batch_schema)
        yield ops.AddColumn(table, schema, col, loc)
        if col.primary_key:
            yield ops.CreatePrimaryKey(table, schema, (col.name,), loc)

    def _op_drop_column(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        table = self._name_arg(self._arg(call, args, 0, "table_name"))
        column = self._name_arg(self._arg(call, args, 1, "column_name"))
        if table and column:
            yield ops.DropColumn(table, self._schema(call, batch_schema), column, self.src.loc(call))
        elif table:
            yield ops.Opaque(f"drop_column on {table} with a computed name", self.src.loc(call), (table,))

    def _op_alter_column(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        loc = self.src.loc(call)
        table = self._name_arg(self._arg(call, args, 0, "table_name"))
        column = self._name_arg(self._arg(call, args, 1, "column_name"))
        if table is None or column is None:
            yield ops.Opaque("alter_column with computed names", loc, (table,) if table else ())
            return
        op = ops.AlterColumn(table, self._schema(call, batch_schema), column, loc)
        sd = kwarg(call, "server_default")
        if sd is not None and not (isinstance(sd, ast.Constant) and sd.value is False):
            op.server_default = self._server_default(sd)
        nullable = kwarg(call, "nullable")
        if nullable is not None:
            ok, value = literal(nullable)
            if ok and isinstance(value, bool):
                op.nullable = value
        type_ = kwarg(call, "type_")
        if type_ is not None:
            op.type = type_of(type_, self.src)
        new_name = kwarg(call, "new_column_name")
        if new_name is not None:
            name = self._name_arg(new_name)
            if name is None:
                yield ops.Opaque(f"alter_column on {table} renames to a computed name", loc, (table,))
                return
            op.new_name = name
        yield op

    def _op_create_unique_constraint(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        name = self._name_arg(self._arg(call, args, 0, "constraint_name"))
        table = self._name_arg(self._arg(call, args, 1, "table_name"))
        cols = self._names_list(self._arg(call, args, 2, "columns"))
        if table and cols:
            yield ops.CreateUnique(table, self._schema(call, batch_schema), UniqueFact(name, cols), self.src.loc(call))
        elif table:
            yield ops.Opaque(f"unique constraint on {table} with computed columns", self.src.loc(call), (table,))

    def _op_create_index(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        ok, unique = literal(kwarg(call, "unique"))
        if not (ok and unique is True):
            return
        name = self._name_arg(self._arg(call, args, 0, "index_name"))
        table = self._name_arg(self._arg(call, args, 1, "table_name"))
        cols = self._names_list(self._arg(call, args, 2, "columns"))
        if table and cols:
            yield ops.CreateUnique(
                table, self._schema(call, batch_schema), UniqueFact(name, cols, "index"), self.src.loc(call)
            )

    def _op_drop_index(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        name = self._name_arg(self._arg(call, args, 0, "index_name"))
        table = self._name_arg(kwarg(call, "table_name") or (args[1] if len(args) > 1 else None))
        if name:
            yield ops.DropConstraint(table, self._schema(call, batch_schema), name, "index", self.src.loc(call))

    def _op_drop_constraint(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        name = self._name_arg(self._arg(call, args, 0, "constraint_name"))
        table = self._name_arg(self._arg(call, args, 1, "table_name"))
        ok, type_ = literal(kwarg(call, "type_"))
        if name:
            yield ops.DropConstraint(
                table, self._schema(call, batch_schema), name, type_ if ok and isinstance(type_, str) else None,
                self.src.loc(call),
            )

    def _op_create_primary_key(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        table = self._name_arg(self._arg(call, args, 1, "table_name"))
        cols = self._names_list(self._arg(call, args, 2, "columns"))
        if table and cols:
            yield ops.CreatePrimaryKey(table, self._schema(call, batch_schema), cols, self.src.loc(call))

    def _op_execute(self, call: ast.Call, args: list[ast.expr], batch_schema: str | None) -> Iterator[ops.Op]:
        node = self._arg(call, args, 0, "sqltext")
        if node is not None:
            yield from self._execute(node, quiet=False)

    def _execute(self, node: ast.AST, quiet: bool) -> Iterator[ops.Op]:
        sql_node = node
        if isinstance(node, ast.Call) and self.imports.sa_name(node.func) == "text" and node.args:
            sql_node = node.args[0]
        sql = str_arg(sql_node)
        if sql is None:
            where = self.src.loc(node)
            if not quiet and not _is_data_statement(node, self.imports):
                yield ops.Opaque(f"execute() of SQL built at run time: {self.src.segment(node, 60)}", where)
            yield ops.WriteRows(None, None, None, f"execute({self.src.segment(node, 60)})", where)
            yield from self._update_values(node)
            return
        # imported here: sqlparse is needed only for a revision with SQL that is
        # not in the revision cache (the revision hook seldom has one)
        from migration_audit.sources.sql import parse_sql

        yield from parse_sql(sql, self._string_locator(sql_node, sql))

    def _string_locator(self, node: ast.AST, value: str):
        """Map an offset in a string constant to its line and column in the
        file, when the literal spells the value verbatim (no escapes)."""
        base = self.src.loc(node)
        seg = self.src.source_of(node)
        prefix = 0
        while prefix < len(seg) and seg[prefix] in "rRuUbBfF":
            prefix += 1
        q = seg[prefix:prefix + 3] if seg[prefix:prefix + 3] in ('"""', "'''") else seg[prefix:prefix + 1]
        body = seg[prefix + len(q): len(seg) - len(q)] if q else None
        verbatim = body == value

        def locate(offset: int) -> Location:
            if not verbatim:
                return base
            before = value[:offset]
            nl = before.count("\n")
            if nl == 0:
                return Location(base.path, base.line, base.column + prefix + len(q) + offset)
            return Location(base.path, base.line + nl, offset - before.rfind("\n"))

        return locate

    # -- columns ------------------------------------------------------------
    def _column(self, call: ast.Call) -> ColumnFact | None:
        args = list(call.args)
        name = self._name_arg(args[0]) if args else self._name_arg(kwarg(call, "name"))
        if name is None:
            return None
        col = ColumnFact(name=name, location=self.src.loc(call))
        keywords = {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}
        server_default = keywords.get("server_default")
        for a in args[1:]:
            kind = self.imports.sa_name(a.func) if isinstance(a, ast.Call) else None
            if kind == "Identity":
                col.server_default = DefaultValue(DefaultKind.IDENTITY, source=self.src.segment(a), location=self.src.loc(a))
                col.nullable = False
            elif kind == "Computed":
                expr = a.args[0] if a.args else kwarg(a, "sqltext")
                if isinstance(expr, ast.Call) and self.imports.sa_name(expr.func) == "text" and expr.args:
                    expr = expr.args[0]
                col.server_default = DefaultValue(DefaultKind.COMPUTED, sql=str_arg(expr), source=self.src.segment(a),
                                                  location=self.src.loc(a))
            elif kind == "Sequence":
                col.default = DefaultValue(DefaultKind.SEQUENCE, source=self.src.segment(a), location=self.src.loc(a))
            elif kind in ("ForeignKey", "CheckConstraint"):
                continue
            elif not col.type:
                col.type = type_of(a, self.src)
        if not col.type and keywords.get("type_") is not None:
            col.type = type_of(keywords["type_"], self.src)
        if server_default is not None:
            col.server_default = self._server_default(server_default)
        client = keywords.get("default")
        if client is not None and col.default is None:
            ok, value = literal(client)
            col.default = DefaultValue(DefaultKind.CONSTANT if ok else DefaultKind.OPAQUE, value=value if ok else None,
                                       source=self.src.segment(client), location=self.src.loc(client))
        for flag in ("primary_key", "unique", "nullable"):
            ok, value = literal(keywords.get(flag))
            if ok and isinstance(value, bool):
                setattr(col, flag, value)
        if col.primary_key and keywords.get("nullable") is None:
            col.nullable = False
        return col


_ROW_WRITING_METHODS = {
    "execute", "executemany", "exec_driver_sql", "query", "bulk_update_mappings", "bulk_save_objects",
    "add", "add_all", "merge", "flush", "commit", "run_sync", "scalars", "scalar",
}
_LIBRARY_ROOTS = {
    "sqlalchemy", "alembic", "sa", "op", "logging", "print", "datetime", "uuid", "json", "re", "os", "sys",
    "typing", "time", "decimal", "enum", "functools", "itertools", "collections", "textwrap", "warnings",
    "sqlmodel", "postgresql", "mysql", "sqlite",
}


def _is_data_statement(node: ast.AST, imports: Imports) -> bool:
    """``op.execute(table.update()...)``/``insert()`` are data, not schema."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"update", "insert", "delete", "values", "where", "select"}
    return False
