"""The generated benchmark project is what the benchmarks claim: a history
with the realistic mix that `alembic upgrade head` applies and `alembic
check` (with compare_server_default) passes, and that migration-audit reads
without a finding. A false alarm here would be a false alarm on the most
ordinary history there is."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_alembic

from migration_audit.cli import main

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402


def test_generated_history_upgrades_passes_alembic_check_and_is_clean(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "bench"
    generate(root, tables=20, revisions=160)
    versions = sorted((root / "migrations" / "versions").iterdir())
    text = "".join(p.read_text() for p in versions)
    assert len(versions) == 160
    # the mix the benchmark promises
    for op in ("op.create_table(", "op.add_column(", "batch_op.alter_column(", "batch_op.drop_column(",
               "op.create_index(", "batch_op.create_unique_constraint(", "op.execute(", "down_revision = ('"):
        assert op in text, op
    # every 50th revision opens a branch the next but one merges, unless a table is created there (150)
    assert text.count("down_revision = ('") == 2

    upgrade = run_alembic(root, "upgrade", "head")
    assert upgrade.returncode == 0, upgrade.stderr
    monkeypatch.setenv("MIGRATION_AUDIT_BENCH_COMPARE_DEFAULTS", "1")
    check = run_alembic(root, "check")
    assert check.returncode == 0 and "No new upgrade operations detected." in check.stderr, check.stderr
    monkeypatch.delenv("MIGRATION_AUDIT_BENCH_COMPARE_DEFAULTS")

    assert main(["check", str(root), "--format", "json", "--no-cache"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == []
    assert report["summary"]["revisions"] == 160 and report["summary"]["tables"] == 20
    assert os.environ.get("MIGRATION_AUDIT_BENCH_COMPARE_DEFAULTS") is None
