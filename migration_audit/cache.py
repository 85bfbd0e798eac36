"""A cache of what was read from each revision file, so that a revision read
once is not parsed again: the Alembic revision hook runs on every
``alembic revision --autogenerate``, and a long history is mostly files that
never change.

- **Keyed by content.** An entry is used only for the same file path with the
  same bytes, read by the same migration-audit code (a fingerprint of the
  package's own files, Python and sqlparse versions). Nothing is trusted from
  a file's modification time.
- **Outside the project.** The cache lives in the user's cache folder
  (``$MIGRATION_AUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/migration-audit``,
  else ``~/.cache/migration-audit``), never in the project, so a pull request
  cannot plant an entry.
- **Facts only.** Entries are unpickled with an unpickler that refuses every
  class but migration-audit's own fact classes, paths, dates and plain
  values, so a tampered cache file cannot run code; an unreadable entry is a
  miss.
- **Best effort.** ``MIGRATION_AUDIT_NO_CACHE=1`` (or ``--no-cache``) turns it
  off; a cache folder that cannot be written is ignored.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

_FORMAT = 1
# The modules whose classes are data only: constructing one runs no I/O.
_FACT_MODULES = frozenset({"migration_audit.facts", "migration_audit.sources.ops"})
_SAFE_BUILTINS = frozenset({"set", "frozenset", "complex", "bytearray", "slice", "range", "Ellipsis"})
_SAFE_GLOBALS = {
    "pathlib": frozenset({"Path", "PosixPath", "WindowsPath", "PurePath", "PurePosixPath", "PureWindowsPath"}),
    "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
    "builtins": _SAFE_BUILTINS,
    "copyreg": frozenset({"_reconstructor"}),
}


class _FactsUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module in _FACT_MODULES and "." not in name and not name.startswith("_"):
            obj = super().find_class(module, name)
            # Plain data classes (facts, operations, enums) and sentinels; never a function.
            if isinstance(obj, type) or not callable(obj):
                return obj
        elif name in _SAFE_GLOBALS.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a fact class")


MAX_CACHE_BYTES = 512 * 2**20  # far above any real history (1,000 generated revisions: about 14 MB)


def _loads(data: bytes) -> Any:
    return _FactsUnpickler(io.BytesIO(data)).load()


def enabled() -> bool:
    return os.environ.get("MIGRATION_AUDIT_NO_CACHE", "") in ("", "0")


def folder() -> Path:
    explicit = os.environ.get("MIGRATION_AUDIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "migration-audit"


@functools.cache
def code_fingerprint() -> str:
    """Changes whenever the code that reads revisions may read them differently."""
    import importlib.util

    from migration_audit import __version__

    # sqlparse by where it is and its files' stamps, without importing it
    # (a cached history needs no SQL parsing, and the import costs 5 ms)
    spec = importlib.util.find_spec("sqlparse")
    origin = spec.origin if spec is not None and spec.origin else "-"
    try:
        st = os.stat(origin)
        stamp = f"{origin}|{st.st_size}|{st.st_mtime_ns}"
    except OSError:
        stamp = origin
    import hashlib

    digest = hashlib.sha256(f"{_FORMAT}|{__version__}|{sys.version}|{stamp}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(package)}|{st.st_size}|{st.st_mtime_ns}".encode())
    return digest.hexdigest()


class RevisionCache:
    """What was read from each revision file of one script directory, by
    path and content. Load it once, ``get``/``put`` per file, ``save`` once."""

    def __init__(self, key: str) -> None:
        import hashlib

        self.path = folder() / f"revisions-{hashlib.sha256(key.encode()).hexdigest()[:24]}.pickle"
        self._fingerprint = code_fingerprint()
        self._entries: dict[str, tuple[bytes, bytes]] = {}
        self._used: set[str] = set()
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            # only a regular file of ours, of a sane size: a link to a device
            # (/dev/zero) or a huge file is not read
            st = os.lstat(self.path)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CACHE_BYTES:
                return
            data = self.path.read_bytes()
            fingerprint, entries = _loads(data)
        except Exception:  # noqa: BLE001 - missing, truncated or foreign: start empty
            return
        if fingerprint == self._fingerprint and isinstance(entries, dict):
            self._entries = entries

    @staticmethod
    def digest(data: bytes) -> bytes:
        import hashlib

        return hashlib.sha256(data).digest()

    def get(self, path: Path, digest: bytes) -> Any | None:
        key = str(path)
        entry = self._entries.get(key)
        if entry is None or entry[0] != digest:
            return None
        try:
            value = _loads(entry[1])
        except Exception:  # noqa: BLE001 - a damaged entry is a miss
            return None
        self._used.add(key)
        return value

    def put(self, path: Path, digest: bytes, value: Any) -> None:
        """``value`` is pickled now: later changes to it are not recorded."""
        try:
            blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a fact that cannot be pickled is just not cached
            return
        self._entries[str(path)] = (digest, blob)
        self._used.add(str(path))
        self._dirty = True

    def save(self) -> None:
        """Write the entries used in this run (files deleted since are dropped)."""
        if not self._dirty and len(self._used) == len(self._entries):
            return
        entries = {k: v for k, v in self._entries.items() if k in self._used}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".revisions-", dir=self.path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    pickle.dump((self._fingerprint, entries), out, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            return  # a read-only home, a full disk: run without a cache
