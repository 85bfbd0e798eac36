"""The command as a process: signals, closed or full output streams, odd
--output targets. Each ends in a one-line message and a documented exit
code, and leaves no process or file behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import FIXTURES

CLI = [sys.executable, "-c", "import sys; from migration_audit.cli import main; sys.exit(main(sys.argv[1:]))"]

HANG = (
    "import pathlib, subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "pathlib.Path(__file__).with_name('child.pid').write_text(str(child.pid))\n"
    "while True:\n"
    "    time.sleep(0.1)\n"
)


def _hanging_project(tmp_path: Path) -> Path:
    root = tmp_path / "incident"
    shutil.copytree(FIXTURES / "incident", root)
    (root / "app" / "hang.py").write_text(HANG)
    with open(root / "app" / "models.py", "a") as fh:
        fh.write("import app.hang  # noqa: E402,F401\n")
    return root


def _gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _child_pid(root: Path, within: float = 60.0) -> int:
    marker = root / "app" / "child.pid"
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text():
            return int(marker.read_text())
        time.sleep(0.05)
    raise AssertionError("the model import never started its child")


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_the_audit_its_children_and_theirs(tmp_path: Path) -> None:
    root = _hanging_project(tmp_path)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([*CLI, "check", str(root), "--import-timeout", "60", "--no-cache"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    grandchild = _child_pid(root)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (143, "migration-audit: terminated\n")
    assert _gone(grandchild), "a process the model import started outlived the audit"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("migration-audit-")]


@pytest.mark.skipif(sys.platform == "win32", reason="process groups")
def test_an_import_timeout_kills_what_the_import_started(tmp_path: Path) -> None:
    root = _hanging_project(tmp_path)
    run = subprocess.run([*CLI, "check", str(root), "--import-timeout", "3", "--no-cache", "--select", "MA002"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "did not finish within 3 s" in run.stdout, run.stdout + run.stderr
    assert _gone(_child_pid(root))


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_import_timeout_must_be_a_finite_positive_number(value: str) -> None:
    run = subprocess.run([*CLI, "check", str(FIXTURES / "incident"), "--import-timeout", value],
                         capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"migration-audit: error: --import-timeout must be a positive number of seconds, " \
                         f"not {float(value)!r}\n"


def test_a_full_or_closed_standard_output_is_one_line(tmp_path: Path) -> None:
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            run = subprocess.run([*CLI, "check", str(FIXTURES / "incident")], stdout=full, stderr=subprocess.PIPE,
                                 text=True, timeout=120)
        assert (run.returncode, run.stderr) == (
            2, "migration-audit: error: cannot write to standard output: No space left on device\n")
    run = subprocess.run([*CLI, "rules"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         timeout=120, preexec_fn=lambda: os.close(1))
    assert (run.returncode, run.stderr) == (
        2, "migration-audit: error: cannot write to standard output: standard output is closed\n")


def test_a_reader_that_goes_away_is_not_an_error() -> None:
    proc = subprocess.Popen([*CLI, "explain", "MA101"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `| head -0` would
    err = proc.stderr.read().decode()
    assert (proc.wait(timeout=60), err) == (141, "")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_output_into_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    run = subprocess.run([*CLI, "check", str(FIXTURES / "incident"), "-o", str(fifo)], capture_output=True,
                         text=True, timeout=120)
    reader.join(timeout=60)
    assert run.returncode == 1 and got and got[0].startswith("app/models.py:25:61: MA101 [error]")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_output_file_mode_follows_the_umask_and_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    old = os.umask(0o022)
    try:
        run = subprocess.run([*CLI, "check", str(FIXTURES / "incident"), "-o", str(target)], capture_output=True,
                             timeout=120)
        assert run.returncode == 1 and stat.S_IMODE(target.stat().st_mode) == 0o644
        target.chmod(0o640)
        subprocess.run([*CLI, "check", str(FIXTURES / "incident"), "-o", str(target)], capture_output=True,
                       timeout=120)
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
        assert target.read_text().startswith("app/models.py:25:61: MA101 [error]")
    finally:
        os.umask(old)


def test_explain_error_with_standard_input_closed_is_one_line() -> None:
    run = subprocess.run([*CLI, "explain-error", "-p", str(FIXTURES / "incident"), "-"], capture_output=True,
                         text=True, timeout=120, preexec_fn=lambda: os.close(0))
    assert (run.returncode, run.stderr) == (
        2, "migration-audit: error: explain-error: standard input is closed; give the error text as an argument\n")


@pytest.mark.skipif(sys.platform == "win32", reason="process groups")
def test_a_probe_timeout_kills_what_the_import_started(tmp_path: Path) -> None:
    root = _hanging_project(tmp_path)
    run = subprocess.run([*CLI, "probe", str(root), "--import-timeout", "5"], capture_output=True, text=True,
                         timeout=180)
    assert run.returncode in (1, 2) and "Traceback" not in run.stderr, run.stdout + run.stderr
    assert _gone(_child_pid(root, within=1))


# -- the model worker started ahead (`migration-audit check`) --------------------

CONSOLE = [sys.executable, "-m", "migration_audit"]  # as the console script runs: the worker starts first

WHERE = (
    "import os, sys\n"
    "open({marker!r}, 'a').write(os.getcwd() + '|' + sys.path[0] + '\\n')\n"
)


def _waiting_workers() -> list[int]:
    """Model workers started ahead that still run, by their command line."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    argv = fh.read().split(b"\0")
            except OSError:
                continue
            if b"migration_audit.sources.model_worker" in argv and (b"--wait" in argv or b"--wait-static" in argv):
                found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="lists processes through /proc (Linux)")
