"""The fact model every source produces and every rule reads.

Sources (model metadata, migration files, later a live database) each turn
their input into the same small vocabulary: tables, columns and, per column,
its client default, server default, onupdate and server onupdate, each
classified and carrying the location of the code that defines it. Rules only
ever see these facts, never SQLAlchemy objects or AST nodes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


def _rebuilt(obj: object) -> tuple[type, tuple[object, ...]]:
    """Pickle a frozen slots dataclass as a call of its class with every
    field in order: unpickling one through __setstate__ is three times
    slower, and the revision cache holds many Locations and DefaultValues."""
    cls = type(obj)
    return cls, tuple(getattr(obj, name) for name in cls.__slots__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A point in a source file: absolute path, 1-based line and column."""

    path: Path
    line: int = 1
    column: int = 1

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return _rebuilt(self)

    def shown_path(self, root: Path) -> str:
        """Relative to the project folder when inside it, else absolute;
        always with forward slashes, so output is the same on every OS."""
        path = self.path.resolve()
        try:
            return path.relative_to(root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


class DefaultKind(enum.Enum):
    """How a default value is produced."""

    CONSTANT = "constant"  # one value, the same for every row
    CALLABLE = "callable"  # a Python callable run per row
    SQL = "sql"  # a SQL expression evaluated by the database (text(), func.*)
    SEQUENCE = "sequence"
    IDENTITY = "identity"
    COMPUTED = "computed"
    FETCHED = "fetched"  # FetchedValue(): the database fills it, nothing is rendered
    OPAQUE = "opaque"  # an expression migration-audit could not read without running it


@dataclass(frozen=True, slots=True)
class EnumMember:
    """An Enum member used as a default, carried out of the model import
    without the project's enum class. SQLAlchemy's Enum type stores
    ``name``."""

    type_name: str
    name: str
    value: object

    def __repr__(self) -> str:
        return f"<{self.type_name}.{self.name}: {self.value!r}>"


@dataclass(frozen=True, slots=True)
class DefaultValue:
    """One default of a column, as one source states it.

    ``value`` is the Python value of a constant (for a server default given
    as a plain string, that string). ``sql`` is the SQL text a server default
    puts after ``DEFAULT`` (``'abc'``, ``now()``, ``0``); it is None for client
    defaults and for kinds that render nothing. ``source`` is how the code
    spells it (``str(uuid.uuid4())``, ``sa.text('0')``), for messages.
    """

    kind: DefaultKind
    value: object = None
    sql: str | None = None
    source: str | None = None
    location: Location | None = None
    # When the code computed this value once from a per-row source
    # (``uuid.uuid4()``, ``datetime.now()``): that call as spelled, and the
    # constant or function it came through (``NOW (models.py:4)``).
    frozen_origin: str | None = None
    frozen_via: str | None = None
    # Wrapping the expression in a lambda gives a new value per call (False
    # when the value was fixed in a constant, a default argument or a cache).
    frozen_fixable: bool = True

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return _rebuilt(self)

    def placed(self, source: str | None, location: Location | None) -> DefaultValue:
        """This value as written at ``location`` (dataclasses.replace is
        three times slower, and every model default goes through here)."""
        return DefaultValue(self.kind, self.value, self.sql, source, location, self.frozen_origin, self.frozen_via,
                            self.frozen_fixable)

    def describe(self) -> str:
        if self.source:
            return self.source
        if self.sql is not None:
            return self.sql
        return repr(self.value)


@dataclass(slots=True)
class ColumnFact:
    name: str
    type: str = ""
    nullable: bool = True
    primary_key: bool = False
    unique: bool = False  # unique=True on the column itself
    default: DefaultValue | None = None
    server_default: DefaultValue | None = None
    onupdate: DefaultValue | None = None
    server_onupdate: DefaultValue | None = None
    location: Location | None = None
    # Where the migration chain last set or dropped the server default with
    # alter_column / ALTER COLUMN (None when it came with the column).
    server_default_changed_at: Location | None = None
    # Mapped by a dataclass-style class (MappedAsDataclass, SQLModel), where
    # `default=` is also the __init__ default: a callable there is wrong.
    in_dataclass: bool = False
    # The class attribute that maps the column, when it differs from its name
    # (``legacy = Column("legacy_col", ...)``); for messages.
    attribute: str | None = None
    # The values an Enum column takes (a model's; a migration's type text
    # spells them), which a compiled type such as PostgreSQL's does not show.
    choices: tuple[str, ...] | None = None

    def copy(self) -> ColumnFact:
        """A shallow copy (the replay copies every column it is given, and
        dataclasses.replace is five times slower)."""
        new = ColumnFact.__new__(ColumnFact)
        for name in ColumnFact.__slots__:  # type: ignore[attr-defined]
            setattr(new, name, getattr(self, name))
        return new


@dataclass(slots=True)
class UniqueFact:
    """A unique constraint or unique index."""

    name: str | None
    columns: tuple[str, ...]
    kind: str = "constraint"  # or "index"


@dataclass(slots=True)
class TableFact:
    name: str
    schema: str | None = None
    columns: dict[str, ColumnFact] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    uniques: list[UniqueFact] = field(default_factory=list)
    location: Location | None = None
    # Migrations only: the revision whose create_table (or CREATE TABLE) made
    # it; None for a table the chain only alters (made by `create_all` and
    # `alembic stamp`, or by hand).
    created_by: str | None = None

    @property
    def key(self) -> str:
        return table_key(self.name, self.schema)

    def is_key_column(self, column: str) -> bool:
        """True when the column alone must be unique: it is the whole primary
        key, has ``unique=True``, or is the only column of a unique constraint
        or unique index. Then a constant default collides on the second row."""
        col = self.columns.get(column)
        if col is not None and col.unique:
            return True
        if self.primary_key == (column,):
            return True
        return any(u.columns == (column,) for u in self.uniques)

    def key_reason(self, column: str) -> str | None:
        col = self.columns.get(column)
        if self.primary_key == (column,):
            return "primary key"
        if col is not None and col.unique:
            return "unique"
        for u in self.uniques:
            if u.columns == (column,):
                return f"unique {u.kind}" + (f" {u.name}" if u.name else "")
        return None


def table_key(name: str, schema: str | None) -> str:
    return f"{schema}.{name}" if schema else name


@dataclass(slots=True)
class Schema:
    """Tables as one source states them."""

    tables: dict[str, TableFact] = field(default_factory=dict)

    def get(self, name: str, schema: str | None = None) -> TableFact | None:
        return self.tables.get(table_key(name, schema))


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something a source could not read (an MA0xx finding to be)."""

    code: str
    message: str
    help: str
    location: Location
    object: str | None = None


@dataclass(slots=True)
class Revision:
    """One migration file, read statically."""

    revision: str
    down_revisions: tuple[str, ...]
    path: Path
    location: Location
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    message: str = ""
    ops: list[object] = field(default_factory=list)  # migration_audit.sources.ops.Op
    refs_unknown: bool = False  # branch_labels/depends_on not literals
    created: datetime | None = None  # "Create Date:" in the docstring
    ignore_comments: bool = False  # the text holds "migration-audit:" (a suppression comment, perhaps)


@dataclass(frozen=True, slots=True)
class ServerDefaultSet:
    """A migration operation that gives a column a server default."""

    revision: str
    table: str
    schema: str | None
    column: str
    value: DefaultValue
    is_key: bool  # the column alone is unique when the operation runs
    key_reason: str | None
    location: Location
    # The same revision changes or drops this default again later (the
    # add-with-default, drop-default, backfill pattern): it never outlives
    # the migration.
    temporary: bool = False
    column_type: str = ""  # as the migration spells it, when known

    @property
    def object(self) -> str:
        return f"{table_key(self.table, self.schema)}.{self.column}"


@dataclass(frozen=True, slots=True)
class BackfillSet:
    """A migration writes one literal into every existing row of a column."""

    revision: str
    table: str
    schema: str | None
    column: str
    value: DefaultValue
    is_key: bool
    key_reason: str | None
    location: Location

    @property
    def object(self) -> str:
        return f"{table_key(self.table, self.schema)}.{self.column}"


@dataclass(frozen=True, slots=True)
class NotNullSet:
    """A migration makes a column NOT NULL: ``add`` (a new NOT NULL column on
    an existing table) or ``alter`` (``nullable=False`` on an existing
    column). ``filled_by`` says what gives existing rows a value first (a
    server default, a backfill, a table created empty in the same revision),
    None when nothing does."""

    revision: str
    table: str
    schema: str | None
    column: str
    kind: str  # "add" or "alter"
    location: Location
    filled_by: str | None
    client_default: DefaultValue | None = None  # add: a Python-side default, which fills nothing
    server_default: DefaultValue | None = None  # alter: the default the column has (fills new rows only)

    @property
    def object(self) -> str:
        return f"{table_key(self.table, self.schema)}.{self.column}"


@dataclass(frozen=True, slots=True)
class UnreadCall:
    """A call in a migration to a function defined outside it (a project
    helper that creates tables or adds columns): never imported, so what it
    does is unknown."""

    revision: str
    function: str  # qualified, as imported: ``app.db.helpers.add_audit_columns``
    call: str  # the function as written: ``add_audit_columns``, ``helpers.add``
    location: Location
    tables: tuple[str, ...] = ()  # its string arguments: tables it may change, left out of comparisons
    source: str = ""  # the module (or module object) it comes from: `app.db.helpers`


@dataclass(slots=True)
class MigrationHistory:
    """The migration chain: revisions, their order and the schema at head."""

    script_location: Path
    revisions: dict[str, Revision] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # parents before children
    heads: tuple[str, ...] = ()
    head_schema: Schema = field(default_factory=Schema)
    server_defaults_set: list[ServerDefaultSet] = field(default_factory=list)
    backfills: list[BackfillSet] = field(default_factory=list)
    not_null_set: list[NotNullSet] = field(default_factory=list)
    created_in: set[tuple[str, str]] = field(default_factory=set)  # (revision, table key) of create_table
    # (revision, schema, table, column) → index of its latest ServerDefaultSet
    last_default_set: dict[tuple[str, str | None, str, str], int] = field(default_factory=dict)
    # Tables the chain touches but could not read fully (opaque SQL, helpers).
    opaque_tables: set[str] = field(default_factory=set)
    unread_calls: list[UnreadCall] = field(default_factory=list)
    files: int = 0


@dataclass(frozen=True, slots=True)
class Variance:
    """A model default that differed between two fresh imports of the models."""

    table: str  # table key
    column: ColumnFact
    attribute: str  # "default", "server_default", "onupdate", "server_onupdate"
    first: DefaultValue
    second: DefaultValue | None


@dataclass(slots=True)
class LiveDatabase:
    """What one read-only look at a live database found."""

    shown_url: str  # password hidden
    dialect: str  # "postgresql", "mysql", "mariadb", "sqlite", ...
    schema: Schema = field(default_factory=Schema)
    heads: tuple[str, ...] | None = None  # None: it has no version table


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """One insert of ``migration-audit probe`` that the database refused.

    ``kind`` is ``duplicate-key`` (the second of two rows inserted through
    the model's own client and server defaults collided with the first on
    ``columns``; ``values`` are the colliding values, as repr), ``not-null``
    (an INSERT that leaves out ``columns[0]``, as raw SQL does, was refused)
    or ``failed`` (any other refusal, which proves nothing about defaults).
    ``by_defaults`` is True when every colliding value came from a default,
    not from a value the probe made up.
    """

    kind: str
    table: str
    schema: str | None
    columns: tuple[str, ...]
    values: tuple[str, ...]
    message: str  # the database's own words, one line
    by_defaults: bool = True

    @property
    def table_key(self) -> str:
        return table_key(self.table, self.schema)


@dataclass(frozen=True, slots=True)
class TableFilter:
    """Which tables are compared between models, migrations and databases:
    the `exclude-tables` and `include-schemas` settings, which mirror the
    `include_object`/`include_name` filters people put in env.py."""

    exclude_tables: tuple[str, ...] = ()  # globs on `name` or `schema.name`
    include_schemas: tuple[str, ...] | None = None  # None: every schema

    def compares(self, name: str, schema: str | None) -> bool:
        from fnmatch import fnmatchcase

        if self.include_schemas is not None and schema is not None and schema not in self.include_schemas:
            return False
        qualified = table_key(name, schema)
        return not any(fnmatchcase(name, p) or fnmatchcase(qualified, p) for p in self.exclude_tables)


@dataclass(slots=True)
class Facts:
    """Everything the rules see."""

    root: Path
    dialect: str
    models: Schema | None = None
    migrations: MigrationHistory | None = None
    variances: list[Variance] = field(default_factory=list)
    # Whether the models were imported a second time to find variances; not
    # when every default holding a value is written as a literal.
    imported_twice: bool = False
    database: LiveDatabase | None = None
    # --replay: the migration chain applied to a scratch database, reflected
    replayed: LiveDatabase | None = None
    # migration-audit probe: what the scratch database refused, and which one it was
    probed: list[ProbeOutcome] | None = None
    probed_on: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Sources given on the command line that could not be read at all (a
    # --database-url that does not answer): the rest of the audit runs, its
    # findings are reported, and the command then fails with these (exit 2).
    unreadable: list[str] = field(default_factory=list)
    files: int = 0
    table_filter: TableFilter = field(default_factory=TableFilter)
