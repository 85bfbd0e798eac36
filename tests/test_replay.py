"""--replay: the chain applied to a scratch database catches what static
replay cannot read, and never touches a database the user has."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import Project

from migration_audit.cli import main

MODELS = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id = sa.Column(sa.Integer, primary_key=True)
    status = sa.Column(sa.String(20), server_default="pending")
"""

COMPUTED = """
def _columns():
    return [sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("status", sa.String(20), server_default="active")]

op.create_table("items", *_columns())
"""


def _run(project: Project, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict], str]:
    capsys.readouterr()
    code = main(["check", str(project.root), "--format", "json", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out)["findings"] if out else [], err


def test_replay_reads_what_static_replay_cannot(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.models(MODELS)
    project.revision("a1", None, COMPUTED)
    code, findings, _ = _run(project, capsys, "--select", "MA2")
    assert (code, findings) == (0, [])  # static replay: the columns are computed, so it does not guess
    code, findings, _ = _run(project, capsys, "--select", "MA2", "--replay")
    assert code == 1
    assert [(f["code"], f["object"], f["path"], f["line"]) for f in findings] == [
        ("MA201", "items.status", "app/models.py", project.line_of("app/models.py", "status ="))]
    assert findings[0]["message"] == ("items.status: the model's server default is 'pending', but the migrations "
                                      "leave 'active' when applied to the scratch database")
    assert not (project.root / "app.db").exists()  # the project's own database URL is never used


def test_a_revision_that_fails_is_located(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.models(MODELS)
    project.revision("a1", None, 'op.create_table("items", sa.Column("id", sa.Integer, primary_key=True))')
    project.revision("b2", "a1", """
print("migrations may print; the report stays clean")
op.execute("INSERT INTO no_such_table VALUES (1)")
""")
    code, findings, _ = _run(project, capsys, "--select", "MA006", "--replay")
    assert code == 1
    [f] = findings
    assert (f["code"], f["severity"], f["object"], f["path"], f["line"]) == (
        "MA006", "warning", "b2", "migrations/versions/b2.py", project.line_of("migrations/versions/b2.py", "INSERT"))
    assert f["message"].startswith("revision b2 fails when applied to a scratch database: OperationalError: "
                                   "(sqlite3.OperationalError) no such table: no_such_table")


def test_a_revision_that_never_ends_times_out(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.models(MODELS)
    project.revision("a1", None, "import time\nwhile True:\n    time.sleep(1)")
    code, findings, _ = _run(project, capsys, "--select", "MA006", "--replay", "--import-timeout", "3")
    assert code == 1
    assert [(f["code"], f["message"]) for f in findings] == [
        ("MA006", "applying the migration chain to a scratch database did not finish in 3 s")]


def test_refuses_a_sqlite_file_with_tables(project: Project, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    project.models(MODELS)
    project.revision("a1", None, COMPUTED)
    db = tmp_path / "mine.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE precious (id INTEGER)")
    before = db.read_bytes()
    code, _, err = _run(project, capsys, "--replay-url", f"sqlite:///{db}")
    assert code == 2
    assert err.strip() == (f"migration-audit: error: sqlite:///{db} already has tables (precious); migration-audit "
                           "replays only into an empty database")
    assert db.read_bytes() == before
    empty = tmp_path / "empty.db"
    code, findings, _ = _run(project, capsys, "--select", "MA201", "--replay-url", f"sqlite:///{empty}")
    assert (code, [f["object"] for f in findings]) == (1, ["items.status"])
    # not a database, or a folder: one line, no traceback
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    code, _, err = _run(project, capsys, "--replay-url", f"sqlite:///{garbage}")
    assert (code, err.strip()) == (2, f"migration-audit: error: --replay-url sqlite:///{garbage}: cannot use it: "
                                      "file is not a database")
    code, _, err = _run(project, capsys, "--replay-url", f"sqlite:///{tmp_path}")
    assert (code, err.strip()) == (2, f"migration-audit: error: --replay-url sqlite:///{tmp_path}: {tmp_path} is a "
                                      "folder; name a database file in it")
    # a file in a folder that does not exist: the URL is wrong, not the first revision
    code, _, err = _run(project, capsys, "--replay-url", f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}")
    assert (code, err.strip()) == (2, f"migration-audit: error: --replay-url sqlite:///{tmp_path / 'nowhere' / 'x.db'}: "
                                      f"the folder {tmp_path / 'nowhere'} does not exist")


def _scratch_databases(admin: sa.URL, sql: str) -> list[str]:
    engine = sa.create_engine(admin, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = [r[0] for r in conn.exec_driver_sql(sql)]
    engine.dispose()
    return names


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_replay_url_creates_and_drops_a_scratch_database(server: str, project: Project, request: pytest.FixtureRequest,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    url: sa.URL = request.getfixturevalue("pg_url" if server == "postgresql" else "mysql_url")
    listing = ("SELECT datname FROM pg_database WHERE datname LIKE 'ma_replay_%%'" if server == "postgresql"
               else "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'ma_replay_%%'")
    before = _scratch_databases(url, listing)
    project.models(MODELS)
    project.revision("a1", None, COMPUTED)
    replay_url = url.set(password="s3cret-pw") if server == "postgresql" else url
    code, findings, err = _run(project, capsys, "--select", "MA2", "--replay-url",
                               replay_url.render_as_string(hide_password=False))
    assert code == 1, err
    assert [(f["code"], f["object"]) for f in findings] == [("MA201", "items.status")]
    dialect = "postgresql" if server == "postgresql" else "mariadb"
    assert findings[0]["message"].endswith(f"when applied to a scratch {dialect} database")
    assert "s3cret-pw" not in json.dumps(findings) + err
    assert _scratch_databases(url, listing) == before  # dropped again
    # the database the URL names is untouched: nothing was created in it
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == []
    engine.dispose()
