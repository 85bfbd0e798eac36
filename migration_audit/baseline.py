"""Fingerprints and the baseline file: adopt the check on an old history
without fixing the past first.

A finding's fingerprint is its code, its object, its file (relative to the
project) and the text of its line with whitespace collapsed; not the line
number. Inserting lines above it, or renaming or editing other files, keeps
it; changing the line itself or moving it to another file makes it new.

``--write-baseline FILE`` stores the current findings' fingerprints (with a
count, for identical lines); ``--baseline FILE`` drops findings the file
accounts for and says how many of its entries no longer occur.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from migration_audit.config import UsageError
from migration_audit.findings import Finding

BASELINE_VERSION = 1


def _lines(path: Path) -> tuple[str, ...]:
    try:
        stat = path.stat()
    except OSError:
        return ()
    return _read_lines(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _read_lines(path: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    """Keyed by modification time and size too: a file edited between two
    audits in one process is read again."""
    try:
        return tuple(path.read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def line_text(f: Finding) -> str:
    lines = _lines(f.location.path)
    if 0 < f.location.line <= len(lines):
        return " ".join(lines[f.location.line - 1].split())
    return ""


def fingerprint(f: Finding, root: Path) -> str:
    basis = "\0".join((f.code, f.object or "", f.location.shown_path(root), line_text(f)))
    return hashlib.sha256(basis.encode("utf-8", "backslashreplace")).hexdigest()[:20]


def write_baseline(findings: list[Finding], root: Path, target: Path) -> int:
    """Write the findings' fingerprints to ``target`` (atomically); returns
    how many entries were written."""
    entries: dict[str, dict[str, object]] = {}
    for f in findings:
        fp = fingerprint(f, root)
        entry = entries.setdefault(fp, {"fingerprint": fp, "code": f.code, "object": f.object,
                                         "path": f.location.shown_path(root), "message": f.message, "count": 0})
        entry["count"] = int(entry["count"]) + 1  # type: ignore[call-overload]
    payload = {"version": BASELINE_VERSION, "tool": "migration-audit",
               "findings": sorted(entries.values(), key=lambda e: (str(e["path"]), str(e["code"]), str(e["fingerprint"])))}
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    target = target.resolve()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".migration-audit-", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise UsageError(f"cannot write the baseline {target}: {exc.strerror or exc}") from None
    return sum(int(e["count"]) for e in entries.values())  # type: ignore[call-overload]


@dataclass(slots=True)
class BaselineResult:
    findings: list[Finding]  # the new ones
    matched: int  # findings the baseline accounted for
    stale: int  # baseline entries that no longer occur


def read_baseline(source: Path) -> Counter[str]:
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--baseline {source}: no such file (write one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"--baseline {source}: not a migration-audit baseline ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION or not isinstance(data.get("findings"), list):
        raise UsageError(f"--baseline {source}: not a migration-audit baseline (version {BASELINE_VERSION} expected)")
    counts: Counter[str] = Counter()
    for entry in data["findings"]:
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str):
            count = entry.get("count", 1)
            counts[entry["fingerprint"]] += count if isinstance(count, int) and count > 0 else 1
    return counts


def apply_baseline(findings: list[Finding], root: Path, source: Path) -> BaselineResult:
    remaining = read_baseline(source)
    total = sum(remaining.values())
    new: list[Finding] = []
    for f in findings:
        fp = fingerprint(f, root)
        if remaining[fp] > 0:
            remaining[fp] -= 1
        else:
            new.append(f)
    matched = total - sum(remaining.values())
    return BaselineResult(new, matched, sum(remaining.values()))
