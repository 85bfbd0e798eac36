"""Implementation of rule MA206."""

from __future__ import annotations

import re
from collections.abc import Iterator

from migration_audit.facts import DefaultKind, DefaultValue, Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import DIALECT_NAMES, Rule

_SQLITE_UUID = 'sa.text("(lower(hex(randomblob(16))))")'
_NOW = "sa.func.now()"  # SQLAlchemy spells it for each database

# Well-known functions of one database that another does not have, with
# what to write there instead. Only these are judged: a project may define
# functions of its own.
_MISSING: dict[str, dict[str, str]] = {
    "sqlite": {
        "now": _NOW, "getdate": _NOW, "getutcdate": _NOW, "sysdate": _NOW, "localtimestamp": _NOW,
        "utc_timestamp": _NOW, "statement_timestamp": _NOW, "clock_timestamp": _NOW, "transaction_timestamp": _NOW,
        "current_timestamp": 'sa.text("(CURRENT_TIMESTAMP)")',
        "current_date": 'sa.text("(CURRENT_DATE)")',
        "current_time": 'sa.text("(CURRENT_TIME)")',
        "unix_timestamp": 'sa.text("(unixepoch())")',
        "gen_random_uuid": _SQLITE_UUID, "uuid_generate_v4": _SQLITE_UUID, "uuid": _SQLITE_UUID,
        "newid": _SQLITE_UUID, "sys_guid": _SQLITE_UUID,
    },
    "postgresql": {
        "uuid": 'sa.text("gen_random_uuid()")',
        "newid": 'sa.text("gen_random_uuid()")',
        "sys_guid": 'sa.text("gen_random_uuid()")',
        "getdate": _NOW, "getutcdate": "sa.text(\"(now() at time zone 'utc')\")", "sysdate": _NOW,
        "utc_timestamp": "sa.text(\"(now() at time zone 'utc')\")", "curdate": 'sa.text("CURRENT_DATE")',
        "curtime": 'sa.text("CURRENT_TIME")', "julianday": _NOW, "strftime": _NOW,
        "unixepoch": 'sa.text("extract(epoch from now())")', "unix_timestamp": 'sa.text("extract(epoch from now())")',
        "randomblob": 'sa.text("gen_random_bytes(16)")',
    },
}
for _mysql in ("mysql", "mariadb"):
    _MISSING[_mysql] = {
        "gen_random_uuid": 'sa.text("(UUID())")', "uuid_generate_v4": 'sa.text("(UUID())")',
        "newid": 'sa.text("(UUID())")',
        "getdate": _NOW, "getutcdate": 'sa.text("(UTC_TIMESTAMP())")', "julianday": _NOW,
        "strftime": _NOW, "clock_timestamp": _NOW, "statement_timestamp": _NOW, "transaction_timestamp": _NOW,
        "randomblob": 'sa.text("(RANDOM_BYTES(16))")',
    }

# What the replacement needs, said after it.
_NOTES = {("postgresql", 'sa.text("gen_random_uuid()")'): " (PostgreSQL 13 or newer; pgcrypto before)",
          ("postgresql", 'sa.text("gen_random_bytes(16)")'): " (pgcrypto)",
          ("sqlite", 'sa.text("(unixepoch())")'): " (SQLite 3.38 or newer)"}
# `func.now()` and the ANSI date/time functions: SQLAlchemy spells them for
# the database it runs on (CURRENT_TIMESTAMP on SQLite); a migration's
# `sa.func.<name>()` of one of these is not the SQL the reader records.
_SPELLED_BY_SQLALCHEMY = {"now", "current_timestamp", "current_date", "current_time", "localtimestamp",
                          "localtime", "sysdate"}
# Names that are also types, judged only as a call with no argument
# (PostgreSQL's `uuid('…')` is a cast).
_CALL_WITHOUT_ARGUMENTS = {"uuid"}

_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.DOTALL)
_CALL = re.compile(r"(?<![\w.$])([A-Za-z_]\w*)\s*\((\s*\))?")
_SA_FUNC = re.compile(r"^\s*(?:sa\.|sqlalchemy\.)?(?:sql\.)?func\.(\w+)\s*\(")


def missing_functions(sql: str, dialect: str) -> list[str]:
    """The functions ``sql`` calls that ``dialect`` does not have (of the
    well-known ones), lower-case, in order of appearance."""
    missing = _MISSING.get(dialect)
    if not missing or "(" not in sql:
        return []  # most defaults call nothing: no regex work (the revision hook reads thousands)
    found: list[str] = []
    for match in _CALL.finditer(_COMMENT.sub(" ", _QUOTED.sub("''", sql))):
        name = match.group(1).lower()
        if name in _CALL_WITHOUT_ARGUMENTS and not match.group(2):
            continue
        if name in missing and name not in found:
            found.append(name)
    return found


