from __future__ import annotations

import pytest

from migration_audit.defaults import normalize_server_default, same_server_default, string_literal_content, uuid_literal

CANONICAL = "3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f"


@pytest.mark.parametrize(
    "text",
    [
        CANONICAL,
        CANONICAL.upper(),
        "{" + CANONICAL + "}",
        "urn:uuid:" + CANONICAL,
        CANONICAL.replace("-", ""),
        "  " + CANONICAL + " ",
    ],
)
def test_uuid_literal_spellings(text: str) -> None:
    assert uuid_literal(text) == CANONICAL


@pytest.mark.parametrize(
    "text",
    [
        "",
        "gen_random_uuid()",
        CANONICAL[:-1],  # 35 characters
        CANONICAL + "0",
        "3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3g",  # not hex
        "id-" + CANONICAL,  # embedded, not the whole value
        "{" + CANONICAL,  # unbalanced brace
        "3f2a9c1b7d4e-4c2a-9b1f-0e8d6c5a4b3f",  # wrong grouping
    ],
)
def test_uuid_literal_near_misses(text: str) -> None:
    assert uuid_literal(text) is None


@pytest.mark.parametrize(
    ("sql", "content"),
    [
        ("'abc'", "abc"),
        ("('abc')", "abc"),
        ("'it''s'", "it's"),
        ("'x'::character varying", "x"),
        ("E'x'", "x"),
        ("abc", None),
        ("'a' || 'b'", None),
        ("now()", None),
    ],
)
def test_string_literal_content(sql: str, content: str | None) -> None:
    assert string_literal_content(sql) == content


@pytest.mark.parametrize(
    ("a", "b", "boolean"),
    [
        ("'0'", "0", False),  # server_default="0" vs sa.text("0")
        ("(CURRENT_TIMESTAMP)", "now()", False),
        ("CURRENT_TIMESTAMP", "current_timestamp()", False),
        ("((1))", "1", False),
        ("'active'", "('active')", False),
        ("'''active'''", "'active'", False),  # server_default="'active'" is Alembic's same value
        ("1.50", "1.5", False),
        ("'1.50'", "1.5", False),
        ("true", "1", True),
        ("false", "'f'", True),
        ("LOWER( 'X' )", "lower('X')", False),
        ("'x'::character varying", "'x'", False),
    ],
)
def test_spelling_only_differences_are_equal(a: str, b: str, boolean: bool) -> None:
    assert same_server_default(a, b, boolean=boolean)


@pytest.mark.parametrize(
    ("a", "b", "boolean"),
    [
        ("'active'", "'pending'", False),
        ("'Active'", "'active'", False),  # string content is case-sensitive
        ("'0'", "'00'", False),
        ("true", "1", False),  # only equal for boolean columns
        ("'CURRENT_TIMESTAMP'", "CURRENT_TIMESTAMP", False),  # a string is not the function
        ("now()", "'now()'", False),
        ("'abc'", "abc", False),
        ("1", None, False),
    ],
)
def test_real_differences_are_not_equal(a: str, b: str | None, boolean: bool) -> None:
    assert not same_server_default(a, b, boolean=boolean)


def test_normalize_none() -> None:
    assert normalize_server_default(None) is None


# (dialect, how the model renders it, how the database reports it, boolean column)
SAME_ON_DIALECT = [
    ("postgresql", "'x'", "'x'::character varying", False),
    ("postgresql", "'{}'", "'{}'::jsonb", False),
    ("postgresql", "'{}'", "'{}'::text[]", False),
    ("postgresql", "-1", "'-1'::integer", False),
    ("postgresql", "'a'", "'a'::\"MyEnum\"", False),
    ("postgresql", "'2020-01-01'", "'2020-01-01'::date", False),
    ("postgresql", "now()", "CURRENT_TIMESTAMP", False),
    ("postgresql", "transaction_timestamp()", "now()", False),
    ("postgresql", "timezone('utc', now())", "timezone('utc'::text, now())", False),
    ("postgresql", "true", "'t'", True),
    ("postgresql", "'0'", "false", True),
    ("postgresql", "1.50", "1.5", False),
    ("postgresql", "random()", "(random())", False),
    ("postgresql", "NULL", None, False),
    ("postgresql", "NULL::character varying", None, False),
    ("postgresql", "'it''s'", "'it''s'::character varying", False),
    ("mysql", "'abc'", "abc", False),
    ("mariadb", "'abc'", "'abc'", False),
    ("mariadb", "CURRENT_TIMESTAMP", "current_timestamp()", False),
    ("mariadb", "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP", "current_timestamp() ON UPDATE current_timestamp()", False),
    ("mysql", "(uuid())", "uuid()", False),
    ("mariadb", "CURRENT_DATE", "curdate()", False),
    ("mysql", "CURRENT_TIME", "curtime()", False),
    ("sqlite", "DATETIME(CURRENT_TIMESTAMP, 'localtime')", "LOCALTIMESTAMP", False),
    ("mysql", "true", "1", True),
    ("mysql", "'1.50'", "1.50", False),
    ("mysql", "NULL", "NULL", False),
    ("sqlite", "(lower(hex(randomblob(16))))", "lower(hex(randomblob(16)))", False),
    ("sqlite", "'0'", "0", False),
    ("sqlite", "CURRENT_TIMESTAMP", "(CURRENT_TIMESTAMP)", False),
    ("mssql", "0", "((0))", False),
    ("mssql", "CURRENT_TIMESTAMP", "(getdate())", False),
    ("mssql", "newid()", "(newid())", False),
    ("mssql", "'abc'", "(N'abc')", False),
]


@pytest.mark.parametrize(("dialect", "model", "database", "boolean"), SAME_ON_DIALECT)
def test_dialect_spellings_are_equal(dialect: str, model: str, database: str | None, boolean: bool) -> None:
    assert same_server_default(model, database, boolean=boolean, dialect=dialect)


DIFFERENT_ON_DIALECT = [
    ("postgresql", "now()", "clock_timestamp()", False),
    ("postgresql", "gen_random_uuid()", "'6f1c1f0e-6a43-4c3b-9a57-2f0f3a3e2b1c'::uuid", False),
    ("postgresql", "'0'", "'1'", False),
    ("postgresql", "'0'", "true", True),
    ("postgresql", "'x'", "'y'::character varying", False),
    ("postgresql", "'NULL'", None, False),
    ("mysql", "'abc'", "abd", False),
    ("mysql", "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP", False),
    ("sqlite", "1.5", "1.25", False),
    ("mariadb", "CURRENT_DATE", "curtime()", False),
    ("postgresql", "CURRENT_DATE", "curdate()", False),
    ("sqlite", "DATETIME(CURRENT_TIMESTAMP, 'utc')", "LOCALTIMESTAMP", False),
    ("mssql", "getdate()", "sysdatetime()", False),
    ("postgresql", "getdate()", "now()", False),
]


@pytest.mark.parametrize(("dialect", "model", "database", "boolean"), DIFFERENT_ON_DIALECT)
def test_dialect_real_differences(dialect: str, model: str, database: str | None, boolean: bool) -> None:
    assert not same_server_default(model, database, boolean=boolean, dialect=dialect)
