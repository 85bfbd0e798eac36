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