def _judged(value: DefaultValue | None, dialect: str) -> tuple[str, list[str]] | None:
    """(the SQL as shown, the missing functions it calls), for a SQL server
    default; what SQLAlchemy spells per database is left out."""
    sql = _sql(value)
    if sql is None:
        return None
    names = missing_functions(sql, dialect)
    spelled = _SA_FUNC.match(value.source or "") if value is not None else None
    if spelled and spelled.group(1).lower() in _SPELLED_BY_SQLALCHEMY:
        names = [n for n in names if n != spelled.group(1).lower()]
    return (" ".join(sql.split()), names) if names else None


def _help(name: str, dialect: str, where: str = "") -> str:
    code = _MISSING[dialect][name]
    return f"write `server_default={code}`{where}{_NOTES.get((dialect, code), '')}"


def _sql(value: DefaultValue | None) -> str | None:
    return value.sql if value is not None and value.kind is DefaultKind.SQL else None


class ServerDefaultFunctionNotOnDialect(Rule):
    """A server default calls a function the target database does not have.

    ## What it does
    Looks for calls, in each SQL server default of the models and of every
    migration, to well-known functions of one database that the project's
    database (from its URL) does not have: `now()` or `gen_random_uuid()` on
    SQLite, MySQL's `uuid()` or SQL Server's `getdate()` on PostgreSQL,
    `gen_random_uuid()` on MySQL and MariaDB. Functions a project may define
    itself are not judged, nor `sa.func.now()` and the other date/time
    functions SQLAlchemy spells for each database, nor the expressions of
    computed columns (they are no defaults).

    ## Why is this bad?
    PostgreSQL and MySQL refuse the migration (`function uuid() does not
    exist`). SQLite creates the table and then fails every insert that relies
    on the default (`unknown function: now()`), so the schema looks fine
    until the application writes. `sa.text()` is passed through as written:
    SQLAlchemy does not translate it for the database, as it does
    `sa.func.now()`.

    ## Example
    ```python model
    public_id = mapped_column(Uuid, server_default=text("uuid()"))
    ```

    ## Use instead
    ```python model
    public_id = mapped_column(Uuid, server_default=text("gen_random_uuid()"))
    ```
    """

    code = "MA206"
    name = "server-default-function-not-on-dialect"
    severity = Severity.ERROR

    def check(self, facts: Facts) -> Iterator[Finding]:
        dialect = facts.dialect
        if dialect not in _MISSING:
            return
        shown = DIALECT_NAMES[dialect]
        if facts.models is not None:
            for table in facts.models.tables.values():
                for col in table.columns.values():
                    judged = _judged(col.server_default, dialect)
                    sql, names = judged if judged else ("", [])
                    for name in names:
                        obj = f"{table.key}.{col.name}"
                        yield self.finding(
                            f"{obj}: the model's server default `{sql}` calls {name}(), which {shown} does not "
                            f"have: {_effect(name, dialect)}",
                            _help(name, dialect),
                            col.server_default.location or col.location or table.location,  # type: ignore[union-attr,arg-type]
                            obj,
                        )
        if facts.migrations is not None:
            for event in facts.migrations.server_defaults_set:
                judged = _judged(event.value, dialect)
                sql, names = judged if judged else ("", [])
                for name in names:
                    yield self.finding(
                        f"{event.object}: migration {event.revision} sets the server default `{sql}`, which calls "
                        f"{name}(), and {shown} does not have it: {_effect(name, dialect)}",
                        _help(name, dialect, " in the migration (and in the model)"),
                        event.location,
                        event.object,
                    )


def _effect(name: str, dialect: str) -> str:
    """What happens, in the database's own words (as PostgreSQL 15, MariaDB
    10.11 and SQLite 3 say it)."""
    if dialect == "sqlite" and name.startswith("current_"):
        return 'creating the table fails (`near "(": syntax error`)'
    if dialect == "sqlite":
        return f"every insert that leaves the column out fails (`unknown function: {name}()`)"
    if dialect == "postgresql":
        return f"creating or altering the table fails (`function {name}() does not exist`)"
    if dialect == "mariadb":
        return (f"creating or altering the table fails (\"Function or expression '`{name}`()' cannot be used in "
                "the DEFAULT clause\")")
    return "creating or altering the table fails: MySQL refuses a DEFAULT that calls a function it does not have"
