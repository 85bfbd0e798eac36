"""``migration-audit probe`` on the embedded SQLite and on the real
PostgreSQL and MariaDB servers: it proves the incident's duplicate key and
the outbox's NOT NULL failures, and passes the corrected project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from migration_audit.cli import main

from conftest import FIXTURES, Project


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def server(request: pytest.FixtureRequest) -> str | None:
    """None for the default embedded SQLite, else a server URL (a scratch
    database of the test's own, which the probe must leave untouched)."""
    if request.param == "sqlite":
        return None
    url = request.getfixturevalue("pg_url" if request.param == "postgresql" else "mysql_url")
    return url.render_as_string(hide_password=False)


def _probe(path: Path, server: str | None, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, object]], str]:
    argv = ["probe", str(path), "--format", "json"] + (["--replay-url", server] if server else [])
    code = main(argv)
    captured = capsys.readouterr()
    return code, json.loads(captured.out)["findings"], captured.err


def _located(findings: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(f["code"], f["object"], f["path"], f["line"], f["column"]) for f in findings]


def _tables(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


_SHOWN = {None: "SQLite", "postgresql": "PostgreSQL", "mysql": "MariaDB"}


def _shown(server: str | None) -> str:
    return _SHOWN[sa.engine.make_url(server).get_backend_name() if server else None]


def test_proves_the_incident(server: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings, _ = _probe(FIXTURES / "incident", server, capsys)
    assert (code, _located(findings)) == (1, [("MA190", "users.id", "app/models.py", 25, 61)])
    message = str(findings[0]["message"])
    prefix = (f"users.id (primary key): proven on a scratch {_shown(server)} database: two rows inserted in one "
              "process through the model's defaults both got id = '")
    assert message.startswith(prefix)
    value = message[len(prefix):].split("'")[0]
    assert len(value) == 36  # the frozen str(uuid.uuid4())
    assert message.endswith("; both values came from default=str(uuid.uuid4())")
    assert findings[0]["help"] == "make it a callable that runs per row: `default=lambda: str(uuid.uuid4())`"
    if server:
        assert _tables(server) == []  # the database it was pointed at is only the server to create one on


def test_passes_the_corrected_project(server: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings, err = _probe(FIXTURES / "incident_fixed", server, capsys)
    assert (code, findings) == (0, [])
    assert "failed for another reason" not in err  # every table really got its two rows


def test_proves_not_null_failures_of_python_only_defaults(server: str | None,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, findings, _ = _probe(FIXTURES / "outbox", server, capsys)
    assert (code, _located(findings)) == (1, [
        ("MA290", "events.status", "outbox/models.py", 23, 64),
        ("MA290", "events.created_at", "outbox/models.py", 25, 71),
    ])
    db_says = {
        "SQLite": "NOT NULL constraint failed: events.status",
        "PostgreSQL": 'null value in column "status" of relation "events" violates not-null constraint',
        "MariaDB": "Field 'status' doesn't have a default value",
    }[_shown(server)]
    assert findings[0]["message"] == (
        f"events.status: proven on a scratch {_shown(server)} database: an INSERT that leaves out status (as raw "
        f"SQL, another service or COPY does) fails ({db_says}); its only default is Python-side "
        '(default="pending")')
    assert findings[0]["help"] == "add `server_default='pending'` beside `default=` (both then give the same value)"


MIGRATION = """
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sku", sa.String(20), nullable=False, unique=True),
        sa.Column("code", sa.String(20), server_default="X", unique=True),
        sa.Column("slug", sa.String(20), unique=True),
        sa.Column("kind", sa.String(20), nullable=False, server_default="plain"),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("items.id")),
    )
"""


def test_proofs_the_reading_rules_cannot_make(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # code: a literal server default on a unique column; slug: a callable that returns one value.
    # sku: required, unique, no default: the probe makes up a different value per row (no finding);
    # kind: a Python default beside a server default (the raw insert works).
    project.models("""
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            pass


        class Item(Base):
            __tablename__ = "items"
            id = sa.Column(sa.Integer, primary_key=True)
            sku = sa.Column(sa.String(20), nullable=False, unique=True)
            code = sa.Column(sa.String(20), server_default="X", unique=True)
            slug = sa.Column(sa.String(20), unique=True, default=lambda: "same")
            kind = sa.Column(sa.String(20), nullable=False, default="plain", server_default="plain")
            parent_id = sa.Column(sa.Integer, sa.ForeignKey("items.id"))
    """)
    project.revision("a1", None, MIGRATION)
    code, findings, err = _probe(project.root, None, capsys)
    assert code == 1
    # after a collision the second row is tried again with the colliding column made up: both are found
    assert _located(findings) == [("MA190", "items.code", "app/models.py", 14, 52),
                                  ("MA190", "items.slug", "app/models.py", 15, 58)]
    assert [str(f["message"]).split(": ", 2)[2] for f in findings] == [
        "two rows inserted in one process through the model's defaults both got code = 'X', and the second "
        'failed (UNIQUE constraint failed: items.code); both values came from server_default="X"',
        "two rows inserted in one process through the model's defaults both got slug = 'same', and the second "
        'failed (UNIQUE constraint failed: items.slug); both values came from default=lambda: "same"',
    ]
    assert findings[0]["help"] == ("a key needs a new value for every row: use a server default the database "
                                   "evaluates per row (a sequence, identity or a generator function), or none")
    assert "failed for another reason" not in err


def test_one_collision_per_table_then_the_next(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.models("""
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            pass


        class Item(Base):
            __tablename__ = "items"
            id = sa.Column(sa.Integer, primary_key=True)
            slug = sa.Column(sa.String(20), unique=True, default=lambda: "same")
    """)
    project.revision("a1", None, """
        op.create_table("items", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("slug", sa.String(20), unique=True))
    """)
    code, findings, _ = _probe(project.root, None, capsys)
    assert (code, _located(findings)) == (1, [("MA190", "items.slug", "app/models.py", 13, 58)])
    assert "both got slug = 'same'" in str(findings[0]["message"])


def test_a_made_up_value_never_counts_as_proof(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    # A required unique enum of one value, without a default: the probe's own value collides, which proves nothing.
    project.models("""
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            pass


        class Account(Base):
            __tablename__ = "accounts"
            id = sa.Column(sa.Integer, primary_key=True)
            plan = sa.Column(sa.Enum("only", name="plan"), nullable=False, unique=True)
    """)
    project.revision("a1", None, """
        op.create_table("accounts", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("plan", sa.Enum("only", name="plan"), nullable=False, unique=True))
    """)
    code, findings, err = _probe(project.root, None, capsys)
    assert (code, findings) == (0, [])
    assert "migration-audit: probe: two rows of accounts collided on values the probe made up, which proves " \
           "nothing: UNIQUE constraint failed: accounts.plan\n" in err


def test_children_of_a_proven_collision_get_parents_of_their_own(project: Project,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # After the proven collision on accounts.id the second row is retried with a made-up id, so each profile
    # gets a parent of its own and the one-to-one account_id does not collide on the probe's values.
    project.models("""
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            pass


        class Account(Base):
            __tablename__ = "accounts"
            id = sa.Column(sa.String(10), primary_key=True, default="acc-1")


        class Profile(Base):
            __tablename__ = "profiles"
            id = sa.Column(sa.Integer, primary_key=True)
            account_id = sa.Column(sa.String(10), sa.ForeignKey("accounts.id"), nullable=False, unique=True)
    """)
    project.revision("a1", None, """
        op.create_table("accounts", sa.Column("id", sa.String(10), primary_key=True))
        op.create_table("profiles", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("account_id", sa.String(10), sa.ForeignKey("accounts.id"), nullable=False,
                                  unique=True))
    """)
    code, findings, err = _probe(project.root, None, capsys)
    assert (code, _located(findings)) == (1, [("MA190", "accounts.id", "app/models.py", 12, 61)])
    assert "both got id = 'acc-1'" in str(findings[0]["message"])
    assert "migration-audit: probe:" not in err


def test_refuses_a_sqlite_file_with_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "app.db"
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE keep (id INTEGER)")
    engine.dispose()
    assert main(["probe", str(FIXTURES / "incident"), "--replay-url", f"sqlite:///{db}"]) == 2
    assert capsys.readouterr().err == (f"migration-audit: error: sqlite:///{db} already has tables (keep); "
                                       "migration-audit replays only into an empty database\n")
    assert _tables(f"sqlite:///{db}") == ["keep"]


def test_models_that_do_not_import(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.models("raise RuntimeError('needs settings')\n")
    project.revision("a1", None, 'op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True))')
    code, findings, _ = _probe(project.root, None, capsys)
    assert code == 1
    assert [(f["code"], f["path"], f["line"]) for f in findings] == [("MA002", "app/models.py", 1)]


def test_a_table_the_chain_does_not_create(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.models("""
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase


        class Base(DeclarativeBase):
            pass


        class Item(Base):
            __tablename__ = "items"
            id = sa.Column(sa.Integer, primary_key=True)
    """)
    project.revision("a1", None, 'op.create_table("other", sa.Column("id", sa.Integer(), primary_key=True))')
    code, findings, err = _probe(project.root, None, capsys)
    # the check's own info finding about the table, nothing proven
    assert (code, [(f["code"], f["object"]) for f in findings]) == (0, [("MA020", "items")])
    assert "migration-audit: probe: an insert into items (two rows) failed for another reason: the migration " \
           "chain does not create this table: not probed\n" in err
