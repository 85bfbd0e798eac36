"""Replay each revision's operations, in dependency order, into the schema
the chain leaves at head. One mutable schema is updated in place (no copy per
revision), so the replay is linear in the number of operations."""

from __future__ import annotations

from dataclasses import replace

from migration_audit.facts import (
    BackfillSet,
    ColumnFact,
    MigrationHistory,
    NotNullSet,
    ServerDefaultSet,
    TableFact,
    UniqueFact,
    UnreadCall,
    table_key,
)
from migration_audit.sources import ops


_DEFAULT_SCHEMAS = {"public", "dbo", "main"}


def _find(history: MigrationHistory, name: str, schema: str | None) -> TableFact | None:
    """The table an operation names: exactly, else without the default
    schema (``public.posts`` is ``posts``), else ignoring case (raw SQL
    folds unquoted names)."""
    tables = history.head_schema.tables
    table = tables.get(table_key(name, schema))
    if table is None and schema in _DEFAULT_SCHEMAS:
        table = tables.get(name)
    if table is None:
        wanted = table_key(name, None if schema in _DEFAULT_SCHEMAS else schema).lower()
        matches = [t for k, t in tables.items() if k.lower() == wanted]
        table = matches[0] if len(matches) == 1 else None
    return table


def _table(history: MigrationHistory, name: str, schema: str | None) -> TableFact:
    """The table, created as a partial entry when the chain alters a table it
    never created (a baseline made by ``create_all`` + ``alembic stamp``)."""
    table = _find(history, name, schema)
    if table is None:
        key = table_key(name, schema)
        table = TableFact(name=name, schema=schema)
        history.head_schema.tables[key] = table
    return table


def _note_default(history: MigrationHistory, revision: str, table: TableFact, col: ColumnFact, location) -> None:
    events = history.server_defaults_set
    key = (revision, table.schema, table.name, col.name)
    previous = history.last_default_set.get(key)
    if previous is not None:
        events[previous] = replace(events[previous], temporary=True)
        del history.last_default_set[key]
    if col.server_default is None:
        return
    history.last_default_set[key] = len(events)
    history.server_defaults_set.append(
        ServerDefaultSet(
            revision=revision,
            table=table.name,
            schema=table.schema,
            column=col.name,
            value=col.server_default,
            is_key=table.is_key_column(col.name),
            key_reason=table.key_reason(col.name),
            location=col.server_default.location or location,
            column_type=col.type,
        )
    )


