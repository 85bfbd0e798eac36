"""Model imports run in child interpreters: whatever the project's import
does, the audit reports it and goes on; and two imports that disagree reveal
defaults computed from a nondeterministic source."""

from __future__ import annotations

import json

import pytest

from conftest import Project

from migration_audit.cli import main

BASE = (
    "import sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
    "class Item(Base):\n    __tablename__ = 'items'\n    id = sa.Column(sa.Integer, primary_key=True)\n"
)


@pytest.mark.parametrize(
    ("prelude", "message"),
    [
        ("import os\nos._exit(0)\n", "the model import ended the process (exit code 0) before the metadata could be read"),
        ("while True:\n    pass\n", "importing the models did not finish within 3 s"),
    ],
)
def test_hostile_imports_are_findings(project: Project, prelude: str, message: str,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    project.models(prelude + BASE)
    assert main(["check", str(project.root), "--format", "json", "--import-timeout", "3"]) == 1
    report = json.loads(capfd.readouterr().out)
    [finding] = report["findings"]
    assert finding["code"] == "MA002" and message in finding["message"]
    assert (finding["path"], finding["line"]) == ("migrations/env.py", 2)


def test_output_at_any_level_stays_out_of_the_report(project: Project, capfd: pytest.CaptureFixture[str]) -> None:
    project.models(
        "import atexit, os, subprocess, sys, threading, time\n"
        "os.write(1, b'FD1 noise\\n')\nsubprocess.run([sys.executable, '-c', 'print(\"child noise\")'])\n"
        "atexit.register(lambda: print('atexit noise'))\n"
        "threading.Thread(target=lambda: time.sleep(3600)).start()\n" + BASE
    )
    assert main(["check", str(project.root), "--format", "json"]) == 0
    captured = capfd.readouterr()
    assert json.loads(captured.out)["summary"]["tables"] == 1
    assert "FD1 noise" in captured.err and "child noise" in captured.err
    assert "atexit noise" not in captured.out


def test_probe_finds_a_value_frozen_behind_a_settings_object(project: Project) -> None:
    project.models(
        "import secrets\n\n\nclass Settings:\n    def __init__(self):\n        self.default_token = secrets.token_hex(16)\n\n\n"
        "settings = Settings()\n",
        "app/config.py",
    )
    project.models(BASE.replace("import sqlalchemy as sa\n", "import sqlalchemy as sa\nfrom app.config import settings\n")
                   + "    api_key = sa.Column(sa.String, default=settings.default_token)\n")
    result = project.audit(select=["MA1"])
    [finding] = result.findings
    assert (finding.code, finding.object, finding.location.line) == ("MA106", "items.api_key", 13)
    assert finding.message.startswith("items.api_key: default=settings.default_token differs between two imports")
    # the static check could not follow it: MA103 stays silent, MA106 speaks
    assert result.facts.models.tables["items"].columns["api_key"].default.frozen_origin is None


def test_probe_is_silent_on_deterministic_models(project: Project) -> None:
    project.models(BASE + "    status = sa.Column(sa.String, default='new', server_default='new')\n"
                          "    tags = sa.Column(sa.JSON, default=list)\n")
    result = project.audit()
    assert result.findings == [] and result.facts.variances == []


def test_probe_runs_only_when_a_default_was_computed_by_code(project: Project) -> None:
    project.models(BASE + "    status = sa.Column(sa.String, default='new', server_default=sa.text('0'))\n"
                          "    seen = sa.Column(sa.DateTime, server_default=sa.func.now(), default=lambda: 1)\n")
    assert project.audit().facts.probed is False
    project.models(BASE.replace("class Item", "STATUS = 'new'\n\n\nclass Item")
                   + "    status = sa.Column(sa.String, default=STATUS)\n")
    result = project.audit()
    assert result.facts.probed is True and result.findings == []


@pytest.mark.parametrize(("source", "wanted"), [
    ("'new'", False), ("-1", False), ("(1, 'a')", False), ("sa.text('0')", False), ("text('now()')", False),
    ("sa.func.now()", False), ("func.coalesce(1, 2)", False), ("sa.literal(3)", False), ("sa.true()", False),
    ("settings.default_token", True), ("STATUS", True), ("str(uuid.uuid4())", True), ("sa.text(f'{x}')", True),
    ("sa.text(PREFIX)", True), ("make_default()", True), (None, True), ("not python (", True),
])
def test_which_defaults_want_the_probe(source: str | None, wanted: bool) -> None:
    from migration_audit.facts import ColumnFact, DefaultKind, DefaultValue, Schema, TableFact
    from migration_audit.sources.model_worker import wants_probe

    kind = DefaultKind.SQL if source and ("text" in source or "func" in source) else DefaultKind.CONSTANT
    table = TableFact("t", columns={"c": ColumnFact("c", default=DefaultValue(kind, "x", source=source))})
    assert wants_probe(Schema(tables={"t": table})) is wanted


def test_object_addresses_in_a_repr_are_not_nondeterminism(project: Project) -> None:
    project.models(BASE.replace("class Item(Base):", "class Money:\n    def __init__(self, v):\n        self.v = v\n\n\n"
                                "class Item(Base):")
                   + "    price = sa.Column(sa.PickleType, default=Money(0))\n")
    assert project.audit(select=["MA106"]).findings == []
