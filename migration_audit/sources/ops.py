"""Schema operations read from a migration, independent of how they were
spelled (``op.add_column``, ``batch_op.add_column`` or ``ALTER TABLE … ADD``
inside ``op.execute``). The replay applies them in order."""

from __future__ import annotations

from dataclasses import dataclass, field

from migration_audit.facts import ColumnFact, DefaultValue, Location, UniqueFact

# ``AlterColumn`` fields use UNCHANGED for "not given"; None for a server
# default means "drop it".
class Unchanged:
    """The type of UNCHANGED: one instance, which stays the same object
    when a cached revision is unpickled."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNCHANGED"

    def __reduce__(self) -> str:
        return "UNCHANGED"  # pickled as a reference to the module's one instance


UNCHANGED: object = Unchanged()


@dataclass(slots=True)
class CreateTable:
    table: str
    schema: str | None
    columns: list[ColumnFact]
    primary_key: tuple[str, ...]
    uniques: list[UniqueFact]
    location: Location


@dataclass(slots=True)
class DropTable:
    table: str
    schema: str | None
    location: Location


@dataclass(slots=True)
class RenameTable:
    table: str
    new_name: str
    schema: str | None
    location: Location


@dataclass(slots=True)
class AddColumn:
    table: str
    schema: str | None
    column: ColumnFact
    location: Location


@dataclass(slots=True)
class DropColumn:
    table: str
    schema: str | None
    column: str
    location: Location


@dataclass(slots=True)
class AlterColumn:
    table: str
    schema: str | None
    column: str
    location: Location
    server_default: DefaultValue | None | object = UNCHANGED
    nullable: bool | object = UNCHANGED
    type: str | object = UNCHANGED
    new_name: str | object = UNCHANGED


@dataclass(slots=True)
class CreateUnique:
    """A unique constraint or a unique index."""

    table: str
    schema: str | None
    unique: UniqueFact
    location: Location


@dataclass(slots=True)
class DropConstraint:
    """Drops a constraint or index by name (unique, primary key, index)."""

    table: str | None
    schema: str | None
    name: str
    kind: str | None  # "unique", "primary", "index", "foreignkey", "check" or None
    location: Location


@dataclass(slots=True)
class CreatePrimaryKey:
    table: str
    schema: str | None
    columns: tuple[str, ...]
    location: Location


@dataclass(slots=True)
class Backfill:
    """``UPDATE t SET col = <literal>`` over every row (no WHERE, or only
    ``WHERE col IS NULL``): one value written into each existing row."""

    table: str
    schema: str | None
    column: str
    value: DefaultValue
    location: Location


@dataclass(slots=True)
class WriteRows:
    """The migration may write existing rows: any ``UPDATE`` (literal or
    not), a data statement built with SQLAlchemy, SQL built at run time, a
    session or a project helper. ``table`` None means it could be any table;
    ``columns`` None means any column. A ``NOT NULL`` set after it may rely on
    it (the add-nullable, backfill, set-NOT-NULL pattern)."""

    table: str | None
    schema: str | None
    columns: tuple[str, ...] | None
    what: str
    location: Location


@dataclass(slots=True)
class Opaque:
    """Something the migration does that migration-audit does not model:
    SQL it cannot parse, a call to a project helper, a computed argument.
    ``tables`` names the tables it may touch, when that is known."""

    what: str
    location: Location
    tables: tuple[str, ...] = field(default_factory=tuple)


Op = (
    CreateTable
    | DropTable
    | RenameTable
    | AddColumn
    | DropColumn
    | AlterColumn
    | CreateUnique
    | DropConstraint
    | CreatePrimaryKey
    | Backfill
    | WriteRows
    | Opaque
)
