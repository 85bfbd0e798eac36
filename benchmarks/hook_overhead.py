"""How much the revision hook adds to `alembic revision --autogenerate`.

Generates a 300-table project, upgrades it on SQLite, adds one column to a
model, then times `alembic revision --autogenerate` with and without the
hook (whole processes, alternating in ABBA order, --runs of each) and prints
the medians, the fastest runs and the median of the paired runs' ratios.

    python benchmarks/hook_overhead.py [--tables 300] [--runs 7] [--url URL]

With --url (a PostgreSQL or MySQL/MariaDB server URL, e.g.
postgresql+psycopg://postgres@127.0.0.1/test), the project's database is a
scratch database created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402


def _alembic(root: Path, *args: str, hook: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole `alembic` process. The CPU
    time (user + system) is less disturbed by other work on the machine."""
    env = {**os.environ, "MIGRATION_AUDIT_BENCH_HOOK": "1" if hook else "0", "PYTHONWARNINGS": "ignore",
           "MIGRATION_AUDIT_CACHE_DIR": str(root.parent / "cache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a developer's machine: __pycache__ written by the first run
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "alembic", *args], cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise SystemExit(f"alembic {' '.join(args)} failed:\n{run.stdout}{run.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@contextlib.contextmanager
def _scratch(server: str | None) -> Iterator[str | None]:
    """A database created on ``server`` for the run, dropped afterwards."""
    if not server:
        yield None
        return
    import sqlalchemy as sa

    base = sa.engine.make_url(server)
    name = f"ma_bench_{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE {name}"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", help="a database server to run on instead of SQLite")
    args = parser.parse_args()
    # As `pip install` leaves it: byte-compiled (an editable install under
    # PYTHONDONTWRITEBYTECODE would compile migration-audit on every run).
    import migration_audit

    compileall.compile_dir(Path(migration_audit.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory() as tmp, _scratch(args.url) as url:
        root = Path(tmp) / "bench"
        generate(root, args.tables, 30, url=url)
        _alembic(root, "upgrade", "head", hook=False)
        models = root / "bench" / "models.py"
        models.write_text(models.read_text().replace(
            "    __tablename__ = 'table_0000'\n",
            "    __tablename__ = 'table_0000'\n    added = sa.Column(sa.String(10), server_default='x')\n"))
        versions = root / "migrations" / "versions"
        before = set(versions.iterdir())
        wall: dict[bool, list[float]] = {False: [], True: []}
        cpu: dict[bool, list[float]] = {False: [], True: []}
        # The first run with the hook reads every revision; later ones find
        # them in the revision cache (they have not changed).
        cold = _alembic(root, "revision", "--autogenerate", "-m", "added", hook=True)
        for path in set(versions.iterdir()) - before:
            path.unlink()
        for i in range(args.runs):
            # ABBA order: a slow spell of the machine falls on both sides
            for hook in ((False, True) if i % 2 == 0 else (True, False)):
                w, c = _alembic(root, "revision", "--autogenerate", "-m", "added", hook=hook)
                wall[hook].append(w)
                cpu[hook].append(c)
                for path in set(versions.iterdir()) - before:
                    path.unlink()
        print(f"tables={args.tables} runs={args.runs} database={url.split('://')[0] if url else 'sqlite'}")
        for name, series, first in (("wall", wall, cold[0]), ("CPU", cpu, cold[1])):
            without, with_hook = statistics.median(series[False]), statistics.median(series[True])
            print(f"{name}: alembic revision --autogenerate {without:.3f} s, with the hook {with_hook:.3f} s "
                  f"(medians): overhead {(with_hook / without - 1) * 100:+.1f} %; first run with the hook "
                  f"(empty revision cache) {first:.3f} s ({(first / without - 1) * 100:+.1f} %)")
            # The fastest run of each, as timeit reports: on a shared machine
            # the slower runs mostly measure what else ran meanwhile.
            fastest, fastest_hook = min(series[False]), min(series[True])
            print(f"{name}, fastest runs: {fastest:.3f} s, with the hook {fastest_hook:.3f} s: overhead "
                  f"{(fastest_hook / fastest - 1) * 100:+.1f} %")
            # Each run with the hook against the run without it beside it in
            # time: what the machine does meanwhile cancels out.
            paired = sorted(h / w - 1 for w, h in zip(series[False], series[True]))
            quarter = len(paired) // 4
            print(f"{name}, paired runs: overhead {statistics.median(paired) * 100:+.1f} % (median; middle half "
                  f"{paired[quarter] * 100:+.1f} % to {paired[-1 - quarter] * 100:+.1f} %)")


if __name__ == "__main__":
    main()
