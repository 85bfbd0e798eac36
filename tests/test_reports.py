"""CI-grade output: SARIF (schema-valid), GitHub annotations, JUnit, gcc,
--output, --fail-on; baseline; --changed-since."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conftest import FIXTURES

from migration_audit.cli import main
from migration_audit.rules import RULES

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", ["incident", "billing", "incident_fixed"])
def test_sarif_is_valid_and_complete(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, str(FIXTURES / name), "--format", "sarif")
    sarif = json.loads(out)
    jsonschema.validate(sarif, SCHEMA)
    [run] = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    assert all(r["help"]["markdown"].startswith("## What it does") for r in rules)
    expected = json.loads((FIXTURES / name / "expected.json").read_text())["findings"]
    got = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"]) for r in run["results"]]
    level = {"error": "error", "warning": "warning", "info": "note"}
    assert got == [(f["code"], level[f["severity"]], f["path"], f["line"], f["column"]) for f in expected]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert len(r["partialFingerprints"]["migrationAudit/v1"]) == 20
    assert err.strip().startswith(("Found", "No findings"))


def test_github_annotations_exact(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "billing")
    code, out, _ = _run(capsys, ".", "--format", "github", "--select", "MA203,MA301")
    assert code == 1
    assert out.splitlines() == [
        "::warning file=billing/models.py,line=21,col=64,title=MA203 client-server-default-mismatch::"
        "accounts.status: default=\"active\" and server_default=\"pending\" disagree: rows the ORM inserts get "
        "'active', rows written any other way (raw SQL, other services, bulk loads) get 'pending'. help: make them "
        "one value (`server_default='active'`), or drop `default=` and let the database fill the column",
        "::error file=migrations/versions/7f8e9d0c1b2a_plans_regions_payments.py,line=24,col=31,"
        "title=MA301 not-null-on-existing-rows::accounts.plan: revision 7f8e9d0c1b2a adds a NOT NULL column to the "
        "existing table accounts without a server default; on a table that has rows the ALTER TABLE fails (the "
        "column would contain nulls). help: give existing rows a value: `sa.Column(\"plan\", ..., nullable=False, "
        "server_default='free')` (drop the server default in a later step if the model has none), or add it "
        "nullable, backfill with `op.execute(\"UPDATE accounts SET plan = ... WHERE plan IS NULL\")`, then "
        "`op.alter_column(\"accounts\", \"plan\", nullable=False)`",
        "::warning file=migrations/versions/7f8e9d0c1b2a_plans_regions_payments.py,line=32,col=5,"
        "title=MA301 not-null-on-existing-rows::invoices.note: revision 7f8e9d0c1b2a sets NOT NULL, but nothing "
        "since the column was added fills the NULLs existing rows may hold (no UPDATE of note); the ALTER fails on "
        "the first NULL. help: backfill first, in the same revision before the alter: "
        "`op.execute(\"UPDATE invoices SET note = '...' WHERE note IS NULL\")`",
    ]


def test_junit_is_xml_with_a_case_per_rule_and_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(FIXTURES / "billing"), "--format", "junit")
    suites = ET.fromstring(out)
    [suite] = suites.findall("testsuite")
    cases = suite.findall("testcase")
    failed = [(c.get("classname"), c.get("file")) for c in cases if c.find("failure") is not None]
    assert failed == [
        ("migration-audit.MA203", "billing/models.py"),
        ("migration-audit.MA204", "billing/models.py"),
        ("migration-audit.MA205", "billing/models.py"),
        ("migration-audit.MA205", "migrations/versions/1a2b3c4d5e6f_create_accounts_and_invoices.py"),
        ("migration-audit.MA301", "migrations/versions/7f8e9d0c1b2a_plans_regions_payments.py"),
    ]
    assert suite.get("failures") == "5" and int(suite.get("tests", "0")) == len(cases)
    passed = {c.get("classname") for c in cases if c.find("failure") is None}
    assert "migration-audit.MA101" in passed and "migration-audit.MA901" not in passed  # MA901 is off by default
    ma204 = next(c for c in cases if c.get("classname") == "migration-audit.MA204").find("failure")
    assert ma204 is not None and ma204.get("message", "").startswith("2 findings: accounts.plan is NOT NULL")


def test_junit_information_is_a_passing_case_with_its_findings(capsys: pytest.CaptureFixture[str]) -> None:
    """Information never changes the exit code, and never fails a test case."""
    code, out, _ = _run(capsys, str(FIXTURES / "stamp_baseline"), "--format", "junit")
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None
    cases = {c.get("classname"): c for c in suite.findall("testcase") if c.get("file") == "crm/models.py"}
    assert sorted(cases) == ["migration-audit.MA020", "migration-audit.MA201"]
    ma020 = cases["migration-audit.MA020"]
    assert ma020.find("failure") is None
    out_text = ma020.findtext("system-out") or ""
    assert [line.split(": ")[1] for line in out_text.splitlines() if ": MA020 " in line] == ["MA020 [info] teams",
                                                                                            "MA020 [info] contacts"]
    assert cases["migration-audit.MA201"].find("failure") is not None
    assert (code, suite.get("failures")) == (1, "1")


def test_gcc_output_file_and_fail_on(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    code, out, err = _run(capsys, str(FIXTURES / "incident"), "--format", "gcc", "--output", str(report))
    assert (code, out) == (1, "")
    assert report.read_text() == (
        "app/models.py:25:61: error: users.id (primary key): default=str(uuid.uuid4()) calls uuid.uuid4() once, "
        "when the model is defined, so every row gets the same id; the second insert in a process fails with a "
        "duplicate key [MA101]\n")
    assert err == "Found 1 finding (1 error) in 4 files, 3 revisions, 2 tables.\n"
    drift = str(FIXTURES / "drift")  # two warnings
    assert _run(capsys, drift)[0] == 1
    assert _run(capsys, drift, "--fail-on", "error")[0] == 0
    assert _run(capsys, str(FIXTURES / "incident"), "--fail-on", "never")[0] == 0
    code, _, err = _run(capsys, drift, "--output", str(tmp_path / "missing" / "r.txt"))
    assert code == 2 and "--output" in err


def _copy(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


def test_baseline_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = _copy(tmp_path, "incident")
    baseline = tmp_path / "baseline.json"
    code, _, err = _run(capsys, str(root), "--write-baseline", str(baseline))
    assert code == 0 and "wrote 1 finding to the baseline" in err
    models = root / "app" / "models.py"
    models.write_text("# a comment\n" * 10 + models.read_text())
    code, out, err = _run(capsys, str(root), "--baseline", str(baseline))
    assert (code, out) == (0, "")
    assert "accounts for 1 finding; 0 of its entries no longer occur" in err
    text = models.read_text().replace(
        '    status: Mapped[str]',
        '    token: Mapped[str] = mapped_column(sa.String(36), unique=True, default=str(uuid.uuid4()))\n'
        '    status: Mapped[str]')
    models.write_text(text)
    code, out, _ = _run(capsys, str(root), "--baseline", str(baseline), "--format", "json", "--select", "MA1")
    assert code == 1
    assert [(f["code"], f["object"]) for f in json.loads(out)["findings"]] == [("MA101", "users.token")]
    # fixing the old one leaves a stale entry, which is said
    models.write_text(text.replace("default=str(uuid.uuid4()))\n    email", "default=lambda: str(uuid.uuid4()))\n    email"))
    code, _, err = _run(capsys, str(root), "--baseline", str(baseline), "--select", "MA1")
    assert "accounts for 0 findings; 1 of its entries no longer occur (rewrite it with --write-baseline)" in err
    (tmp_path / "bad.json").write_text("[1, 2]")
    code, _, err = _run(capsys, str(root), "--baseline", str(tmp_path / "bad.json"))
    assert code == 2 and "not a migration-audit baseline" in err


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin", "HOME": str(root)})


def test_changed_since_reports_only_changed_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = _copy(tmp_path, "incident")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "start")
    new = root / "migrations" / "versions" / "c0ffee000001_tokens.py"
    new.write_text((FIXTURES / "incident" / "migrations" / "versions" / "a75d96017ea7_add_user_status.py").read_text()
                   .replace("a75d96017ea7", "c0ffee000001").replace("'5bf85f361826'", "'a75d96017ea7'")
                   .replace("sa.Column('status', sa.String(length=20), nullable=False, server_default='active')",
                            "sa.Column('code', sa.String(length=36), server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f')"))
    code, out, err = _run(capsys, str(root), "--changed-since", "HEAD", "--format", "json")
    assert code == 1
    assert [(f["code"], f["path"]) for f in json.loads(out)["findings"]] == [
        ("MA102", "migrations/versions/c0ffee000001_tokens.py")]
    assert "1 file changed since HEAD" in err
    code, _, err = _run(capsys, str(root), "--changed-since", "no-such-ref")
    assert (code, err) == (2, f"migration-audit: error: --changed-since: 'no-such-ref' names no commit in {root} (a "
                              "branch, tag or commit id, such as origin/main; in a shallow CI clone, fetch it first)\n")
