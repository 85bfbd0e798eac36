"""Import the project's models in a child interpreter, and perhaps twice.

The model module is the project's own code: it may print to file
descriptor 1, call ``os._exit``, start threads or never finish. It runs in a
child process whose standard output goes to our standard error, under a
timeout; only a pickled result file comes back, holding facts with plain
values (no object of the project's own classes).

Running two children and comparing what they report is the import-time
nondeterminism probe: a default that differs between two fresh imports was
computed at import from a nondeterministic source, whatever path it took.
The second import runs only when the first shows a default holding a value
that the model does not spell as a literal (see :func:`wants_probe`).
"""

from __future__ import annotations

import ast
import datetime
import decimal
import enum
import functools
import gc
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migration_audit.facts import DefaultKind, DefaultValue, Diagnostic, EnumMember, Location, Schema, Variance
from migration_audit.sources.child import kill_group, take_prestarted

if TYPE_CHECKING:
    from migration_audit.sources.models import RuntimeModels

DEFAULT_TIMEOUT = 120.0
_PLAIN = (str, int, float, bool, bytes, type(None), datetime.datetime, datetime.date, datetime.time,
          datetime.timedelta, decimal.Decimal, uuid.UUID)


@dataclass(slots=True)
class Request:
    specs: list[str]
    import_modules: dict[str, Location | None]
    roots: list[Path]
    sys_paths: list[Path]
    dialect: str
    fallback: Location
    root: Path
    # Read the models' source with `ast` instead of importing them (--static):
    # no project code runs, and the child reads them while the parent reads
    # the migrations.
    static: bool = False


@dataclass(slots=True)
class Result:
    models: RuntimeModels | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    schema: Schema | None = None  # the models located by the parent (static reading: at once)


def portable(value: Any, depth: int = 0) -> Any:
    """A value the parent can unpickle without the project's code."""
    if isinstance(value, _PLAIN) and type(value) in _PLAIN:
        return value
    if depth < 4 and type(value) in (list, tuple, set, frozenset):
        return type(value)(portable(v, depth + 1) for v in value)
    if depth < 4 and type(value) is dict:
        return {portable(k, depth + 1): portable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, enum.Enum) and isinstance(value.name, str):
        return EnumMember(type(value).__name__, value.name, portable(value.value, depth + 1))
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ in project code
        return f"<{type(value).__name__}>"


def _portable_default(value: DefaultValue | None) -> DefaultValue | None:
    return None if value is None else replace(value, value=portable(value.value))


def _portable_models(models: RuntimeModels) -> RuntimeModels:
    for table in models.tables:
        for record in table.columns:
            col = record.fact
            record.fact = replace(
                col,
                default=_portable_default(col.default),
                server_default=_portable_default(col.server_default),
                onupdate=_portable_default(col.onupdate),
                server_onupdate=_portable_default(col.server_onupdate),
            )
    return models


def work(request: Request) -> Result:
    """In the child: import, read the metadata, return facts. Locating them
    in the source is left to the parent, which has read the migrations
    meanwhile: the child's time is the audit's critical path, and its
    memory (the imported models) is added to the parent's."""
    from migration_audit.sources.models import load_metadata, runtime_models

    result = Result()
    if request.static:
        from migration_audit.sources.model_ast import static_schema

        search = list(dict.fromkeys(p.resolve() for p in request.sys_paths))
        result.schema, result.diagnostics = static_schema(request.specs, request.import_modules, search,
                                                          request.dialect, request.fallback)
        return result
    sys.path[:0] = [str(p.resolve()) for p in request.sys_paths]  # a child process: nothing to restore
    metadatas, result.diagnostics = load_metadata(request.specs, request.import_modules, request.roots,
                                                  request.fallback)
    if metadatas:
        result.models = _portable_models(runtime_models(metadatas, request.dialect, request.roots))
    return result


