"""migration-audit against Alembic on the same generated project.

For each size (revisions x tables) it generates a project (generate.py),
upgrades its SQLite database, then times whole processes, in turn, several
runs each (median of wall and CPU time), and the peak memory of each
(largest resident set of the process or any child it waited for):

- ``migration-audit check --no-cache`` (runtime models, an empty revision cache: a fresh CI machine)
- ``migration-audit check`` (the revision cache filled by an earlier run)
- ``migration-audit check --static --no-cache`` (models read with ``ast``, no project code run)
- ``alembic check`` with ``compare_server_default=True`` on the upgraded database
- ``alembic history``
- a bare loop that ``ast.parse``-s the same revision files (one process)

    python benchmarks/run.py [--sizes 1000x300,10000x1000] [--runs 5] [--keep DIR]

It prints each time and the ratios the targets are stated in.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402

AST_LOOP = (
    "import ast, pathlib, sys\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.py')):\n"
    "    ast.parse(p.read_bytes(), filename=str(p))\n"
)


@dataclass
class Series:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mb: float = 0.0

    def median(self) -> float:
        return statistics.median(self.wall)


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float, int, str]:
    """(wall s, CPU s, peak MB, exit code, output) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    # wait4: this process's own resource use, its waited-for children included
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode,
            out.decode(errors="replace"))


def _commands(root: Path, static: bool) -> dict[str, tuple[list[str], set[int]]]:
    """name → (argv, accepted exit codes)."""
    exe = sys.executable
    audit = [_script("migration-audit"), "check", "."]
    cmds = {
        "migration-audit check --no-cache": ([*audit, "--no-cache"], {0, 1}),
        "migration-audit check (warm cache)": (audit, {0, 1}),
        "alembic check": ([_script("alembic"), "check"], {0}),
        "alembic history": ([_script("alembic"), "history"], {0}),
        "ast.parse loop": ([exe, "-c", AST_LOOP, str(root / "migrations" / "versions")], {0}),
    }
    if static:
        cmds["migration-audit check --static --no-cache"] = ([*audit, "--static", "--no-cache"], {0, 1})
    return cmds


def _script(name: str) -> str:
    """The console script beside this Python (as users run the tools)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"{name} is not installed beside {sys.executable}")
    return str(path)


def _has_static() -> bool:
    out = subprocess.run([_script("migration-audit"), "check", "--help"],
                         capture_output=True, text=True).stdout
    return "--static" in out


def measure(root: Path, runs: int, cache: Path) -> dict[str, Series]:
    env = {**os.environ, "MIGRATION_AUDIT_BENCH_COMPARE_DEFAULTS": "1", "PYTHONWARNINGS": "ignore",
           "MIGRATION_AUDIT_CACHE_DIR": str(cache)}
    env.pop("MIGRATION_AUDIT_NO_CACHE", None)
    # As on a developer's machine: Python's bytecode caches (__pycache__) are
    # written by a first, untimed run of each command (the models, the
    # revision files Alembic imports), whatever this shell says.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmds = _commands(root, _has_static())
    results = {name: Series() for name in cmds}
    # one untimed run of each: the bytecode caches, and the revision cache
    # for the warm runs
    for argv, _ in cmds.values():
        _run(argv, root, env)
    for _ in range(runs):
        for name, (argv, ok) in cmds.items():
            wall, cpu, peak, code, out = _run(argv, root, env)
            if code not in ok:
                raise SystemExit(f"{name} exited {code}:\n{out[-3000:]}")
            s = results[name]
            s.wall.append(wall)
            s.cpu.append(cpu)
            s.peak_mb = max(s.peak_mb, peak)
    return results


def report(label: str, results: dict[str, Series]) -> None:
    print(f"\n{label}")
    print(f"  {'command':45s} {'wall':>8s} {'CPU':>8s} {'peak':>8s}")
    for name, s in results.items():
        print(f"  {name:45s} {s.median():7.3f}s {statistics.median(s.cpu):7.3f}s {s.peak_mb:6.0f}MB")
    check = results["alembic check"].median()
    for name in ("migration-audit check --no-cache", "migration-audit check (warm cache)",
                 "migration-audit check --static --no-cache"):
        if name in results:
            print(f"  {name} / alembic check: {results[name].median() / check:.2f}")
    if "migration-audit check --static --no-cache" in results:
        ratio = results["migration-audit check --static --no-cache"].median() / results["ast.parse loop"].median()
        print(f"  --static / ast.parse loop: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000x300,10000x1000", help="REVISIONSxTABLES, comma-separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="generate the projects here and leave them")
    args = parser.parse_args()
    # As `pip install` leaves it: byte-compiled.
    import migration_audit

    compileall.compile_dir(Path(migration_audit.__file__).parent, quiet=1)
    sizes = [tuple(int(n) for n in s.split("x")) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        medians: dict[tuple[int, int], dict[str, Series]] = {}
        for revisions, tables in sizes:
            root = base / f"bench_{revisions}x{tables}"
            if not (root / "bench.db").exists():
                generate(root, tables, revisions)
                start = time.perf_counter()
                wall, _, _, code, out = _run([_script("alembic"), "upgrade", "head"], root,
                                             {**os.environ, "PYTHONWARNINGS": "ignore"})
                if code:
                    raise SystemExit(f"alembic upgrade head failed:\n{out[-3000:]}")
                print(f"{revisions} revisions / {tables} tables: generated and upgraded in "
                      f"{time.perf_counter() - start:.0f} s")
            if args.runs == 0:
                continue  # --runs 0: only generate and upgrade (with --keep)
            medians[(revisions, tables)] = results = measure(root, args.runs, Path(tmp) / f"cache_{revisions}")
            report(f"{revisions} revisions / {tables} tables ({args.runs} runs, medians)", results)
        if len(medians) >= 2:
            (r1, t1), (r2, t2) = sizes[0], sizes[-1]
            print(f"\nscaling, {r2}/{t2} against {r1}/{t1} ({r2 / r1:g}x the revisions):")
            for name in medians[sizes[0]]:
                a, b = medians[sizes[0]][name].median(), medians[sizes[-1]][name].median()
                print(f"  {name:45s} {b / a:6.2f}x")


if __name__ == "__main__":
    main()
