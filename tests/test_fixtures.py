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
    assert PROJECTS == ["drift", "incident", "incident_fixed"]


@pytest.mark.parametrize("name", PROJECTS)
def test_fixture_findings(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads((FIXTURES / name / "expected.json").read_text())
    code = main(["check", str(FIXTURES / name), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    got = [{k: f[k] for k in ("code", "severity", "object", "path", "line", "column")} for f in report["findings"]]
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