def _watch_parent() -> None:
    """Standard input is a pipe the audit holds until it has the result:
    when it ends before this process is done, the audit is gone (killed with
    SIGKILL, say), and this process and whatever the project's code started
    go too, instead of importing on, perhaps forever. The project's code
    gets an empty standard input, as before."""
    import threading

    try:
        watched = os.dup(0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
    except OSError:
        return
    sys.stdin = open(0, closefd=False)

    def watch() -> None:
        try:
            while os.read(watched, 4096):
                pass
        except OSError:
            pass
        if hasattr(os, "killpg") and os.getpgid(0) == os.getpid():  # it leads a group of its own
            try:
                os.killpg(os.getpid(), 9)
            except OSError:
                pass
        os._exit(1)

    threading.Thread(target=watch, name="migration-audit-parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    waited = argv[:1] in (["--wait"], ["--wait-static"])
    # SQLAlchemy first, before any project folder is on sys.path (the worker
    # runs with -P): as in Alembic, which imports it before env.py runs, a
    # project's own sqlalchemy.py cannot shadow it (the static reader puts
    # no project folder on sys.path, and imports SQLAlchemy when it needs
    # it). Started ahead (child.prestart_model_worker), the worker does this
    # while the audit reads its configuration, then waits for the request on
    # standard input.
    try:
        if argv[:1] == ["--wait-static"]:
            # No SQLAlchemy: the static reader spells the common types and
            # defaults itself (sources/plain.py) and imports it only for the
            # rest; most models never need it, and it takes 0.2 s.
            import migration_audit.sources.model_ast  # noqa: F401
        else:
            import sqlalchemy.orm  # noqa: F401

            import migration_audit.sources.models  # noqa: F401
    except BaseException:  # noqa: BLE001 - the request reports it properly
        pass
    if waited:
        line = sys.stdin.buffer.readline()
        if not line.endswith(b"\n"):
            os._exit(0)  # nothing asked of it: the audit ended first
        request_path, result_path = os.fsdecode(line[:-1]).split("\0")
    else:
        request_path, result_path = argv[:2]
    _watch_parent()
    with open(request_path, "rb") as fh:
        request: Request = pickle.load(fh)
    if not request.static:
        # the project folder, current and first on sys.path, as `python -m`
        # run there would have it
        os.chdir(request.root)
        sys.path.insert(0, os.getcwd())
    # Whatever the project writes to stdout, at any level, lands on stderr
    # (nowhere, when the audit runs with its standard error closed).
    try:
        os.dup2(2, 1)
    except OSError:
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, 1)
        os.dup2(nowhere, 2)
        sys.stderr = open(2, "w", closefd=False)
    sys.stdout = sys.stderr
    if request.static:
        # Only our reader runs: its trees and facts hold no reference cycles,
        # and with the cyclic GC on it spends a third of its time rescanning
        # them (1,000 model classes: 1.2 s, 0.7 s without).
        gc.disable()
    else:
        # The project's code runs, and may leave cycles to collect: collect
        # them, but less often. SQLAlchemy's declarative set-up of 1,000
        # classes allocates millions of objects that live on, and young
        # collections every 700 allocations rescan them (2.4 s; 1.7 s so).
        gc.set_threshold(50_000, 10, 10)
    result = work(request)
    data = pickle.dumps(result)
    tmp = result_path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, result_path)
    sys.stderr.flush()
    # Skip interpreter shutdown: atexit handlers and non-daemon threads the
    # project started must not hold the audit.
    os._exit(0)


def _spawn(request_path: str, result_path: str, cwd: Path, quiet: bool) -> subprocess.Popen[bytes]:
    # -P: the project folder is not put on sys.path at start-up, where a
    # project's `sqlalchemy.py` would shadow the library (see main)
    return subprocess.Popen(
        [sys.executable, "-P", "-m", "migration_audit.sources.model_worker", request_path, result_path],
        cwd=str(cwd),
        stdin=subprocess.PIPE,  # held until the result is taken: see _watch_parent
        stdout=subprocess.DEVNULL,  # the child also points its fd 1 at its stderr
        start_new_session=hasattr(os, "killpg"),  # its own process group, killed as one
        stderr=subprocess.DEVNULL if quiet else None,  # the project's output is shown once
    )


