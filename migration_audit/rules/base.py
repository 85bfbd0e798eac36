"""The rule interface. Rules are pure: facts in, findings out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar

from migration_audit.defaults import is_sequence_default, normalize_server_default
from migration_audit.facts import ColumnFact, DefaultKind, DefaultValue, Facts, Location, Schema, TableFact
from migration_audit.findings import Finding, Fix, Severity


class Rule:
    """Subclasses set ``code``, ``name`` (kebab-case, names the problem) and
    ``severity``, and document themselves in the docstring: a one-line
    summary, then ``## What it does``, ``## Why is this bad?``, ``## Example``
    and ``## Use instead``."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    enabled_by_default: ClassVar[bool] = True

    def check(self, facts: Facts) -> Iterator[Finding]:
        raise NotImplementedError

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    @classmethod
    def finding(
        cls,
        message: str,
        help: str,
        location: Location,
        object: str | None = None,
        severity: Severity | None = None,
        fix: Fix | None = None,
    ) -> Finding:
        return Finding(cls.code, cls.name, severity or cls.severity, message, help, location, object, fix)


def is_boolean(col: ColumnFact) -> bool:
    """A boolean column, on any dialect's spelling of the type."""
    return "BOOL" in col.type.upper()


def shown_server_default(value: DefaultValue | None) -> str:
    """A server default as messages show it."""
    if value is None:
        return "no server default"
    if value.kind is DefaultKind.COMPUTED:
        return f"GENERATED ALWAYS AS ({value.sql or value.source})"
    return value.sql if value.sql is not None else (value.source or value.kind.value)


def short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def by_definition(hits: list[tuple[TableFact, ColumnFact, DefaultValue]]) -> list[list[tuple[TableFact, ColumnFact, DefaultValue]]]:
    """Group hits that come from one line of code (a mixin column used by
    several models is one mistake, reported once), in first-seen order."""
    groups: dict[object, list[tuple[TableFact, ColumnFact, DefaultValue]]] = {}
    for hit in hits:
        _, col, value = hit
        # Only a located default expression is one definition; columns whose
        # source was not found each stand alone.
        key = (value.location, value.source) if value.location is not None and value.source else id(hit)
        groups.setdefault(key, []).append(hit)
    return list(groups.values())


def also_on(group: list[tuple[TableFact, ColumnFact, DefaultValue]]) -> str:
    if len(group) == 1:
        return ""
    others = ", ".join(f"{t.key}.{c.name}" for t, c, _ in group[1:])
    return f", and {others} from the same definition"


def one_value_for_all(is_key: bool, reason: str | None) -> tuple[str, str, Severity]:
    """For a value every row gets: the key marker after the object, what
    happens, and the severity (an error when the column must be unique)."""
    if is_key:
        return (f" ({reason})" if reason else "",
                "the second insert without an explicit value fails with a duplicate key", Severity.ERROR)
    return "", "every row inserted without a value gets that one value", Severity.WARNING


_DEFAULT_SCHEMAS = {"public", "dbo", "main"}


def same_table(other: Schema, table: TableFact) -> TableFact | None:
    """``table`` (a model table) in ``other``: by its key, else with the
    default schema written on one side only (``public.users`` is ``users``)."""
    found = other.tables.get(table.key)
    if found is None and table.schema in _DEFAULT_SCHEMAS:
        found = other.tables.get(table.name)
    if found is None and table.schema is None:
        found = next((other.tables[f"{s}.{table.name}"] for s in sorted(_DEFAULT_SCHEMAS)
                      if f"{s}.{table.name}" in other.tables), None)
    return found


# Databases as messages name them (facts.dialect → shown).
DIALECT_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "sqlite": "SQLite",
                 "mssql": "SQL Server"}


# Identity, computed and fetched values render no DEFAULT to compare.
_COMPARABLE = {DefaultKind.CONSTANT, DefaultKind.SQL}


def differing_server_defaults(
    models: Schema, other: Schema, dialect: str, skip: Callable[[TableFact], bool]
) -> Iterator[tuple[TableFact, ColumnFact, DefaultValue | None, ColumnFact, DefaultValue | None]]:
    """Columns that the models and ``other`` (the chain at head, a database)
    both have, whose server defaults differ as SQL on ``dialect``, not only
    in spelling: (model table, model column, its default, other column, its
    default). A serial column's sequence is no difference."""
    for table in models.tables.values():
        other_table = same_table(other, table)
        if other_table is None or skip(table):
            continue
        for col in table.columns.values():
            other_col = other_table.columns.get(col.name)
            if other_col is None:
                continue
            mine, theirs = col.server_default, other_col.server_default
            if mine is None and theirs is None:
                continue  # most columns: nothing to normalise
            if (mine is not None and theirs is not None and mine.sql is not None and mine.sql == theirs.sql
                    and mine.kind is theirs.kind):
                continue  # spelled alike: alike after normalising too
            computed = [v for v in (mine, theirs) if v is not None and v.kind is DefaultKind.COMPUTED]
            if computed:
                # a generated column: compare its expression; a plain column against it is a difference
                if len(computed) == 2 and (mine.sql is None or theirs.sql is None  # type: ignore[union-attr]
                                           or normalize_server_default(mine.sql, dialect=dialect)  # type: ignore[union-attr]
                                           == normalize_server_default(theirs.sql, dialect=dialect)):  # type: ignore[union-attr]
                    continue
                if len(computed) == 1 and (mine is not None and theirs is not None):
                    continue  # computed against identity/fetched: not comparable
                yield table, col, mine, other_col, theirs
                continue
            if any(v is not None and v.kind not in _COMPARABLE for v in (mine, theirs)):
                continue
            if mine is None and theirs is not None and theirs.sql and is_sequence_default(theirs.sql):
                continue
            boolean = is_boolean(col)
            if normalize_server_default(mine.sql if mine else None, boolean=boolean, dialect=dialect) == \
                    normalize_server_default(theirs.sql if theirs else None, boolean=boolean, dialect=dialect):
                continue
            yield table, col, mine, other_col, theirs