def _rename_in(names: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    return tuple(new if n == old else n for n in names)


def _own(owned: dict[int, ColumnFact], table: TableFact, col: ColumnFact) -> ColumnFact:
    """The column of ``table`` the replay may change: the operation that
    created it keeps its own facts (rules read them as the revision wrote
    them), so the first change works on a copy."""
    if id(col) in owned:
        return col
    mine = col.copy()
    owned[id(mine)] = mine  # held here too, so that no other object takes its id
    for name, c in table.columns.items():
        if c is col:
            table.columns[name] = mine
            break
    return mine


def apply(history: MigrationHistory, revision: str, op: ops.Op, owned: dict[int, ColumnFact]) -> None:
    """Apply one operation to the schema at head. ``owned``: the columns
    this replay copied and may change in place (by id)."""
    tables = history.head_schema.tables
    match op:
        case ops.CreateTable():
            # The operation's own columns, shared until the chain changes one
            # (_own): copying every created column cost the replay a third of
            # its time.
            table = TableFact(
                name=op.table,
                schema=op.schema,
                columns={c.name: c for c in op.columns},
                primary_key=op.primary_key,
                uniques=list(op.uniques),
                location=op.location,
                created_by=revision,
            )
            tables[table.key] = table
            history.created_in.add((revision, table.key))
            for col in table.columns.values():
                _note_default(history, revision, table, col, op.location)
        case ops.DropTable():
            found = _find(history, op.table, op.schema)
            if found is not None:
                tables.pop(found.key, None)
        case ops.RenameTable():
            table = _find(history, op.table, op.schema)
            if table is not None:
                tables.pop(table.key, None)
                table.name = op.new_name
                tables[table.key] = table
        case ops.AddColumn():
            table = _table(history, op.table, op.schema)
            col = op.column
            table.columns[col.name] = col
            _note_default(history, revision, table, col, op.location)
        case ops.DropColumn():
            table = _table(history, op.table, op.schema)
            for name in [n for n in table.columns if n.lower() == op.column.lower()]:
                if name == op.column or op.column not in table.columns:
                    table.columns.pop(name, None)
            if op.column in table.primary_key:
                table.primary_key = tuple(c for c in table.primary_key if c != op.column)
            table.uniques = [u for u in table.uniques if op.column not in u.columns]
        case ops.AlterColumn():
            table = _table(history, op.table, op.schema)
            col = table.columns.get(op.column) or next(
                (c for n, c in table.columns.items() if n.lower() == op.column.lower()), None
            )
            if col is None:
                col = ColumnFact(name=op.column, location=op.location)
                table.columns[op.column] = col
                owned[id(col)] = col
            else:
                col = _own(owned, table, col)
            if op.nullable is not ops.UNCHANGED:
                col.nullable = bool(op.nullable)
            if op.type is not ops.UNCHANGED:
                col.type = str(op.type)
            if op.new_name is not ops.UNCHANGED:
                old, new = col.name, str(op.new_name)
                table.columns.pop(old, None)
                col.name = new
                table.columns[new] = col
                table.primary_key = _rename_in(table.primary_key, old, new)
                table.uniques = [UniqueFact(u.name, _rename_in(u.columns, old, new), u.kind) for u in table.uniques]
            if op.server_default is not ops.UNCHANGED:
                col.server_default = op.server_default  # type: ignore[assignment]
                col.server_default_changed_at = op.location
                _note_default(history, revision, table, col, op.location)
        case ops.CreateUnique():
            table = _table(history, op.table, op.schema)
            table.uniques.append(op.unique)
        case ops.DropConstraint():
            named = _find(history, op.table, op.schema) if op.table else None
            candidates = [named] if named else list(tables.values()) if op.kind == "index" else []
            for table in candidates:
                if op.kind == "primary" or (op.name and op.name.endswith("_pkey") and op.kind in (None, "primary")):
                    if op.kind == "primary" or not any(u.name == op.name for u in table.uniques):
                        for c in table.primary_key:
                            if c in table.columns:
                                _own(owned, table, table.columns[c]).primary_key = False
                        table.primary_key = ()
                        continue
                before = len(table.uniques)
                table.uniques = [u for u in table.uniques if u.name != op.name]
                if len(table.uniques) != before:
                    break
        case ops.CreatePrimaryKey():
            table = _table(history, op.table, op.schema)
            table.primary_key = op.columns
            for c in op.columns:
                if c in table.columns:
                    col = _own(owned, table, table.columns[c])
                    col.primary_key = True
                    col.nullable = False
        case ops.Backfill():
            table = _table(history, op.table, op.schema)
            if (revision, table.key) in history.created_in:
                return  # created empty by this same revision: nothing to backfill
            history.backfills.append(
                BackfillSet(revision, table.name, table.schema, op.column, op.value,
                            table.is_key_column(op.column), table.key_reason(op.column), op.location)
            )
        case ops.Opaque():
            history.opaque_tables.update(op.tables)
        case ops.HelperCall():
            history.opaque_tables.update(op.tables)
            history.unread_calls.append(UnreadCall(revision, op.function, op.what, op.location, op.tables,
                                                  op.source))


def _keyed_by_end(history: MigrationHistory, defaults_from: int, backfills_from: int) -> None:
    """A column made unique later in the same revision (add_column with a
    literal default, then create_unique_constraint) is a key column for the
    literal too: the constraint fails on the second existing row."""
    tables = history.head_schema.tables
    for i in range(defaults_from, len(history.server_defaults_set)):
        e = history.server_defaults_set[i]
        t = tables.get(table_key(e.table, e.schema))
        if not e.is_key and t is not None and t.is_key_column(e.column):
            history.server_defaults_set[i] = replace(e, is_key=True, key_reason=t.key_reason(e.column))
    for i in range(backfills_from, len(history.backfills)):
        b = history.backfills[i]
        t = tables.get(table_key(b.table, b.schema))
        if not b.is_key and t is not None and t.is_key_column(b.column):
            history.backfills[i] = replace(b, is_key=True, key_reason=t.key_reason(b.column))


class _NotNullWatch:
    """Records each operation that makes a column NOT NULL, with what (if
    anything) gives the rows already in the table a value first. Looked at
    before the operation is applied, so the schema is the one it meets."""

    def __init__(self, history: MigrationHistory) -> None:
        self.history = history
        self.step = 0
        # (table key lower, column lower) → step at which the column was added
        self.added: dict[tuple[str, str], int] = {}
        self.added_filled: dict[tuple[str, str], bool] = {}
        # table key lower → [(step, columns or None, location)] of row writes
        self.writes: dict[str, list[tuple[int, tuple[str, ...] | None, str]]] = {}
        self.anywhere: list[tuple[int, str]] = []  # writes to unknown tables in this revision
        self.revision_start = 0

    def start(self) -> None:
        self.revision_start = self.step
        self.anywhere.clear()

    def _key(self, table: TableFact | None, name: str, schema: str | None) -> str:
        return (table.key if table is not None else table_key(name, schema)).lower()

    def _where(self, location) -> str:
        return f"{location.path.name}:{location.line}"

    def see(self, revision: str, op: ops.Op) -> None:
        self.step += 1
        h = self.history
        match op:
            case ops.WriteRows():
                if op.table is None:
                    self.anywhere.append((self.step, f"{op.what} ({self._where(op.location)})"))
                else:
                    key = self._key(_find(h, op.table, op.schema), op.table, op.schema)
                    cols = tuple(c.lower() for c in op.columns) if op.columns else None
                    self.writes.setdefault(key, []).append((self.step, cols, self._where(op.location)))
            case ops.AddColumn():
                table = _find(h, op.table, op.schema)
                key = self._key(table, op.table, op.schema)
                col = op.column
                filled = col.server_default is not None and col.server_default.sql != "NULL"
                self.added[(key, col.name.lower())] = self.step
                self.added_filled[(key, col.name.lower())] = filled
                if col.nullable:
                    return
                if table is not None and (revision, table.key) in h.created_in:
                    return  # created empty by this revision
                h.not_null_set.append(NotNullSet(
                    revision, table.name if table else op.table, table.schema if table else op.schema, col.name,
                    "add", col.location or op.location, "server default" if filled else None,
                    client_default=col.default,
                ))
            case ops.AlterColumn() if op.nullable is False:
                table = _find(h, op.table, op.schema)
                key = self._key(table, op.table, op.schema)
                col = None if table is None else table.columns.get(op.column) or next(
                    (c for n, c in table.columns.items() if n.lower() == op.column.lower()), None)
                if col is None or not col.nullable:
                    # already NOT NULL: nothing changes; or a column the chain
                    # never defined (a create_all + stamp baseline): whether
                    # it was nullable, or holds NULLs, is unknown
                    return
                h.not_null_set.append(NotNullSet(
                    revision, table.name if table else op.table, table.schema if table else op.schema, op.column,
                    "alter", op.location, self._filled(revision, table, key, op.column.lower()),
                    server_default=op.server_default if op.server_default is not ops.UNCHANGED  # type: ignore[arg-type]
                    else col.server_default if col is not None else None,
                ))

    def _filled(self, revision: str, table: TableFact | None, key: str, column: str) -> str | None:
        if table is not None and (revision, table.key) in self.history.created_in:
            return f"the table is created empty by revision {revision}"
        since = self.added.get((key, column), -1)
        if since >= 0 and self.added_filled.get((key, column)):
            return "the server default it was added with"
        for step, cols, where in reversed(self.writes.get(key, [])):
            if step > since and (cols is None or column in cols):
                return f"the update at {where}"
        if self.anywhere:
            return f"{self.anywhere[-1][1]}, which may write the rows"
        return None


def replay(history: MigrationHistory) -> None:
    watch = _NotNullWatch(history)
    owned: dict[int, ColumnFact] = {}
    for rev_id in history.order:
        defaults_from, backfills_from = len(history.server_defaults_set), len(history.backfills)
        watch.start()
        for op in history.revisions[rev_id].ops:
            watch.see(rev_id, op)  # type: ignore[arg-type]
            apply(history, rev_id, op, owned)  # type: ignore[arg-type]
        _keyed_by_end(history, defaults_from, backfills_from)
