"""MA206: a server default calls a function the target database does not
have; each message quotes the error the real database gives, proven here on
SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from conftest import Project

from migration_audit.findings import Severity
from migration_audit.rules.ma206_server_default_function_not_on_dialect import missing_functions

HEADER = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
"""
M = "app/models.py"
V = "migrations/versions/a1.py"


def test_ma206_on_sqlite(project: Project) -> None:
    project.models(HEADER + """
class Event(Base):
    __tablename__ = "events"
    id = sa.Column(sa.Integer, primary_key=True)
    made = sa.Column(sa.DateTime, server_default=sa.text("now()"))
    ref = sa.Column(sa.String(32), server_default=sa.text("(gen_random_uuid())"))
    at = sa.Column(sa.String(30), server_default=sa.text("CURRENT_TIMESTAMP()"))
""")
    project.revision("a1", None, """
op.create_table("events", sa.Column("id", sa.Integer, primary_key=True))
op.add_column("events", sa.Column("seen", sa.DateTime(), server_default=sa.text('(now())')))
""")
    result = project.audit(select=["MA206"], dialect="sqlite")
    got = [(f.code, f.object, f.location.path.name, f.location.line, f.severity) for f in result.findings]
    assert got == [
        ("MA206", "events.made", "models.py", project.line_of(M, "made ="), Severity.ERROR),
        ("MA206", "events.ref", "models.py", project.line_of(M, "ref ="), Severity.ERROR),
        ("MA206", "events.at", "models.py", project.line_of(M, "at ="), Severity.ERROR),
        ("MA206", "events.seen", "a1.py", project.line_of(V, "seen"), Severity.ERROR),
    ]
    made, ref, at, seen = result.findings
    assert made.message == ("events.made: the model's server default `now()` calls now(), which SQLite does not have: "
                            "every insert that leaves the column out fails (`unknown function: now()`)")
    assert made.help == "write `server_default=sa.func.now()`"
    made_line = (project.root / M).read_text().splitlines()[made.location.line - 1]
    assert made.location.column == made_line.index("sa.text(") + 1
    assert ref.help == 'write `server_default=sa.text("(lower(hex(randomblob(16))))")`'
    assert at.message.endswith('creating the table fails (`near "(": syntax error`)')
    assert seen.message == ("events.seen: migration a1 sets the server default `(now())`, which calls now(), and "
                            "SQLite does not have it: every insert that leaves the column out fails "
                            "(`unknown function: now()`)")


def test_ma206_sqlalchemy_functions_it_does_not_translate_fire_in_migrations(project: Project) -> None:
    project.models(HEADER + """
class Event(Base):
    __tablename__ = "events"
    id = sa.Column(sa.Integer, primary_key=True)
""")
    project.revision("a1", None, """
op.create_table("events", sa.Column("id", sa.Integer, primary_key=True))
op.add_column("events", sa.Column("ref", sa.String(36), server_default=sa.func.gen_random_uuid()))
op.add_column("events", sa.Column("at", sa.DateTime(), server_default=sa.func.now()))
""")
    found = project.audit(select=["MA206"], dialect="sqlite").findings
    assert [(f.object, f.location.line, f.message) for f in found] == [
        ("events.ref", project.line_of(V, "gen_random_uuid"),
         "events.ref: migration a1 sets the server default `gen_random_uuid()`, which calls gen_random_uuid(), and "
         "SQLite does not have it: every insert that leaves the column out fails (`unknown function: "
         "gen_random_uuid()`)"),
    ]
    assert found[0].help == ('write `server_default=sa.text("(lower(hex(randomblob(16))))")` in the migration (and '
                             "in the model)")


def test_ma206_near_misses_stay_silent(project: Project) -> None:
    project.models(HEADER + """
class Event(Base):
    __tablename__ = "events"
    id = sa.Column(sa.Integer, primary_key=True)
    a = sa.Column(sa.DateTime, server_default=sa.func.now())  # SQLAlchemy renders CURRENT_TIMESTAMP on SQLite
    b = sa.Column(sa.DateTime, server_default=sa.text("(CURRENT_TIMESTAMP)"))
    c = sa.Column(sa.String(30), server_default=sa.text("(datetime('now'))"))
    d = sa.Column(sa.String(30), server_default="now()")  # the string itself, not a call
    e = sa.Column(sa.String(30), server_default=sa.text("'uuid()'"))
    f = sa.Column(sa.String(32), server_default=sa.text("(lower(hex(randomblob(16))))"))
    g = sa.Column(sa.String(30), server_default=sa.text("(my_now())"))  # the project's own function
    h = sa.Column(sa.String(30), server_default=sa.text("(\\"now\\"())"))
""")
    project.revision("a1", None, """
op.create_table("events", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("made", sa.DateTime(), server_default=sa.func.now()))
op.add_column("events", sa.Column("seen", sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)')))
op.add_column("events", sa.Column("at", sa.DateTime(), server_default=sa.func.current_timestamp()))
op.add_column("events", sa.Column("lt", sa.DateTime(), server_default=sa.func.localtimestamp()))
op.add_column("events", sa.Column("n", sa.Integer(), server_default=sa.text("1 /* now() */")))
op.add_column("events", sa.Column("m", sa.Integer(), server_default=sa.text("1 -- now()\\n")))
""")
    assert project.audit(select=["MA206"], dialect="sqlite").findings == []
    # what SQLite lacks, PostgreSQL has
    project.models(HEADER + """
class Event(Base):
    __tablename__ = "events"
    id = sa.Column(sa.Integer, primary_key=True)
    a = sa.Column(sa.DateTime, server_default=sa.text("now()"))
    b = sa.Column(sa.Uuid, server_default=sa.text("gen_random_uuid()"))
    c = sa.Column(sa.DateTime, server_default=sa.text("pg_catalog.now()"))
    d = sa.Column(sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP(0)"))
    e = sa.Column(sa.Uuid, server_default=sa.text("uuid('3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f')"))
""")
    assert project.audit(select=["MA206"], dialect="postgresql").findings == []
    # a type with a length is no call; MariaDB has SYS_GUID()
    project.models(HEADER + """
class Event(Base):
    __tablename__ = "events"
    id = sa.Column(sa.Integer, primary_key=True)
    a = sa.Column(sa.DateTime, server_default=sa.text("(CAST(NOW() AS DATETIME(6)))"))
    b = sa.Column(sa.String(40), server_default=sa.text("(sys_guid())"))
""")
    assert project.audit(select=["MA206"], dialect="mariadb").findings == []


