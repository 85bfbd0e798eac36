"""SQLAlchemy's spelling of its most common column types and server
defaults, without importing SQLAlchemy.

The static reader (:mod:`.model_ast`) builds types and SQL with SQLAlchemy's
own classes so that it spells them as an imported run does. Importing
SQLAlchemy takes about 0.2 s, more than reading a 3,800-line models module,
and the reader is the critical path of ``check --static``. This table spells
what most models are written with (``sa.String(50)``, ``sa.Integer``,
``sa.DateTime(timezone=True)``, ``sa.text("0")``, ``sa.func.now()``, a
string) for the dialects it knows; anything else (``None``) goes through
SQLAlchemy as before. ``tests/test_plain_spelling.py`` checks every entry
against SQLAlchemy's own spelling, on each supported SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass

# Off: SQLAlchemy spells everything (the tests compare both ways).
ENABLED = True
DIALECTS = frozenset({"sqlite", "postgresql", "mysql", "mariadb", "default"})
_MYSQL = frozenset({"mysql", "mariadb"})
# where SQLAlchemy's public names live, as the project may import them
_TYPE_MODULES = ("sqlalchemy.", "sqlalchemy.types.", "sqlalchemy.sql.sqltypes.")
_SQL_MODULES = ("sqlalchemy.", "sqlalchemy.sql.", "sqlalchemy.sql.expression.")
_FUNC_MODULES = ("sqlalchemy.func.", "sqlalchemy.sql.func.", "sqlalchemy.sql.expression.func.",
                 "sqlalchemy.sql.functions.func.")


@dataclass(frozen=True, slots=True)
class PlainType:
    """A type the static reader spelled without SQLAlchemy: stands where a
    ``TypeEngine`` would (``models.compile_type`` returns the spelling)."""

    spelling: str


def library_name(qualified: str | None, modules: tuple[str, ...]) -> str | None:
    """``sqlalchemy.types.String`` → ``String`` when the qualified name is
    one of SQLAlchemy's public spellings of it."""
    if not qualified:
        return None
    for module in modules:
        if qualified.startswith(module) and qualified[len(module):].isidentifier():
            return qualified[len(module):]
    return None


def _length(args: tuple[object, ...], kwargs: dict[str, object], keyword: str) -> tuple[bool, int | None]:
    """(ok, value) of a type's one optional integer argument."""
    if len(args) + len(kwargs) > 1 or (kwargs and keyword not in kwargs):
        return False, None
    value = args[0] if args else kwargs.get(keyword)
    if value is None:
        return True, None
    if type(value) is not int or value <= 0:
        return False, None
    return True, value


def type_spelling(name: str, args: tuple[object, ...], kwargs: dict[str, object], dialect: str) -> str | None:
    """How ``dialect`` spells ``sqlalchemy.<name>(*args, **kwargs)`` in DDL,
    or None when this table does not know (SQLAlchemy spells it then)."""
    if dialect not in DIALECTS:
        return None
    bare = not args and not kwargs
    simple = {"Integer": "INTEGER", "BigInteger": "BIGINT", "SmallInteger": "SMALLINT", "Text": "TEXT",
              "UnicodeText": "TEXT", "Date": "DATE", "Float": "FLOAT", "JSON": "JSON"}
    if name in simple:
        return simple[name] if bare else None
    if name == "Boolean":
        return None if not bare else "BOOL" if dialect in _MYSQL else "BOOLEAN"
    if name == "LargeBinary":
        return None if not bare else "BYTEA" if dialect == "postgresql" else "BLOB"
    if name in ("DateTime", "Time"):
        if len(args) + len(kwargs) > 1 or (kwargs and "timezone" not in kwargs):
            return None
        timezone = args[0] if args else kwargs.get("timezone", False)
        if type(timezone) is not bool:
            return None
        if dialect != "postgresql":
            return "DATETIME" if name == "DateTime" else "TIME"
        return f"{'TIMESTAMP' if name == 'DateTime' else 'TIME'} WITH{'' if timezone else 'OUT'} TIME ZONE"
    if name in ("String", "Unicode"):
        ok, length = _length(args, kwargs, "length")
        if not ok or (length is None and dialect in _MYSQL):  # MySQL needs a length: SQLAlchemy says so
            return None
        return "VARCHAR" if length is None else f"VARCHAR({length})"
    if name == "Numeric":
        if len(args) > 2 or set(kwargs) - {"precision", "scale"}:
            return None
        values = dict(zip(("precision", "scale"), args))
        if set(values) & set(kwargs):
            return None
        values.update(kwargs)
        precision, scale = values.get("precision"), values.get("scale")
        if any(v is not None and (type(v) is not int or v < 0) for v in (precision, scale)):
            return None
        if precision is None:
            return None if scale is not None else "NUMERIC"
        return f"NUMERIC({precision})" if scale is None else f"NUMERIC({precision}, {scale})"
    return None


# Python types in Mapped[...] → the SQLAlchemy type its default type map gives
ANNOTATION_TYPES = {
    "int": "Integer", "bool": "Boolean", "str": "String", "datetime.datetime": "DateTime",
    "datetime.date": "Date", "decimal.Decimal": "Numeric",
}


# SQLAlchemy's ANSI functions (sqlalchemy.sql.compiler.FUNCTIONS): written
# without parentheses when called without arguments, so `func.current_date()`
# is `CURRENT_DATE` (`current_date()` is a syntax error on PostgreSQL).
# SQLAlchemy finds them whatever the case: `func.CURRENT_DATE()` too. A
# dialect may spell one otherwise (LOCALTIMESTAMP on SQLite).
ANSI_FUNCTIONS = {name.lower(): name for name in (
    "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER", "LOCALTIME", "LOCALTIMESTAMP",
    "SESSION_USER", "USER")} | {"sysdate": "sysdate"}


def function_sql(name: str, dialect: str) -> str | None:
    """How ``dialect`` renders ``sqlalchemy.func.<name>()`` (or ``true()``,
    ``false()``) as a server default, or None when this table does not
    know."""
    if dialect not in DIALECTS:
        return None
    if name == "now":
        return "CURRENT_TIMESTAMP" if dialect == "sqlite" else "now()"
    if name in ("current_timestamp", "current_date"):
        return ANSI_FUNCTIONS[name]
    if name in ("true", "false"):
        if dialect in ("sqlite", "default"):  # no boolean literals: 1 and 0
            return "1" if name == "true" else "0"
        return name
    return None


def function_name(qualified: str | None) -> str | None:
    """``sqlalchemy.func.now`` → ``now``; ``sqlalchemy.false`` → ``false``."""
    name = library_name(qualified, _FUNC_MODULES)
    if name is not None:
        return name
    name = library_name(qualified, _SQL_MODULES)
    return name if name in ("true", "false") else None


def text_name(qualified: str | None) -> bool:
    """Whether the name is SQLAlchemy's ``text``."""
    return library_name(qualified, _SQL_MODULES) == "text"


def type_name(qualified: str | None) -> str | None:
    return library_name(qualified, _TYPE_MODULES)
