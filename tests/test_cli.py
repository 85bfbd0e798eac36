"""The command line: formats, exit codes, selection, usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, Project

from migration_audit.cli import main

INCIDENT = FIXTURES / "incident"


def test_text_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(INCIDENT)]) == 1
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert out[0].startswith("app/models.py:25:61: MA101 [error] users.id (primary key): default=str(uuid.uuid4())")
    assert out[1].startswith("    help: make it a callable that runs per row: `default=lambda: str(uuid.uuid4())`")
    assert len(out) == 2
    assert captured.err == "Found 1 finding (1 error) in 4 files, 3 revisions, 2 tables.\n"  # the summary


def test_clean_project_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(FIXTURES / "incident_fixed")]) == 0
    assert capsys.readouterr() == ("", "No findings in 4 files, 3 revisions, 2 tables.\n")


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(INCIDENT), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["version", "findings", "summary"]
    assert report["version"] == 1
    [finding] = report["findings"]
    assert list(finding) == ["code", "name", "severity", "message", "help", "path", "line", "column", "object"]
    assert (finding["code"], finding["name"], finding["severity"]) == ("MA101", "constant-default-on-key", "error")
    assert (finding["path"], finding["line"], finding["column"], finding["object"]) == ("app/models.py", 25, 61, "users.id")
    assert report["summary"] == {"files": 4, "revisions": 3, "tables": 2, "findings": 1}


def test_select_and_ignore(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(INCIDENT), "--ignore", "MA101"]) == 0
    assert main(["check", str(INCIDENT), "--select", "MA2,MA102"]) == 0
    assert main(["check", str(INCIDENT), "--select", "constant-default-on-key"]) == 1
    assert main(["check", str(INCIDENT), "--select", "MA1", "--ignore", "MA102"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", str(INCIDENT), "--select", "MA999"], "unknown rule 'MA999'"),
        (["check", str(INCIDENT), "--ignore", "constant-default-on-kye"], "did you mean constant-default-on-key?"),
        (["check", str(INCIDENT), "--select", "ma2O5"], "unknown rule 'ma2O5' (did you mean MA205?)"),
        (["check", "/nonexistent/project"], "no such file or directory"),
        (["check", str(FIXTURES)], "no alembic.ini with a script_location"),
        (["explain", "MA1"], "names 7 rules"),
        (["check", str(INCIDENT / "app" / "models.py")], "models.py: a Python file; give the project folder"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("migration-audit: error: ") and message in err
    assert "Traceback" not in err


def test_bad_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "--format", "xml"])
    assert exc.value.code == 2


@pytest.mark.parametrize("flag", ["--stati", "--form=json", "--no-cach"])
def test_abbreviated_flags_are_refused(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in a CI script fails instead of being taken for another flag."""
    with pytest.raises(SystemExit) as exc:
        main(["check", str(INCIDENT), flag])
    assert exc.value.code == 2
    assert f"unrecognized arguments: {flag}" in capsys.readouterr().err


def test_dialect_names_are_read_in_any_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(INCIDENT), "--dialect", "PostgreSQL", "--format", "json"]) == 1
    assert [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["MA101"]
    assert main(["check", str(INCIDENT), "--dialect", "postgres-ish"]) == 2
    assert "unknown dialect 'postgres-ish'" in capsys.readouterr().err
    assert main(["check", str(INCIDENT), "--dialect", ""]) == 2
    assert "--dialect is empty" in capsys.readouterr().err


def test_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["CODE", "NAME", "SEVERITY", "ENABLED", "SUMMARY"]
    assert [line.split()[0] for line in out[1:]] == ["MA001", "MA002", "MA003", "MA004", "MA005", "MA006", "MA007", "MA008", "MA020", "MA021", "MA022", "MA101", "MA102", "MA103", "MA104", "MA105", "MA106", "MA190", "MA201", "MA202", "MA203", "MA204", "MA205", "MA206", "MA290", "MA301", "MA302", "MA901"]
    assert main(["explain", "MA101"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("MA101 constant-default-on-key [error, enabled by default]\n\n"
                           "A primary-key or unique column has a constant client default.\n")
    assert "## Why is this bad?" in text and "```" not in text
    assert "## Use instead\n  (in a model class:)\n    id = Column(String(36), primary_key=True, " \
           "default=lambda: str(uuid.uuid4()))\n" in text
    assert main(["explain", "onupdate-without-server-onupdate"]) == 0
    assert "[warning, off by default: enable it with --select or extend-select]" in capsys.readouterr().out


def test_internal_error_exits_2_with_message(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import migration_audit.engine as engine

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(engine, "collect_facts", boom)
    assert main(["check", str(INCIDENT)]) == 2
    assert "migration-audit: internal error: RuntimeError: kaboom" in capsys.readouterr().err


def test_model_import_error_is_a_located_finding(project: Project, capfd: pytest.CaptureFixture[str]) -> None:
    project.models("import sqlalchemy as sa\nprint('noise from models')\n\nraise RuntimeError('database not configured')\n")
    project.revision("a1", None, "op.create_table('t', sa.Column('id', sa.String(36), server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f', primary_key=True))")
    assert main(["check", str(project.root), "--format", "json"]) == 1
    captured = capfd.readouterr()
    report = json.loads(captured.out)  # the model's print went to stderr, not into the JSON
    assert captured.err.count("noise from models") == 1
    got = [(f["code"], f["path"], f["line"]) for f in report["findings"]]
    assert got == [("MA002", "app/models.py", 4), ("MA102", "migrations/versions/a1.py", 18)]
    assert report["findings"][0]["message"] == (
        "cannot load model metadata app.models:Base.metadata: RuntimeError: database not configured"
    )


def test_system_exit_in_models_is_a_finding(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.models("import sys\nsys.exit(3)\n")
    assert main(["check", str(project.root)]) == 1
    out = capsys.readouterr().out
    assert "app/models.py:2:1: MA002 [error] cannot load model metadata app.models:Base.metadata: SystemExit(3)" in out


def test_metadata_not_found(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("migrations/env.py", "from alembic import context\ntarget_metadata = None\n")
    assert main(["check", str(project.root)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("migrations/env.py:2:1: MA005 [warning] env.py sets target_metadata = None; model rules did not run")


def test_console_script_runs_from_project_folder() -> None:
    exe = Path(sys.executable).parent / "migration-audit"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "migration_audit"]
    run = subprocess.run([*cmd, "check"], cwd=INCIDENT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "NO_COLOR": "1"})
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("app/models.py:25:61: MA101 [error]")