def test_the_worker_started_ahead_imports_the_models_as_one_started_for_them(tmp_path: Path) -> None:
    """The worker starts before the project is known; it must import the
    models from the project folder, with that folder first on sys.path, as
    a worker started in the folder does, and find the same."""
    root = tmp_path / "incident"
    shutil.copytree(FIXTURES / "incident", root)
    marker = tmp_path / "where"
    models = root / "app" / "models.py"
    models.write_text(models.read_text() + WHERE.format(marker=str(marker)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    runs = []
    for argv in (CONSOLE, CLI):
        runs.append(subprocess.run([*argv, "check", str(root), "--format", "json", "--select", "MA101"],
                                   cwd=elsewhere, capture_output=True, text=True, timeout=120))
    ahead, started = runs
    assert ahead.returncode == started.returncode == 1, ahead.stderr + started.stderr
    assert ahead.stdout == started.stdout and '"MA101"' in ahead.stdout
    # two imports each (the probe's second import starts a worker of its own)
    real = str(root.resolve())
    assert marker.read_text().splitlines() == [f"{real}|{real}"] * 4


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="lists processes through /proc (Linux)")
@pytest.mark.parametrize("args", [["--no-such-option"], ["--help"], ["{missing}"], ["{no_models}"],
                                  ["{no_models}", "--static"]])
def test_a_check_that_needs_no_worker_leaves_none(tmp_path: Path, args: list[str]) -> None:
    no_models = tmp_path / "no_models"
    shutil.copytree(FIXTURES / "incident", no_models)
    shutil.rmtree(no_models / "app")
    (no_models / "migrations" / "env.py").write_text("target_metadata = None\n")
    before = set(_waiting_workers())
    argv = [a.format(missing=tmp_path / "missing", no_models=no_models) for a in args]
    run = subprocess.run([*CONSOLE, "check", *argv], capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1, 2), run.stderr
    assert "Traceback" not in run.stderr
    deadline = time.monotonic() + 5
    while set(_waiting_workers()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(_waiting_workers()) - before == set()


@pytest.mark.parametrize("argv", [CONSOLE, CLI], ids=["worker started ahead", "worker started for the models"])
def test_a_project_sqlalchemy_module_shadows_nothing_in_the_model_import(tmp_path: Path, argv: list[str]) -> None:
    """Alembic imports SQLAlchemy before env.py puts the project folder on
    sys.path; so does the model worker, in both its ways of starting."""
    root = tmp_path / "incident"
    shutil.copytree(FIXTURES / "incident", root)
    (root / "sqlalchemy.py").write_text("raise RuntimeError('the project sqlalchemy.py was imported')\n")
    run = subprocess.run([*argv, "check", str(root), "--format", "json"], capture_output=True, text=True,
                         timeout=120)
    found = [(f["code"], f["path"], f["line"], f["column"]) for f in json.loads(run.stdout)["findings"]]
    assert found == [("MA101", "app/models.py", 25, 61)], run.stderr


def _dead(pid: int, within: float = 5.0) -> bool:
    """Gone, or a zombie nobody has reaped yet."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/status") as fh:
                if any(line.startswith("State:") and "Z" in line for line in fh):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="watches processes through /proc (Linux)")
@pytest.mark.parametrize("argv", [CONSOLE, CLI], ids=["worker started ahead", "worker started for the models"])
def test_a_killed_audit_takes_its_model_import_along(tmp_path: Path, argv: list[str]) -> None:
    """SIGKILL runs no cleanup: the worker notices its input pipe end and
    stops, with what the project's code started, instead of importing on."""
    root = _hanging_project(tmp_path)
    before = set(_waiting_workers())
    proc = subprocess.Popen([*argv, "check", str(root), "--import-timeout", "120", "--no-cache"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    grandchild = _child_pid(root)
    workers = set(_waiting_workers()) - before
    proc.kill()
    proc.wait(timeout=30)
    assert _dead(grandchild), "the project's process outlived a killed audit"
    assert all(_dead(pid) for pid in workers), "the model worker outlived a killed audit"
