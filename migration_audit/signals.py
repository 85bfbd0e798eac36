"""SIGTERM (`timeout`, a cancelled CI job, a killed `alembic` command) while
migration-audit runs: raised as :class:`Terminated` where the audit is, so
that every cleanup runs (child processes stopped, temporary folders and
scratch databases removed). Only when nobody else has claimed the signal,
and only in the main thread, where Python delivers it."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(BaseException):
    """SIGTERM arrived; the stack unwinds through every ``finally``."""


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Inside: SIGTERM raises :class:`Terminated`. The handler that was
    there before is put back on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield  # the program has its own handler (or ignores the signal): left as it is
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def sigterm_after_cleanup() -> Iterator[None]:
    """For code running inside another program (an Alembic command): SIGTERM
    unwinds it, cleaning up, and then ends the process by SIGTERM, as the
    signal would have without migration-audit."""
    try:
        with sigterm_unwinds():
            yield
    except Terminated:
        os.kill(os.getpid(), signal.SIGTERM)  # the default handler is back: the process ends here
        raise  # pragma: no cover - only if the signal is blocked
