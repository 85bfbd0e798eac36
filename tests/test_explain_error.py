"""``migration-audit explain-error`` on error texts captured from real
SQLite, PostgreSQL and MariaDB servers (tests/data/db_errors/, written by
its capture.py), mapped through the fixture projects' model metadata."""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pytest

from migration_audit import dberror
from migration_audit.cli import main
from migration_audit.config import Overrides, load_project
from migration_audit.engine import collect_facts
from migration_audit.explain_error import KEY_RULES, NOT_NULL_RULES, Explanation, explain
from migration_audit.rules import RULES

from conftest import FIXTURES

DATA = Path(__file__).resolve().parent / "data" / "db_errors"
DIALECTS = ("sqlite", "postgresql", "mariadb")


@functools.cache
def _facts(project: str):  # type: ignore[no-untyped-def]
    facts = collect_facts(load_project(FIXTURES / project, Overrides()), probe=False)
    assert facts.models is not None
    findings = [f for code in (*KEY_RULES, *NOT_NULL_RULES) for f in RULES[code]().check(facts)]
    return facts, findings


def _explain(project: str, case: str) -> Explanation:
    facts, findings = _facts(project)
    return explain((DATA / f"{case}.txt").read_text(encoding="utf-8"), facts, findings)


def _where(e: Explanation, project: str) -> str | None:
    if e.location is None:
        return None
    return f"{e.location.shown_path(FIXTURES / project)}:{e.location.line}:{e.location.column}"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", ["duplicate_primary_key", "duplicate_primary_key_batch"])
def test_duplicate_primary_key_is_the_frozen_default(dialect: str, case: str) -> None:
    e = _explain("incident", f"{dialect}_{case}")
    assert (e.default_problem, e.object, e.code, _where(e, "incident")) == (
        True, "users.id", "MA101", "app/models.py:25:61")
    assert e.fix is not None and e.fix.startswith(
        "make it a callable that runs per row: `default=lambda: str(uuid.uuid4())`")
    assert e.headline.startswith("duplicate key on users.id (primary key), value ")
    assert e.headline.endswith(": caused by its default")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_batch_insert_shows_one_value_for_all_rows(dialect: str) -> None:
    e = _explain("incident", f"{dialect}_duplicate_primary_key_batch")
    err = e.error
    assert err is not None and len(err.rows) == 2 and err.rows[0]["id"] == err.rows[1]["id"]
    assert f"every row of the failing INSERT had id = {err.rows[0]['id']!r}: one value for all rows" in e.notes


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_colliding_value_is_reported(dialect: str) -> None:
    text = (DATA / f"{dialect}_duplicate_primary_key.txt").read_text(encoding="utf-8")
    err = dberror.parse(text)
    assert err is not None
    value = err.rows[0]["id"]
    assert _explain("incident", f"{dialect}_duplicate_primary_key").headline == (
        f"duplicate key on users.id (primary key), value {value}: caused by its default")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_duplicate_email_is_not_a_default_problem(dialect: str) -> None:
    # users.email is unique and has no default: the writer gave the same email twice
    e = _explain("incident", f"{dialect}_duplicate_unique")
    assert (e.default_problem, e.object, e.code, e.location) == (False, "users.email", None, None)
    assert e.headline.startswith("not a default problem: duplicate key on users.email, value first@example.com;")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_not_null_from_python_only_default(dialect: str) -> None:
    e = _explain("outbox", f"{dialect}_not_null_raw_insert")
    assert (e.default_problem, e.object, e.code, _where(e, "outbox")) == (
        True, "events.status", "MA204", "outbox/models.py:23:64")
    assert e.fix == "add `server_default='pending'` beside `default=` (both then give the same value)"
    assert "the failing INSERT does not name status (id, topic): it did not go through the model's client " \
           "defaults" in e.notes


@pytest.mark.parametrize("dialect", DIALECTS)
def test_foreign_key_error_is_not_a_default_problem(dialect: str) -> None:
    e = _explain("incident", f"{dialect}_unrelated_foreign_key")
    assert (e.error, e.default_problem) == (None, False)
    assert e.headline.startswith("not a default problem: this is not a duplicate-key, unique or NOT NULL error")


def test_incident_fixed_makes_the_same_error_not_a_default_problem() -> None:
    # The corrected default makes a new id per row: the same text now means two writers chose one key.
    e = _explain("incident_fixed", "postgresql_duplicate_primary_key")
    assert (e.default_problem, e.object) == (False, "users.id")


