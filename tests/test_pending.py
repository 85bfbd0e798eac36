"""Before upgrade: audit only what the database has not applied, and refuse to run it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import FIXTURES, revision_file, run_alembic

from migration_audit.cli import main

BAD = revision_file("b4d5eed00001", "a75d96017ea7", """
    op.create_table('tokens',
        sa.Column('id', sa.String(36), server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f', nullable=False),
        sa.PrimaryKeyConstraint('id'))
""")


def _state(root: Path) -> tuple[list[str], list[str]]:
    with sqlite3.connect(root / "shop.db") as db:
        versions = [r[0] for r in db.execute("SELECT version_num FROM alembic_version")]
        tables = sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    return versions, tables


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "incident_fixed", root)
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "        with context.begin_transaction():\n            context.run_migrations()\n\n\nif",
        "        from migration_audit.hooks import guard_upgrade\n\n        guard_upgrade(context)\n"
        "        with context.begin_transaction():\n            context.run_migrations()\n\n\nif",
    ))
    assert "guard_upgrade(context)" in env.read_text()
    run = run_alembic(root, "upgrade", "head")
    assert run.returncode == 0, run.stderr
    return root


def test_guard_refuses_a_pending_error_and_changes_nothing(shop: Path) -> None:
    before = _state(shop)
    (shop / "migrations" / "versions" / "b4d5eed00001_tokens.py").write_text(BAD)
    run = run_alembic(shop, "upgrade", "head")
    assert run.returncode == 255
    assert "migration-audit refused to upgrade: 1 error in the revisions this upgrade would run; nothing was run." in run.stderr
    assert "migrations/versions/b4d5eed00001_tokens.py:" in run.stderr and "MA102 [error] tokens.id" in run.stderr
    # the command to skip is the one typed, `head`, not the revision Alembic resolved it to
    assert "or run `alembic -x migration_audit=skip upgrade head` to apply it anyway." in run.stderr
    assert _state(shop) == before == (["a75d96017ea7"], ["alembic_version", "orders", "users"])
    # a misspelt skip is not taken for a skip, nor silently for a refusal
    run = run_alembic(shop, "-x", "migration_audit=skpi", "upgrade", "head")
    assert run.returncode == 255
    assert "migration-audit: unknown -x migration_audit=skpi; the upgrade guard knows only " \
           "`-x migration_audit=skip`" in run.stderr
    assert _state(shop) == before
    # skipping is possible, and logged
    run = run_alembic(shop, "-x", "migration_audit=skip", "upgrade", "head")
    assert run.returncode == 0, run.stderr
    assert "upgrade guard skipped (-x migration_audit=skip)" in run.stderr
    assert _state(shop)[0] == ["b4d5eed00001"]


def test_guard_judges_only_the_revisions_this_upgrade_runs(shop: Path) -> None:
    run = run_alembic(shop, "downgrade", "5bf85f361826")
    assert run.returncode == 0, run.stderr
    (shop / "migrations" / "versions" / "b4d5eed00001_tokens.py").write_text(BAD)
    # the bad revision comes after a75d96017ea7: upgrading to that is fine
    run = run_alembic(shop, "upgrade", "a75d96017ea7")
    assert run.returncode == 0, run.stderr
    run = run_alembic(shop, "upgrade", "+1")
    assert run.returncode == 255
    assert "alembic -x migration_audit=skip upgrade +1" in run.stderr


def test_guard_lets_a_fixed_revision_through(shop: Path) -> None:
    fixed = BAD.replace("server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'",
                        "server_default=sa.text('(lower(hex(randomblob(16))))')")
    (shop / "migrations" / "versions" / "b4d5eed00001_tokens.py").write_text(fixed)
    run = run_alembic(shop, "upgrade", "head")
    assert run.returncode == 0, run.stderr
    assert _state(shop) == (["b4d5eed00001"], ["alembic_version", "orders", "tokens", "users"])


def test_check_pending_reports_only_unapplied_revisions(shop: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # an applied revision with a finding is history: not reported
    applied = next((shop / "migrations" / "versions").glob("5bf85f361826_*.py"))
    applied.write_text(applied.read_text().replace("server_default='0'",
                                                   "server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'"))
    (shop / "migrations" / "versions" / "b4d5eed00001_tokens.py").write_text(BAD)
    url = f"sqlite:///{shop / 'shop.db'}"
    assert main(["check", str(shop), "--pending", "--database-url", url, "--format", "json"]) == 1
    out, err = capfd.readouterr()
    assert [(f["code"], f["object"]) for f in json.loads(out)["findings"]] == [("MA102", "tokens.id")]
    assert "1 pending revision: b4d5eed00001" in err
    assert main(["check", str(shop), "--format", "json"]) == 1
    everything = {(f["code"], f["object"]) for f in json.loads(capfd.readouterr().out)["findings"]}
    assert {("MA102", "orders.total_cents"), ("MA102", "tokens.id")} <= everything


def test_pending_needs_a_readable_database(shop: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(shop), "--pending"]) == 2
    assert "--pending needs --database-url" in capfd.readouterr().err
    bad = "postgresql+psycopg://auditor:s3cret@127.0.0.1:1/nope"
    assert main(["check", str(shop), "--pending", "--database-url", bad]) == 2
    err = capfd.readouterr().err
    # without psycopg (the oldest-dependencies run) it fails earlier, still masked
    assert "postgresql+psycopg://auditor:***@127.0.0.1:1/nope" in err
    assert "s3cret" not in err


def test_pending_never_creates_a_database_and_reads_another_version_table(
        shop: Path, capfd: pytest.CaptureFixture[str]) -> None:
    missing = shop / "nonexistent.db"
    assert main(["check", str(shop), "--pending", "--database-url", f"sqlite:///{missing}"]) == 2
    assert "no such database file (it is not created: migration-audit only reads)" in capfd.readouterr().err
    assert not missing.exists()
    url = f"sqlite:///{shop / 'shop.db'}"
    assert main(["check", str(shop), "--pending", "--database-url", url, "--version-table", "my_versions"]) == 0
    err = capfd.readouterr().err
    assert "has no table my_versions: every revision counts as pending" in err
    assert "3 pending revisions: 7fc4fcfea105, 5bf85f361826, a75d96017ea7" in err


def test_pending_refuses_a_database_at_a_revision_no_file_defines(shop: Path,
                                                                   capfd: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(shop / "shop.db") as db:
        db.execute("UPDATE alembic_version SET version_num = 'deadbeef0000'")
    url = f"sqlite:///{shop / 'shop.db'}"
    assert main(["check", str(shop), "--pending", "--database-url", url]) == 2
    assert capfd.readouterr().err == (
        f"migration-audit: error: --pending: the database {url} is at revision deadbeef0000, which no revision "
        "file here defines (a branch not checked out, or a database upgraded from other code); Alembic refuses "
        "to upgrade it too\n")