@pytest.mark.parametrize(
    ("dialect", "sql", "expected"),
    [
        ("sqlite", "now()", ["now"]),
        ("sqlite", "(NOW ( ))", ["now"]),
        ("sqlite", "coalesce(now(), getdate(), now())", ["now", "getdate"]),
        ("sqlite", "'now()' || x", []),
        ("sqlite", "1 /* now() */ + 2 -- getdate()\n", []),
        ("postgresql", "uuid('3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f')", []),
        ("mysql", "CAST(NOW() AS DATETIME(6))", []),
        ("sqlite", "CURRENT_TIMESTAMP", []),
        ("postgresql", "uuid()", ["uuid"]),
        ("postgresql", "CAST(uuid() AS uuid)", ["uuid"]),
        ("postgresql", "uuid_generate_v4()", []),  # an extension may give it
        ("postgresql", "public.uuid()", []),  # schema-qualified: the project's own
        ("mysql", "(gen_random_uuid())", ["gen_random_uuid"]),
        ("mariadb", "(uuid())", []),
        ("mssql", "now()", []),  # not judged
        ("default", "now()", []),
    ],
)
def test_missing_functions(dialect: str, sql: str, expected: list[str]) -> None:
    assert missing_functions(sql, dialect) == expected


def test_ma206_on_postgresql_and_mariadb(project: Project) -> None:
    project.models(HEADER + """
class Event(Base):
    __tablename__ = "events"
    id = sa.Column(sa.Integer, primary_key=True)
    ref = sa.Column(sa.Uuid, server_default=sa.text("uuid()"))
    token = sa.Column(sa.String(36), server_default=sa.text("(gen_random_uuid())"))
""")
    project.revision("a1", None, 'op.create_table("events", sa.Column("id", sa.Integer, primary_key=True))\n')
    pg = project.audit(select=["MA206"], dialect="postgresql").findings
    assert [(f.code, f.object, f.location.path.name, f.location.line) for f in pg] == [
        ("MA206", "events.ref", "models.py", project.line_of(M, "ref ="))]
    assert [(f.object, f.message) for f in pg] == [
        ("events.ref", "events.ref: the model's server default `uuid()` calls uuid(), which PostgreSQL does not have: "
                       "creating or altering the table fails (`function uuid() does not exist`)"),
    ]
    assert pg[0].help == 'write `server_default=sa.text("gen_random_uuid()")` (PostgreSQL 13 or newer; pgcrypto before)'
    maria = project.audit(select=["MA206"], dialect="mariadb").findings
    assert [(f.code, f.object, f.location.path.name, f.location.line) for f in maria] == [
        ("MA206", "events.token", "models.py", project.line_of(M, "token ="))]
    assert [(f.object, f.message) for f in maria] == [
        ("events.token", "events.token: the model's server default `(gen_random_uuid())` calls gen_random_uuid(), "
                         "which MariaDB does not have: creating or altering the table fails (\"Function or "
                         "expression '`gen_random_uuid`()' cannot be used in the DEFAULT clause\")"),
    ]


def _error_of(engine: sa.Engine, ddl: str, insert: str) -> str:
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(ddl)
            conn.exec_driver_sql(insert)
    except sa.exc.DBAPIError as exc:
        return str(exc.orig)
    return ""


def test_the_databases_say_what_ma206_quotes(tmp_path: object, pg_url: str, mysql_url: str) -> None:
    """The quoted errors are the databases' own (SQLite 3, PostgreSQL 15,
    MariaDB 10.11)."""
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (id INTEGER, d TEXT DEFAULT (now()))")
    with pytest.raises(sqlite3.OperationalError, match=r"^unknown function: now\(\)$"):
        con.execute("INSERT INTO t (id) VALUES (1)")
    with pytest.raises(sqlite3.OperationalError, match=r'^near "\(": syntax error$'):
        con.execute("CREATE TABLE t2 (id INTEGER, d TEXT DEFAULT (CURRENT_TIMESTAMP()))")
    pg = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    assert "function uuid() does not exist" in _error_of(pg, "CREATE TABLE ma206 (id uuid DEFAULT uuid())",
                                                         "SELECT 1")
    maria = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    error = _error_of(maria, "CREATE TABLE ma206 (id VARCHAR(36) DEFAULT (gen_random_uuid()))", "SELECT 1")
    assert "Function or expression '`gen_random_uuid`()' cannot be used in the DEFAULT clause" in error
    pg.dispose()
    maria.dispose()
