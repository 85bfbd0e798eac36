"""The revision hook and the post-write hook, through the real `alembic` command."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, run_alembic

SEED = '    token: Mapped[str] = mapped_column(sa.String(36), unique=True, default=str(uuid.uuid4()))\n'
GOOD = '    note: Mapped[str] = mapped_column(sa.String(50), server_default="")\n'


def _project(tmp_path: Path, hook_line: str = "process_revision_directives=process_revision_directives,") -> Path:
    return _project_on(tmp_path, None, hook_line)


def _project_on(tmp_path: Path, url: str | None,
                hook_line: str = "process_revision_directives=process_revision_directives,") -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "incident_fixed", root)
    if url is not None:
        ini = root / "alembic.ini"
        ini.write_text(ini.read_text().replace("sqlalchemy.url = sqlite:///shop.db",
                                               "sqlalchemy.url = " + url.replace("%", "%%")))
    env = root / "migrations" / "env.py"
    text = env.read_text()
    text = text.replace("from app.models import Base\n",
                        "from app.models import Base\nfrom migration_audit.hooks import chain, process_revision_directives\n")
    text = text.replace("connection=connection, target_metadata=target_metadata\n",
                        f"connection=connection, target_metadata=target_metadata,\n            {hook_line}\n")
    env.write_text(text)
    assert run_alembic(root, "upgrade", "head").returncode == 0
    return root


def _add_to_orders(root: Path, line: str) -> None:
    models = root / "app" / "models.py"
    text = models.read_text()
    anchor = '    total_cents: Mapped[int] = mapped_column(sa.Integer, server_default="0")\n'
    models.write_text(text.replace(anchor, anchor + line))


def _versions(root: Path) -> set[str]:
    return {p.name for p in (root / "migrations" / "versions").glob("*.py")}


def test_fail_mode_writes_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = _versions(root)
    _add_to_orders(root, SEED)
    run = run_alembic(root, "revision", "--autogenerate", "-m", "add token")
    assert run.returncode == 255, run.stderr
    assert _versions(root) == before
    assert "FAILED: migration-audit stopped this revision (2 errors); nothing was written." in run.stderr
    assert "app/models.py:39:76: MA101 [error] orders.token (unique)" in run.stderr
    # autogenerate adds the NOT NULL column to a table that has rows, with no server default
    assert re.search(r"migrations/versions/\w+_add_token\.py \(about to be written\): MA301 \[error\] orders\.token: ", run.stderr), run.stderr


def test_fail_mode_lists_the_errors_first_and_counts_the_warnings_past_ten(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _add_to_orders(root, SEED)
    # a new table (no MA301): 12 NOT NULL columns each given a value only by Python (MA204, warnings)
    columns = "".join(f"    c{i:02d}: Mapped[int] = mapped_column(sa.Integer, default={i})\n" for i in range(12))
    models = root / "app" / "models.py"
    models.write_text(models.read_text() + '\n\nclass Counter(Base):\n    __tablename__ = "counters"\n'
                      "    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)\n" + columns)
    run = run_alembic(root, "revision", "--autogenerate", "-m", "add token")
    assert run.returncode == 255, run.stderr
    start = run.stderr.index("FAILED: migration-audit stopped this revision (2 errors)")
    report = run.stderr[start:run.stderr.index("Fix what it reports", start)]
    lines = [ln for ln in report.splitlines() if re.search(r": MA\d+ \[", ln) or ln.startswith(("and ", "... "))]
    shown = [re.search(r"MA\d+ \[\w+\]", ln).group(0) if "MA" in ln and "[" in ln else ln for ln in lines]
    assert sorted(shown[:2]) == ["MA101 [error]", "MA301 [error]"]
    assert shown[2:] == [
        "and 12 warnings:", *["MA204 [warning]"] * 10,
        "... 2 more warnings (MA204 x2); `migration-audit check` lists them all",
    ]
    counter_line = models.read_text().splitlines().index("    c00: Mapped[int] = mapped_column(sa.Integer, default=0)") + 1
    assert lines[3].startswith(f"app/models.py:{counter_line}:") and "counters.c00" in lines[3]


def test_sigterm_in_the_hook_cleans_up_then_ends_the_process_by_sigterm(tmp_path: Path) -> None:
    """Inside `alembic`, nobody turns SIGTERM into an exception: the hook
    does, while it runs, so that its temporary folder goes, and the process
    then ends by the signal as it would have."""
    script = tmp_path / "term.py"
    script.write_text(
        "import os, signal, sys, tempfile\n"
        "from migration_audit.signals import sigterm_after_cleanup\n"
        "with sigterm_after_cleanup():\n"
        "    with tempfile.TemporaryDirectory(prefix='migration-audit-', dir=sys.argv[1]) as tmp:\n"
        "        open(os.path.join(tmp, 'pending.py'), 'w').close()\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        signal.pause()\n"
        "print('not reached')\n"
    )
    folder = tmp_path / "tmp"
    folder.mkdir()
    run = subprocess.run([sys.executable, str(script), str(folder)], capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (-15, "", "")
    assert list(folder.iterdir()) == []
    # the program's own SIGTERM handler is left alone, and is back afterwards
    script.write_text(
        "import os, signal\n"
        "from migration_audit.signals import sigterm_after_cleanup\n"
        "def mine(signum, frame):\n"
        "    print('mine')\n"
        "signal.signal(signal.SIGTERM, mine)\n"
        "with sigterm_after_cleanup():\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "print(signal.getsignal(signal.SIGTERM) is mine)\n"
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert (run.returncode, run.stdout) == (0, "mine\nTrue\n")


def test_warn_mode_writes_and_prints(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = _versions(root)
    _add_to_orders(root, SEED)
    run = run_alembic(root, "-x", "migration_audit=warn", "revision", "--autogenerate", "-m", "add token")
    assert run.returncode == 0, run.stderr
    assert len(_versions(root) - before) == 1
    assert "app/models.py:39:76: MA101 [error]" in run.stderr


def test_annotate_mode_puts_the_finding_above_the_operation(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = _versions(root)
    (root / "pyproject.toml").write_text('[tool.migration-audit]\nrevision-hook = "annotate"\n')
    _add_to_orders(root, SEED)
    run = run_alembic(root, "revision", "--autogenerate", "-m", "add token")
    assert run.returncode == 0, run.stderr
    [new] = _versions(root) - before
    lines = (root / "migrations" / "versions" / new).read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("op.add_column('orders'"))
    assert lines[at - 2].strip().startswith("# migration-audit: app/models.py:39: MA101 [error] orders.token")
    assert lines[at - 1].strip().startswith("# help: make it a callable")


def test_clean_change_is_written_silently(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = _versions(root)
    _add_to_orders(root, GOOD)
    run = run_alembic(root, "revision", "--autogenerate", "-m", "add note")
    assert run.returncode == 0, run.stderr
    assert len(_versions(root) - before) == 1
    assert "migration-audit" not in run.stderr


def test_chain_runs_the_users_hook_too(tmp_path: Path) -> None:
    root = _project(tmp_path, "process_revision_directives=chain(lambda c, r, d: print('USER HOOK'), "
                              "process_revision_directives),")
    _add_to_orders(root, SEED)
    run = run_alembic(root, "revision", "--autogenerate", "-m", "add token")
    assert run.returncode == 255 and "USER HOOK" in run.stdout


def test_alembic_check_fails_on_a_frozen_default(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _add_to_orders(root, SEED)
    run = run_alembic(root, "check")
    assert run.returncode == 255
    assert "MA101 [error] orders.token" in run.stderr


@pytest.mark.parametrize("mode", ["annotate", "warn"])
def test_alembic_check_fails_in_annotate_mode_and_only_warns_in_warn_mode(tmp_path: Path, mode: str) -> None:
    """There is no file to annotate under `alembic check`: an error fails it,
    as the default mode does; warn mode is the one that lets it pass."""
    root = _project(tmp_path)
    _add_to_orders(root, SEED)
    (root / "pyproject.toml").write_text(f'[tool.migration-audit]\nrevision-hook = "{mode}"\n')
    run = run_alembic(root, "check")
    assert "MA101 [error] orders.token" in run.stderr
    if mode == "annotate":
        assert run.returncode == 255
        assert "FAILED: migration-audit found 2 errors in the models or the pending operations" in run.stderr
    else:
        # the hook passes; Alembic itself still fails on the new column it found
        assert "migration-audit found" not in run.stderr


def test_frozen_default_on_an_existing_column_is_caught_without_schema_change(tmp_path: Path) -> None:
    """The incident itself: only the Python-side default changes, so
    autogenerate finds no operation, and the hook must still judge the model."""
    root = _project(tmp_path)
    models = root / "app" / "models.py"
    models.write_text(models.read_text().replace("default=lambda: str(uuid.uuid4())", "default=str(uuid.uuid4())", 1))
    check = run_alembic(root, "check")
    assert check.returncode == 255
    assert "migration-audit found 1 error in the models or the pending operations" in check.stderr
    before = _versions(root)
    run = run_alembic(root, "revision", "--autogenerate", "-m", "nothing")
    assert run.returncode == 255 and _versions(root) == before
    # a plain `alembic revision` (no autogenerate) is not the hook's business
    assert run_alembic(root, "revision", "-m", "manual").returncode == 0


def test_bad_configuration_is_a_clean_failure(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "pyproject.toml").write_text('[tool.migration-audit]\nrevision-hook = "warnn"\n')
    _add_to_orders(root, GOOD)
    run = run_alembic(root, "revision", "--autogenerate", "-m", "x")
    assert run.returncode == 255
    assert "FAILED: migration-audit:" in run.stderr and "revision-hook must be one of" in run.stderr
    assert "Traceback" not in run.stderr


def test_env_py_sys_path_reaches_the_model_import(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "src").mkdir()
    shutil.move(root / "app", root / "src" / "app")
    ini = root / "alembic.ini"
    ini.write_text(ini.read_text().replace("prepend_sys_path = .", "prepend_sys_path = ."))
    env = root / "migrations" / "env.py"
    env.write_text("import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'src'))\n"
                   + env.read_text())
    _add_to_orders(root / "src", SEED)
    run = run_alembic(root, "revision", "--autogenerate", "-m", "x")
    assert run.returncode == 255, run.stderr
    assert "MA101 [error] orders.token" in run.stderr and "MA002" not in run.stderr


def test_post_write_hook_fails_a_bad_revision(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "incident_fixed", root)
    ini = root / "alembic.ini"
    ini.write_text(ini.read_text().replace("[post_write_hooks]\n",
                                           "[post_write_hooks]\nhooks = audit\naudit.type = migration_audit\n"))
    import alembic

    if tuple(int(x) for x in alembic.__version__.split(".")[:2]) < (1, 18):
        # No alembic.plugins entry points before 1.18: register from env.py,
        # which `alembic revision` runs when revision_environment is on.
        ini.write_text(ini.read_text().replace("[alembic]\n", "[alembic]\nrevision_environment = true\n", 1))
        env = root / "migrations" / "env.py"
        env.write_text("from migration_audit.hooks import register_write_hook\nregister_write_hook()\n"
                       + env.read_text())
    mako = root / "migrations" / "script.py.mako"
    mako.write_text(mako.read_text().replace(
        "    ${upgrades if upgrades else \"pass\"}",
        "    op.add_column('users', sa.Column('ref', sa.String(36), unique=True,\n"
        "                  server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'))",
    ))
    models = root / "app" / "models.py"  # a model error is not this file's problem
    models.write_text(models.read_text().replace("default=lambda: str(uuid.uuid4())", "default=str(uuid.uuid4())"))
    run = run_alembic(root, "revision", "-m", "bad template")
    assert run.returncode == 255, run.stdout + run.stderr
    assert "migration-audit found problems in" in run.stderr and "the file was written" in run.stderr
    assert "MA102 [error] users.ref (unique)" in run.stderr and "MA101" not in run.stderr
    # a clean template passes
    mako.write_text(mako.read_text().replace("unique=True,\n", "\n").replace(
        "server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'", "server_default='x'"))
    run = run_alembic(root, "revision", "-m", "good template")
    assert run.returncode == 0, run.stderr


def test_plugin_entry_point_registers_the_hook_type() -> None:
    import alembic

    if tuple(int(x) for x in alembic.__version__.split(".")[:2]) < (1, 18):
        pytest.skip(f"alembic.plugins entry points arrived in Alembic 1.18; this is {alembic.__version__}")
    run = subprocess.run([sys.executable, "-c",
                          "import alembic\nfrom alembic.script import write_hooks\n"
                          "print('migration_audit' in write_hooks._registry)"],
                         capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "True", run.stderr


def test_revision_hook_on_postgresql(tmp_path: Path, pg_url: object) -> None:
    pytest.importorskip("psycopg")
    root = _project_on(tmp_path, str(pg_url.render_as_string(hide_password=False)))  # type: ignore[attr-defined]
    before = _versions(root)
    _add_to_orders(root, SEED)
    run = run_alembic(root, "revision", "--autogenerate", "-m", "add token")
    assert run.returncode == 255, run.stderr
    assert _versions(root) == before
    assert "app/models.py:39:76: MA101 [error] orders.token (unique)" in run.stderr
    run = run_alembic(root, "-x", "migration_audit=annotate", "revision", "--autogenerate", "-m", "add token")
    assert run.returncode == 0, run.stderr
    [new] = _versions(root) - before
    text = (root / "migrations" / "versions" / new).read_text()
    assert text.index("# migration-audit: app/models.py:39: MA101") < text.index("op.add_column('orders'")
    models = root / "app" / "models.py"
    models.write_text(models.read_text().replace(SEED, GOOD))
    (root / "migrations" / "versions" / new).unlink()
    run = run_alembic(root, "revision", "--autogenerate", "-m", "add note")
    assert run.returncode == 0 and "migration-audit" not in run.stderr, run.stderr
