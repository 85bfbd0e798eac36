"""MA202 against live databases: read with a role that can only connect and
select, passwords never shown, revisions not applied yet not reported."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import FIXTURES, revision_file, run_alembic

from migration_audit.cli import main


def _shop(tmp_path: Path, url: str) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "incident_fixed", root)
    ini = root / "alembic.ini"
    ini.write_text("\n".join(
        f"sqlalchemy.url = {url.replace('%', '%%')}" if line.startswith("sqlalchemy.url") else line
        for line in ini.read_text().splitlines()) + "\n")
    run = run_alembic(root, "upgrade", "head")
    assert run.returncode == 0, run.stderr
    return root


def _check(root: Path, url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["check", str(root), "--database-url", url, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def _drift_by_hand(admin_url: sa.URL, statement: str) -> None:
    engine = sa.create_engine(admin_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


def _assert_one_drift(root: Path, url: sa.URL, secret: str, capsys: pytest.CaptureFixture[str]) -> None:
    text_url = url.render_as_string(hide_password=False)
    code, out, err = _check(root, text_url, capsys)
    assert code == 1, err
    assert "MA202 [warning] orders.total_cents: the model's server default is '0', but the database " in out
    assert out.splitlines()[0].startswith("app/models.py:38:")
    code, out_json, err_json = _check(root, text_url, capsys, "--format", "json")
    report = json.loads(out_json)
    assert [(f["code"], f["object"], f["line"]) for f in report["findings"]] == [("MA202", "orders.total_cents", 38)]
    for stream in (out, err, out_json, err_json):
        assert secret not in stream
    assert ":***@" in out


def test_postgresql_role_with_only_connect_and_select(tmp_path: Path, pg_url, capsys) -> None:  # type: ignore[no-untyped-def]
    root = _shop(tmp_path, pg_url.render_as_string(hide_password=False))
    _drift_by_hand(pg_url, "ALTER TABLE orders ALTER COLUMN total_cents SET DEFAULT 5")
    role, secret = f"ma_ro_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{secret}'")
        conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {pg_url.database} TO {role}")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
        conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        # the role really cannot write
        ro = sa.create_engine(pg_url.set(username=role, password=secret), poolclass=sa.pool.NullPool)
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), ro.begin() as c:
            c.exec_driver_sql("INSERT INTO alembic_version VALUES ('x')")
        ro.dispose()
    try:
        _assert_one_drift(root, pg_url.set(username=role, password=secret), secret, capsys)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_mariadb_user_with_only_select(tmp_path: Path, mysql_url, capsys) -> None:  # type: ignore[no-untyped-def]
    root = _shop(tmp_path, mysql_url.render_as_string(hide_password=False))
    _drift_by_hand(mysql_url, "ALTER TABLE orders ALTER COLUMN total_cents SET DEFAULT 5")
    user, secret = f"ma_ro_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    admin = sa.create_engine(mysql_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    hosts = ("%%", "localhost", "127.0.0.1")  # %% is '%' through the driver's format
    with admin.connect() as conn:
        for host in hosts:
            conn.exec_driver_sql(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY '{secret}'")
            conn.exec_driver_sql(f"GRANT SELECT ON {mysql_url.database}.* TO '{user}'@'{host}'")
    try:
        ro = sa.create_engine(mysql_url.set(username=user, password=secret), poolclass=sa.pool.NullPool)
        with pytest.raises(sa.exc.OperationalError, match="command denied"), ro.begin() as c:
            c.exec_driver_sql("INSERT INTO alembic_version VALUES ('x')")
        ro.dispose()
        _assert_one_drift(root, mysql_url.set(username=user, password=secret), secret, capsys)
    finally:
        with admin.connect() as conn:
            for host in hosts:
                conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'{host}'")
        admin.dispose()


def test_unreachable_database_is_one_line_without_the_password(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "incident_fixed", root)
    code, out, err = _check(root, "postgresql+psycopg://ro:hunter2-secret@127.0.0.1:1/prod", capsys)
    assert code == 2 and out == ""
    summary, error = err.strip().splitlines()  # the audit ran without it; then the one-line error
    assert summary == "No findings in 4 files, 3 revisions, 2 tables."
    # (without psycopg installed, as in the oldest-dependencies run, it fails earlier: still one line, masked)
    assert re.match(r"migration-audit: error: cannot (read the schema from|use) "
                    r"postgresql\+psycopg://ro:\*\*\*@127\.0\.0\.1:1/prod: ", error), error
    assert "hunter2" not in err
    # the rest of the audit still runs: the incident's finding is reported, and the command fails
    incident = tmp_path / "incident"
    shutil.copytree(FIXTURES / "incident", incident)
    code, out, err = _check(incident, "postgresql+psycopg://ro:hunter2-secret@127.0.0.1:1/prod", capsys)
    assert code == 2 and out.startswith("app/models.py:25:61: MA101 [error]")
    assert re.match(r"migration-audit: error: cannot (read the schema from|use) ", err.strip().splitlines()[-1])
    code, _, err = _check(root, str(tmp_path / "missing.db").join(["sqlite:///", ""]), capsys)
    assert code == 2 and "no such database file (it is not created" in err
    assert not (tmp_path / "missing.db").exists()


def test_revisions_not_applied_yet_are_not_drift(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    root = _shop(tmp_path, url)
    models = root / "app" / "models.py"
    models.write_text(models.read_text().replace('server_default="0"', 'server_default="5"'))
    assert _check(root, url, capsys, "--select", "MA202")[1].startswith("app/models.py:38:")
    (root / "migrations" / "versions" / "c3_cents.py").write_text(revision_file("c3c3c3c3c3c3", "a75d96017ea7", """
        with op.batch_alter_table("orders") as batch_op:
            batch_op.alter_column("total_cents", server_default="5")
    """))
    code, _, err = _check(root, url, capsys, "--select", "MA201,MA202")
    assert (code, err.strip()) == (0, "No findings in 5 files, 4 revisions, 2 tables.")
    run = run_alembic(root, "upgrade", "head")
    assert run.returncode == 0, run.stderr
    code, _, err = _check(root, url, capsys, "--select", "MA201,MA202")
    assert (code, err.strip()) == (0, "No findings in 5 files, 4 revisions, 2 tables.")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_the_transaction_itself_is_read_only(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Even as a user that may write (the admin of the scratch database), a
    statement that writes fails inside read_only(), and nothing is left."""
    from migration_audit.config import UsageError
    from migration_audit.sources.database import read_only

    if backend == "sqlite":
        db = tmp_path / "rw.db"
        sa.create_engine(f"sqlite:///{db}").dispose()
        db.touch()
        url = sa.make_url(f"sqlite:///{db}")
    else:
        url = request.getfixturevalue("pg_url" if backend == "postgresql" else "mysql_url")
    text_url = url.render_as_string(hide_password=False)
    for statement in ("CREATE TABLE ma_write_probe (x INTEGER)",):
        with pytest.raises(UsageError, match="cannot read the probe from .*(read-only|READ ONLY|readonly)"):
            with read_only(text_url, "the probe") as (conn, _):
                conn.exec_driver_sql(statement)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        assert not sa.inspect(engine).has_table("ma_write_probe")
    finally:
        engine.dispose()
