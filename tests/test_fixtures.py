"""The bundled sample projects: each audit matches the expected findings stored beside it,
and the incident project really has the bug."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES

from migration_audit.cli import main

PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file())


def test_all_projects_have_expectations() -> None:
    assert PROJECTS == ["billing", "drift", "flask_factory", "helper_calls", "incident", "incident_fixed", "newer_syntax",
                        "orm_in_migration", "outbox", "revision_files", "schemas_filters", "several_dirs",
                        "sqlmodel_app", "stamp_baseline"]


@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_findings(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads((FIXTURES / name / "expected.json").read_text())
    for module in expected.get("requires", []):
        pytest.importorskip(module)  # a test extra; the oldest-dependencies CI run lacks it
    code = main(["check", str(FIXTURES / name), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    got = [{k: f[k] for k in ("code", "severity", "object", "path", "line", "column")} for f in report["findings"]]
    if sys.version_info[:2] >= tuple(expected.get("python_below", (99,))):
        # written in syntax this Python reads: no finding may call it too new
        assert not [f for f in report["findings"] if "syntax of Python" in f["message"]]
        return
    assert got == expected["findings"]
    assert code == expected["exit_code"]


PROOF = """
import sys
sys.path.insert(0, sys.argv[1])
import sqlalchemy as sa
from sqlalchemy.orm import Session
from app.models import Base, User

engine = sa.create_engine("sqlite://")
Base.metadata.create_all(engine)
with Session(engine) as session:
    session.add_all([User(email="a@example.com"), User(email="b@example.com")])
    try:
        session.commit()
    except sa.exc.IntegrityError as exc:
        print("IntegrityError:", exc.orig)
        raise SystemExit(1)
    print("ids:", sorted(u.id for u in session.scalars(sa.select(User))))
"""


def _insert_two_users(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROOF, str(project)], capture_output=True, text=True, timeout=120
    )


def test_incident_fixture_really_fails_on_the_second_insert() -> None:
    run = _insert_two_users(FIXTURES / "incident")
    assert run.returncode == 1, run.stderr
    assert "IntegrityError: UNIQUE constraint failed: users.id" in run.stdout


def test_corrected_fixture_inserts_two_rows() -> None:
    run = _insert_two_users(FIXTURES / "incident_fixed")
    assert run.returncode == 0, run.stderr
    ids = run.stdout.strip().removeprefix("ids: ")
    first, second = json.loads(ids.replace("'", '"'))
    assert first != second


def test_billing_fixture_errors_are_real_on_postgresql(tmp_path: Path, pg_url) -> None:  # type: ignore[no-untyped-def]
    """What MA205 and MA301 report in the billing project is what PostgreSQL does."""
    import shutil

    import sqlalchemy as sa

    from conftest import run_alembic

    root = tmp_path / "billing"
    shutil.copytree(FIXTURES / "billing", root)
    ini = root / "alembic.ini"
    url = pg_url.render_as_string(hide_password=False)
    ini.write_text(ini.read_text().replace("postgresql+psycopg://billing@localhost/billing", url))
    run = run_alembic(root, "upgrade", "head")
    assert run.returncode != 0
    assert 'invalid input syntax for type integer: "ten"' in run.stderr  # MA205, accounts.credits
    first = root / "migrations" / "versions" / "1a2b3c4d5e6f_create_accounts_and_invoices.py"
    first.write_text(first.read_text().replace("server_default='ten'", "server_default='10'"))
    run = run_alembic(root, "upgrade", "1a2b3c4d5e6f")
    assert run.returncode != 0
    assert "column \"active\" is of type boolean but default expression is of type integer" in run.stderr  # MA205
    first.write_text(first.read_text().replace("server_default=sa.text('1')", "server_default=sa.text('true')"))
    assert run_alembic(root, "upgrade", "1a2b3c4d5e6f").returncode == 0
    engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO accounts (id) VALUES (1)")
        conn.exec_driver_sql("INSERT INTO invoices (id, account_id) VALUES (1, 1)")
    engine.dispose()
    run = run_alembic(root, "upgrade", "head")
    assert run.returncode != 0
    assert 'column "plan" of relation "accounts" contains null values' in run.stderr  # MA301, accounts.plan
    second = root / "migrations" / "versions" / "7f8e9d0c1b2a_plans_regions_payments.py"
    second.write_text(second.read_text().replace(
        "sa.Column('plan', sa.String(length=20), nullable=False)",
        "sa.Column('plan', sa.String(length=20), server_default='free', nullable=False)"))
    run = run_alembic(root, "upgrade", "head")
    assert run.returncode != 0
    assert 'column "note" of relation "invoices" contains null values' in run.stderr  # MA301, invoices.note
