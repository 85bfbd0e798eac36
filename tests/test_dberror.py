"""The error-text reader on wordings the captured texts do not cover."""

from __future__ import annotations

import pytest

from migration_audit import dberror


@pytest.mark.parametrize(("text", "expected"), [
    # SQLite, a composite unique key
    ("(sqlite3.IntegrityError) UNIQUE constraint failed: memberships.org_id, memberships.user_id",
     ("unique", "sqlite", "memberships", ("org_id", "user_id"), None, ())),
    # SQLite, a unique index on an expression
    ("(sqlite3.IntegrityError) UNIQUE constraint failed: index 'ix_lower_email'",
     ("unique", "sqlite", None, (), "ix_lower_email", ())),
    # SQLite before 3.8.2
    ("(sqlite3.IntegrityError) users.status may not be NULL",
     ("not-null", "sqlite", "users", ("status",), None, ())),
    # PostgreSQL, a composite key, a schema-qualified NOT NULL
    ('(psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint "uq_org_user"\n'
     "DETAIL:  Key (org_id, user_id)=(7, 9) already exists.",
     ("unique", "postgresql", None, ("org_id", "user_id"), "uq_org_user", ("7", "9"))),
    ('(asyncpg.exceptions.NotNullViolationError) null value in column "status" violates not-null constraint',
     ("not-null", "postgresql", None, ("status",), None, ())),
    # MySQL 8.0.19+: the key names its table
    ("(MySQLdb.IntegrityError) (1062, \"Duplicate entry 'a@b.c' for key 'users.uq_email'\")",
     ("unique", "mysql", "users", (), "uq_email", ("a@b.c",))),
    ("(pymysql.err.IntegrityError) (1048, \"Column 'status' cannot be null\")",
     ("not-null", "mysql", None, ("status",), None, ())),
])
def test_wordings(text: str, expected: tuple[object, ...]) -> None:
    e = dberror.parse(text)
    assert e is not None
    assert (e.kind, e.dialect, e.table, e.columns, e.constraint, e.values) == expected


@pytest.mark.parametrize("text", [
    "(psycopg.errors.CheckViolation) new row for relation \"t\" violates check constraint \"positive\"",
    "(sqlite3.OperationalError) database is locked",
    "(pymysql.err.OperationalError) (2003, \"Can't connect to MySQL server on '127.0.0.1'\")",
    "",
])
def test_other_errors_are_none(text: str) -> None:
    assert dberror.parse(text) is None


def test_positional_parameters_of_a_multi_row_insert() -> None:
    e = dberror.parse("(sqlite3.IntegrityError) UNIQUE constraint failed: t.id\n"
                      "[SQL: INSERT INTO t (id, name) VALUES (?, ?), (?, ?)]\n"
                      "[parameters: ('k', 'a, b', 'k', 'c')]")
    assert e is not None
    assert e.rows == [{"id": "k", "name": "a, b"}, {"id": "k", "name": "c"}]


def test_executemany_parameters() -> None:
    e = dberror.parse("(psycopg.errors.UniqueViolation) duplicate key value violates unique constraint \"t_pkey\"\n"
                      "[SQL: INSERT INTO t (id) VALUES (%(id)s)]\n"
                      "[parameters: [{'id': UUID('0b5f4a3e-1111-4222-8333-944455556666')}, {'id': 2}]]")
    assert e is not None
    assert (e.table, e.statement_columns, e.rows) == (
        "t", ("id",), [{"id": "0b5f4a3e-1111-4222-8333-944455556666"}, {"id": 2}])
