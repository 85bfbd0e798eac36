"""Child interpreters that run project code (migrations applied to a scratch
database, the probe's inserts): each leads its own process group, and the
whole group is killed when it runs out of time or the audit stops, so that
nothing the project's code started outlives the audit."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def run(argv: list[str], *, timeout: float, cwd: Path, env: dict[str, str],
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Like subprocess.run(capture_output=True, text=True); raises
    subprocess.TimeoutExpired after ``timeout`` seconds."""
    group = hasattr(os, "killpg")
    proc = subprocess.Popen(argv, cwd=cwd, env=env, text=True, start_new_session=group,
                            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except BaseException:  # a timeout, Ctrl-C, SIGTERM: the whole group goes
        kill_group(proc)
        raise
    kill_group(proc)  # whatever it started and left behind
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def kill_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Kill the child's process group (the child leads its own)."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone
    elif proc.poll() is None:  # pragma: no cover - Windows
        proc.kill()
    proc.wait()


# -- a model worker started before it is needed ---------------------------------

_prestarted: subprocess.Popen[bytes] | None = None


def prestart_model_worker(static: bool = False) -> None:
    """Start the model worker (:mod:`.model_worker`) now, before the audit
    knows what to ask of it: it imports SQLAlchemy while this process
    starts up and reads the configuration, then waits on its standard input
    for the request. Called by the command line for `check` only; the first
    model import or static read takes it (:func:`take_prestarted`).
    ``static``: --static was asked for; the worker imports the static reader
    too."""
    global _prestarted
    if _prestarted is not None:
        return
    import sys

    try:
        _prestarted = subprocess.Popen(
            # -P: nothing of the current folder on sys.path (the worker puts the
            # project's own folder there itself, once it knows which one)
            [sys.executable, "-P", "-m", "migration_audit.sources.model_worker",
             "--wait-static" if static else "--wait"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=hasattr(os, "killpg"),
        )
    except OSError:
        _prestarted = None  # the audit starts one when it needs it


def take_prestarted() -> subprocess.Popen[bytes] | None:
    """The worker :func:`prestart_model_worker` started, if it still waits."""
    global _prestarted
    proc, _prestarted = _prestarted, None
    if proc is not None and proc.poll() is not None:
        return None
    return proc


def discard_prestarted() -> None:
    """Stop the worker if nothing took it (a usage error, no models)."""
    proc = take_prestarted()
    if proc is not None:
        kill_group(proc)
