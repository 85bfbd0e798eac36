"""``--changed-since REF``: the files git says changed since a ref.

Committed changes since REF, changes not yet committed, and new files not
ignored by git, as absolute paths. Renames count as the new path."""

from __future__ import annotations

import subprocess
from pathlib import Path

from migration_audit.config import UsageError


def _git(root: Path, *args: str) -> str:
    try:
        run = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise UsageError("--changed-since needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"--changed-since: git {' '.join(args)} did not answer in 60 s") from None
    if run.returncode != 0:
        message = (run.stderr.strip().splitlines() or ["failed"])[-1]
        raise UsageError(f"--changed-since: git {' '.join(args)}: {message}")
    return run.stdout


def changed_files(root: Path, ref: str) -> set[Path]:
    if ref.startswith("-"):
        raise UsageError(f"--changed-since: {ref!r} is not a git ref")
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except UsageError:
        raise UsageError(f"--changed-since: {ref!r} names no commit in {top} (a branch, tag or commit id, "
                         "such as origin/main; in a shallow CI clone, fetch it first)") from None
    # diff names are relative to the top of the repository, ls-files names to ``root``
    diffed = _git(root, "diff", "--name-only", "--no-renames", "-z", ref, "--").split("\0")
    new = _git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0")
    return {(top / n).resolve() for n in diffed if n} | {(root / n).resolve() for n in new if n}