class ModelImport:
    """A child importing the models, started at once so that it works while
    the parent reads the migrations; :meth:`second` runs the probe's second
    import, wanted only when the first shows a default computed by code."""

    def __init__(self, request: Request, runs: int = 2, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.request = request
        self.timeout = timeout
        self.runs = runs
        self._tmp = tempfile.TemporaryDirectory(prefix="migration-audit-")
        self._request_path = os.path.join(self._tmp.name, "request.pickle")
        with open(self._request_path, "wb") as fh:
            pickle.dump(request, fh)
        self._procs: list[tuple[subprocess.Popen[bytes], str, float]] = []
        self._start()

    def _start(self) -> tuple[subprocess.Popen[bytes], str, float]:
        i = len(self._procs)
        result_path = os.path.join(self._tmp.name, f"result-{i}.pickle")
        proc = take_prestarted() if i == 0 else None
        if proc is not None:
            try:
                assert proc.stdin is not None
                proc.stdin.write(os.fsencode(f"{self._request_path}\0{result_path}\n"))
                proc.stdin.flush()  # and held open until the result is taken: see _watch_parent
            except OSError:  # it died meanwhile
                kill_group(proc)
                proc = None
        if proc is None:
            proc = _spawn(self._request_path, result_path, self.request.root, quiet=i > 0)
        self._procs.append((proc, result_path, time.monotonic() + self.timeout))
        return self._procs[-1]

    def running(self) -> bool:
        """Whether the first import is still under way."""
        return self._procs[0][0].poll() is None

    def first(self) -> Result:
        return self._result(*self._procs[0])

    def second(self) -> Result | None:
        """The probe's import (started now), or None when there is none."""
        try:
            return self._result(*self._start()) if self.runs > 1 else None
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the children that still run, and whatever processes the
        project's code started in them; remove the exchange files."""
        for proc, _, _ in self._procs:
            kill_group(proc)
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        self._tmp.cleanup()

    def _result(self, proc: subprocess.Popen[bytes], result_path: str, deadline: float) -> Result:
        # Popen.wait(timeout) sleeps up to 50 ms between looks; the audit
        # waits on this child, so look every 5 ms.
        while (code := proc.poll()) is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if code is None and self.request.static:
            kill_group(proc)
            proc.wait()
            return _failed(self.request, f"reading the model source did not finish within {self.timeout:g} s; "
                                         "raise --import-timeout (import-timeout in [tool.migration-audit])")
        if code is None:
            kill_group(proc)
            proc.wait()
            return _failed(self.request, f"importing the models did not finish within {self.timeout:g} s "
                                         "(an endless loop, or waiting on a network service?); if it is "
                                         "only slow, raise --import-timeout (import-timeout in "
                                         "[tool.migration-audit]), or audit without importing it: --static")
        if not os.path.exists(result_path) and self.request.static:
            return _failed(self.request, f"the process reading the model source ended (exit code {code}) "
                                         "before it could report; its error is shown above")
        if not os.path.exists(result_path):
            return _failed(self.request, f"the model import ended the process (exit code {code}) "
                                         "before the metadata could be read; look for os._exit() or a "
                                         "crash at import time")
        with open(result_path, "rb") as fh:
            return pickle.load(fh)


def _failed(request: Request, message: str) -> Result:
    return Result(None, [Diagnostic(
        "MA002",
        f"cannot load model metadata {', '.join(request.specs)}: {message}",
        "make importing the models free of side effects, or point --metadata at a module that only defines them",
        request.fallback,
    )])


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _shown(value: DefaultValue | None) -> tuple[object, ...]:
    """What is compared between two imports; object addresses in a repr
    (`<Money object at 0x7f…>`) differ per process and mean nothing."""
    if value is None:
        return (None,)
    return (value.kind, _ADDRESS.sub("", repr(value.value)), value.sql)


_SQL_CONSTRUCTORS = frozenset({"text", "literal", "literal_column", "true", "false", "null", "cast"})


def _literal(node: ast.expr) -> bool:
    """Whether the expression gives the same value in every process: a
    literal, or SQLAlchemy's constructors (``text('0')``, ``func.now()``)
    applied to literals."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _literal(node.operand)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_literal(e) for e in node.elts)
    if isinstance(node, ast.Call):
        path, func = [], node.func
        while isinstance(func, ast.Attribute):
            path.append(func.attr)
            func = func.value
        if isinstance(func, ast.Name):
            path.append(func.id)
        constructor = bool(path) and (path[0] in _SQL_CONSTRUCTORS or "func" in path[1:])
        return (constructor and all(_literal(a) for a in node.args)
                and all(_literal(k.value) for k in node.keywords))
    return False


def wants_probe(schema: Schema) -> bool:
    """Whether a second import could show anything: some default holding a
    value (a constant or SQL) was computed by code the first import ran,
    not written as a literal in the model."""
    for table in schema.tables.values():
        for col in table.columns.values():
            for value in (col.default, col.server_default, col.onupdate, col.server_onupdate):
                if value is None or value.kind not in (DefaultKind.CONSTANT, DefaultKind.SQL, DefaultKind.OPAQUE):
                    continue
                if value.source is None or not _literal_source(value.source):
                    return True
    return False


@functools.lru_cache(maxsize=4096)
def _literal_source(source: str) -> bool:
    try:
        return _literal(ast.parse(source, mode="eval").body)
    except (SyntaxError, ValueError):
        return False


def compare(first: Schema, second: Schema) -> list[Variance]:
    out: list[Variance] = []
    for key, table in first.tables.items():
        other = second.tables.get(key)
        if other is None:
            continue
        for name, col in table.columns.items():
            twin = other.columns.get(name)
            if twin is None:
                continue
            for attr in ("default", "server_default", "onupdate", "server_onupdate"):
                a, b = getattr(col, attr), getattr(twin, attr)
                if a is not None and _shown(a) != _shown(b):
                    out.append(Variance(key, col, attr, a, b))
    return out


if __name__ == "__main__":  # pragma: no cover - exercised through ModelImport
    # Run the importable module, not __main__, so that the pickled result
    # names migration_audit.sources.model_worker.Result.
    from migration_audit.sources import model_worker

    raise SystemExit(model_worker.main(sys.argv[1:]))