@pytest.mark.parametrize(("text", "columns", "constraint"), [
    # MySQL 8.0.19+ prefixes the key with its table
    ("(pymysql.err.IntegrityError) (1062, \"Duplicate entry 'x' for key 'users.PRIMARY'\")", ("id",), "PRIMARY"),
    # PostgreSQL without its DETAIL line (log_error_verbosity=terse)
    ('(psycopg.errors.UniqueViolation) duplicate key value violates unique constraint "users_pkey"\n'
     "[SQL: INSERT INTO users (id, email) VALUES (%(id)s, %(email)s)]", ("id",), "users_pkey"),
    ('(psycopg.errors.UniqueViolation) duplicate key value violates unique constraint "users_email_key"\n'
     "[SQL: INSERT INTO users (id, email) VALUES (%(id)s, %(email)s)]", ("email",), "users_email_key"),
    # SQLite before 3.8.2
    ("(sqlite3.IntegrityError) column id is not unique\n[SQL: INSERT INTO users (id) VALUES (?)]", ("id",), None),
])
def test_key_found_from_other_wordings(text: str, columns: tuple[str, ...], constraint: str | None) -> None:
    from migration_audit.explain_error import key_columns

    facts, _ = _facts("incident")
    err = dberror.parse(text)
    assert err is not None and err.constraint == constraint
    assert key_columns(err, facts.models.tables["users"]) == columns


def test_explicit_null_is_not_a_default_problem() -> None:
    facts, findings = _facts("outbox")
    text = ("sqlalchemy.exc.IntegrityError: (pymysql.err.IntegrityError) (1048, \"Column 'status' cannot be "
            "null\")\n[SQL: INSERT INTO events (id, topic, status) VALUES (%(id)s, %(topic)s, %(status)s)]\n"
            "[parameters: {'id': 'a', 'topic': 't', 'status': None}]")
    e = explain(text, facts, findings)
    assert (e.default_problem, e.object) == (False, "events.status")
    assert e.headline == ('not a default problem: the statement set events.status to NULL explicitly; a default '
                          '(default="pending") applies only when the column is left out, not when None is given')


def test_table_not_in_the_models() -> None:
    e = _explain("incident", "sqlite_not_null_raw_insert")  # events is the outbox's table
    assert (e.default_problem, e.headline) == (
        False, "cannot tell whether a default causes it: table 'events' is not in the model metadata")


# -- the command ------------------------------------------------------------------

def test_cli_prints_cause_and_fix_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    text = (DATA / "postgresql_duplicate_primary_key.txt").read_text(encoding="utf-8")
    value = dberror.parse(text).values[0]  # type: ignore[union-attr]
    assert main(["explain-error", "--project", str(FIXTURES / "incident"), text]) == 1
    out = capsys.readouterr().out
    assert out == (
        f"duplicate key on users.id (primary key), value {value}: caused by its default\n"
        '  PostgreSQL says: duplicate key value violates unique constraint "users_pkey"\n'
        "  cause: users.id (primary key): default=str(uuid.uuid4()) calls uuid.uuid4() once, when the model is "
        "defined, so every row gets the same id; the second insert in a process fails with a duplicate key "
        "[MA101]\n"
        "  fix: app/models.py:25:61: make it a callable that runs per row: `default=lambda: str(uuid.uuid4())`, "
        "or generate it in the database: `server_default=sa.text('gen_random_uuid()')`\n"
    )


def test_cli_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    text = (DATA / "sqlite_not_null_raw_insert.txt").read_text(encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["explain-error", "-p", str(FIXTURES / "outbox"), "-"]) == 1
    assert "  fix: outbox/models.py:23:64: add `server_default='pending'`" in capsys.readouterr().out


def test_cli_unrelated_error_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    text = (DATA / "postgresql_unrelated_foreign_key.txt").read_text(encoding="utf-8")
    assert main(["explain-error", "-p", str(FIXTURES / "incident"), text]) == 0
    assert capsys.readouterr().out.startswith("not a default problem: this is not a duplicate-key")


def test_cli_no_text_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("  \n"))
    assert main(["explain-error"]) == 2
    assert capsys.readouterr().err == ("migration-audit: error: explain-error: no error text (give it as an "
                                       "argument, or on stdin with -)\n")


def test_cli_no_project_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (DATA / "sqlite_duplicate_primary_key.txt").read_text(encoding="utf-8")
    assert main(["explain-error", "-p", str(tmp_path / "nothing"), text]) == 2
    assert capsys.readouterr().err == f"migration-audit: error: {tmp_path / 'nothing'}: no such file or directory\n"
