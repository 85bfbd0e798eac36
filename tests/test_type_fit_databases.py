"""MA205 against the real databases: each literal server default it reports
is one PostgreSQL 15 or MariaDB 10.11 refuses (when the table is created, or
when a row takes the default), and each near miss is one they store."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migration_audit.defaults import misfit
from migration_audit.sources.models import compile_type, enum_choices

# (type, server default as SQLAlchemy is given it, MA205 reports it)
POSTGRESQL = [
    (sa.Integer(), "three", True),
    (sa.Integer(), "3", False),
    (sa.Numeric(4, 2), "123.45", True),
    (sa.Numeric(4, 2), "12.345", False),
    (sa.Numeric(4, 2), "99.995", True),  # rounded to 100.00
    (sa.Numeric(4, 2), "99.994", False),
    (sa.Numeric(4, 2), "1e2", True),
    (sa.Time(), "25:99", True),
    (sa.Time(), "24:00:00", False),
    (sa.Time(), "23:59:60", False),
    (sa.Time(), "23:59:60.5", True),
    (sa.Time(), "12:00:00+02", False),
    (sa.Time(), "1200", False),
    (sa.Time(), "noon", True),
    (sa.DateTime(), "12:00", True),
    (sa.Enum("a", "b", name="ab"), "c", True),
    (sa.Enum("a", "b", name="ab"), "b", False),
    (postgresql.ARRAY(sa.Integer()), "{}", False),
    (postgresql.ARRAY(sa.Integer()), "{1,2}", False),
    (sa.String(3), "abcd", True),
    (sa.String(3), "abc", False),
    (sa.Boolean(), sa.text("1"), True),
    (sa.Boolean(), sa.true(), False),
    (sa.Uuid(), "not-a-uuid", True),
    (sa.JSON(), "{oops", True),
    (sa.JSON(), "{}", False),
    (sa.Date(), "next week", True),
    (sa.Date(), "2020-01-01", False),
]
MARIADB = [
    (sa.Integer(), "three", True),
    (sa.Numeric(4, 2), "123.45", True),
    (sa.Numeric(4, 2), "12.34", False),
    (sa.Numeric(4, 2), "99.995", True),
    (sa.Time(), "25:00:00", False),  # MySQL's TIME is a duration
    (sa.Time(), "838:59:59", False),
    (sa.Time(), "-01:00:00", False),
    (sa.Time(), "1200", False),
    (sa.Time(), "25:61:00", True),
    (sa.Time(), "23:59:60", True),
    (sa.DateTime(), "12:00", True),
    (sa.Enum("a", "b", name="ab"), "c", True),
    (sa.Enum("a", "b", name="ab"), "a", False),
    (sa.Enum("a", "b", name="ab"), "A", False),  # compared by the collation
    (sa.Enum("a", "b ", name="ab"), "b", False),  # trailing spaces dropped
    (sa.String(3), "abcd", True),
    (sa.Boolean(), "true", True),
    (sa.Boolean(), "1", False),
    (sa.Date(), "next week", True),
]


def _stored(url: object, type_: sa.types.TypeEngine, default: object) -> bool:
    """Whether the database creates the column and stores a row that takes
    the default."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)  # type: ignore[call-overload]
    metadata = sa.MetaData()
    table = sa.Table("fit", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("c", type_, server_default=default))
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            conn.execute(table.insert().values(id=1))
        return True
    except sa.exc.DBAPIError:
        return False
    finally:
        with engine.begin() as conn:
            metadata.drop_all(conn, checkfirst=True)
        engine.dispose()


def _ma205(url: object, type_: sa.types.TypeEngine, default: object, dialect: str) -> bool:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)  # type: ignore[call-overload]
    sql = default if isinstance(default, str) else None
    text = "'" + sql.replace("'", "''") + "'" if sql is not None else str(
        default.compile(dialect=engine.dialect))  # type: ignore[attr-defined]
    engine.dispose()
    return misfit(compile_type(type_, engine.dialect), text, dialect, enum_choices(type_)) is not None


@pytest.mark.parametrize(("type_", "default", "reported"), POSTGRESQL, ids=lambda v: repr(v)[:30])
def test_ma205_on_postgresql(pg_url: object, type_: sa.types.TypeEngine, default: object, reported: bool) -> None:
    assert _ma205(pg_url, type_, default, "postgresql") is reported
    assert _stored(pg_url, type_, default) is not reported


@pytest.mark.parametrize(("type_", "default", "reported"), MARIADB, ids=lambda v: repr(v)[:30])
def test_ma205_on_mariadb(mysql_url: object, type_: sa.types.TypeEngine, default: object, reported: bool) -> None:
    assert _ma205(mysql_url, type_, default, "mariadb") is reported
    assert _stored(mysql_url, type_, default) is not reported
