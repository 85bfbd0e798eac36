"""Migration files → revisions, their graph, and the schema at head.

Every file under the version locations is parsed with ``ast``; nothing is
imported or executed. The revision identifiers are read as literals, the
graph is checked (missing parents, duplicates, cycles, several heads), and
each revision's operations are replayed in dependency order.
"""

from __future__ import annotations

import ast
import gc
import heapq
import os
import re
from pathlib import Path

from migration_audit import cache
from migration_audit.defaults import parse_timestamp
from migration_audit.facts import Diagnostic, Location, MigrationHistory, Revision
from migration_audit.sources.migration_ops import UpgradeReader
from migration_audit.sources.pyexpr import SourceError, literal, module_level, parse_file, parse_source
from migration_audit.sources.replay import replay

_REV_FILE = re.compile(r"(?!\.#|__init__)(.*\.py)$")
_LEGACY_REV = re.compile(r"([a-f0-9]+)\.py$")
_HEADER_NAMES = ("revision", "down_revision", "branch_labels", "depends_on")
_CREATE_DATE = re.compile(r"^Create Date:\s*(\d{4}-\d{2}-\d{2}[ T][\d:.]+)", re.MULTILINE)


def revision_files(locations: list[Path], recursive: bool) -> list[Path]:
    """The files Alembic would load as revisions, in a stable order."""
    found: list[Path] = []
    for loc in locations:
        if not loc.is_dir():
            continue
        if recursive:
            candidates = sorted(p for p in loc.rglob("*.py") if "__pycache__" not in p.parts)
        else:
            # scandir knows file from folder without a stat() per entry; the
            # names sorted as their paths would sort (Path comparisons are slow)
            with os.scandir(loc) as entries:
                names = sorted((e.name for e in entries if e.is_file() and _REV_FILE.match(e.name)),
                               key=os.path.normcase)
            candidates = [loc / name for name in names]
        found.extend(p for p in candidates if _REV_FILE.match(p.name))
    return found


def _as_tuple(value: object, keep_empty: bool = False) -> tuple[str, ...] | None:
    """``keep_empty``: ``""`` is a reference to nothing (Alembic looks it up
    and fails with KeyError), not "no reference"."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value or keep_empty else ()
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def read_revision(path: Path, diagnostics: list[Diagnostic], data: bytes | None = None) -> Revision | None:
    """One file (``data``: its bytes, if already read) → a Revision with its
    operations, or a located MA001."""
    try:
        src = parse_file(path) if data is None else parse_source(path, data)
    except SourceError as exc:
        diagnostics.append(
            Diagnostic(
                "MA001",
                f"cannot read migration {path.name}: {exc.message}",
                f"run migration-audit with Python {exc.newer[1]} or newer, as the project does; the rest of the "
                "audit ran" if exc.newer else "fix the file so that Python can parse it; Alembic will fail on it too",
                Location(path, exc.line, exc.column),
            )
        )
        return _unparsed_revision(path, data) if exc.newer else None
    header: dict[str, tuple[ast.AST, ast.expr]] = {}
    for node in module_level(src.tree.body):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in _HEADER_NAMES:
                    header[target.id] = (node, node.value)
                elif (
                    isinstance(target, ast.Tuple)
                    and isinstance(node.value, ast.Tuple)
                    and len(target.elts) == len(node.value.elts)
                ):
                    # revision, down_revision = "a1", "b2"
                    for t, v in zip(target.elts, node.value.elts):
                        if isinstance(t, ast.Name) and t.id in _HEADER_NAMES:
                            header[t.id] = (node, v)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            if node.target.id in _HEADER_NAMES:
                header[node.target.id] = (node, node.value)

    # `REV = "a1"` then `revision = REV`: Alembic runs the file, so a name
    # bound once at the top level to a literal is that literal.
    constants: dict[str, list[ast.expr]] = {}
    for node in module_level(src.tree.body):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            constants.setdefault(node.target.id, []).append(node.value)

    def header_literal(expr: ast.expr) -> tuple[bool, object]:
        if isinstance(expr, ast.Name) and len(constants.get(expr.id, ())) == 1:
            expr = constants[expr.id][0]
        return literal(expr)

    def value_of(name: str) -> tuple[bool, tuple[str, ...]]:
        if name not in header:
            return True, ()
        node, expr = header[name]
        ok, value = header_literal(expr)
        as_tuple = _as_tuple(value, keep_empty=name != "branch_labels") if ok else None
        if as_tuple is None and name in ("branch_labels", "depends_on"):
            # e.g. `branch_labels = (cli.EXPAND_BRANCH,)`: Alembic loads it;
            # only references to it cannot be checked.
            return False, ()
        if as_tuple is None:
            diagnostics.append(
                Diagnostic(
                    "MA001",
                    f"{name} in {path.name} is `{src.segment(expr, 60)}`, which cannot be read without running the file",
                    f"assign {name} a string literal (or a tuple of them), as `alembic revision` writes it",
                    src.loc(expr),
                )
            )
            return False, ()
        return True, as_tuple

    if "revision" in header:
        node, expr = header["revision"]
        ok, value = header_literal(expr)
        if not (ok and isinstance(value, str) and value):
            diagnostics.append(
                Diagnostic(
                    "MA001",
                    f"revision in {path.name} is `{src.segment(expr, 60)}`; Alembic needs one non-empty string "
                    "it can read",
                    'write `revision = "<id>"`, as `alembic revision` does',
                    src.loc(expr),
                )
            )
            return None
        rev = value
    else:
        legacy = _LEGACY_REV.match(path.name)
        if not legacy:
            diagnostics.append(
                Diagnostic(
                    "MA001",
                    f"{path.name} has no `revision = ...`; Alembic refuses to load a version directory containing it",
                    "move the file out of the versions folder, or add the revision identifiers",
                    Location(path, 1, 1),
                )
            )
            return None
        rev = legacy.group(1)
    if "down_revision" not in header:
        diagnostics.append(
            Diagnostic(
                "MA001",
                f"{path.name} has no `down_revision = ...`; Alembic fails to load it (AttributeError)",
                "add `down_revision = None` for a first revision, or the id of its parent",
                src.loc(header["revision"][0]) if "revision" in header else Location(path, 1, 1),
                rev,
            )
        )
        return None
    ok, down = value_of("down_revision")
    if not ok:
        return None
    labels_ok, labels = value_of("branch_labels")
    depends_ok, depends = value_of("depends_on")
    location = src.loc(header["revision"][0]) if "revision" in header else Location(path, 1, 1)
    doc = ast.get_docstring(src.tree) or ""
    created = _CREATE_DATE.search(doc)
    revision = Revision(
        revision=rev,
        down_revisions=down,
        path=path,
        location=location,
        branch_labels=labels,
        depends_on=depends,
        message=doc.splitlines()[0] if doc else "",
        refs_unknown=not (labels_ok and depends_ok),
        created=parse_timestamp(created.group(1)) if created else None,
        ignore_comments="migration-audit:" in src.text,
    )
    revision.ops = UpgradeReader(src).read()
    return revision


_HEADER_LINE = re.compile(
    r"^(revision|down_revision|branch_labels|depends_on)\s*(?::[^=\n]+)?=\s*(.+?)\s*(?:#.*)?$", re.MULTILINE)
_OP_TABLE = re.compile(r"""\b(?:op|batch_op)\.\w+\(\s*["'](\w+)["']""")


def _unparsed_revision(path: Path, data: bytes | None) -> Revision | None:
    """A revision this Python cannot parse (syntax of a newer release, already
    reported): its place in the graph, from its header lines read as text,
    so that its children are not orphans; no operations, and the tables its
    `op.*` calls name are left out of comparisons rather than guessed."""
    try:
        text = (data if data is not None else path.read_bytes()).decode("utf-8", errors="replace")
    except OSError:
        return None
    header: dict[str, object] = {}
    line_of: dict[str, int] = {}
    for m in _HEADER_LINE.finditer(text):
        try:
            header[m.group(1)] = ast.literal_eval(m.group(2))
        except (ValueError, SyntaxError):
            return None
        line_of[m.group(1)] = text.count("\n", 0, m.start()) + 1
    rev = header.get("revision")
    if rev is None:
        legacy = _LEGACY_REV.match(path.name)
        rev = legacy.group(1) if legacy else None
    down = _as_tuple(header.get("down_revision"))
    if not isinstance(rev, str) or not rev or down is None or "down_revision" not in header:
        return None
    labels, depends = _as_tuple(header.get("branch_labels")), _as_tuple(header.get("depends_on"))
    from migration_audit.sources import ops

    revision = Revision(rev, down, path, Location(path, line_of.get("revision", 1), 1), labels or (),
                        depends or (), refs_unknown=labels is None or depends is None)
    tables = tuple(sorted(set(_OP_TABLE.findall(text))))
    revision.ops = [ops.Opaque(f"{path.name} could not be parsed", Location(path, 1, 1), tables)]
    return revision


def _order(history: MigrationHistory, diagnostics: list[Diagnostic]) -> None:
    """Topological order (parents first, ties by file path), heads, and graph
    findings: missing parents, cycles, several heads."""
    revs = history.revisions
    labels: dict[str, str] = {}
    for r in sorted(revs.values(), key=lambda r: str(r.path)):
        for label in r.branch_labels:
            owner = label if label in revs else labels.get(label)
            if owner is not None and owner != r.revision:
                # Alembic: RevisionError "Branch name ... already used by revision ..."
                what = "is the id of revision" if label in revs else "is already the branch label of revision"
                diagnostics.append(
                    Diagnostic(
                        "MA003",
                        f"branch label {label!r} of revision {r.revision} {what} {owner}; Alembic refuses to "
                        "load the history",
                        "give the branch a label of its own, used by one revision only",
                        r.location,
                        r.revision,
                    )
                )
                continue
            labels.setdefault(label, r.revision)

    def resolve(ref: str) -> str | None:
        if ref in revs:
            return ref
        if ref in labels:
            return labels[ref]
        matches = [r for r in revs if r.startswith(ref)] if len(ref) >= 4 else []
        return matches[0] if len(matches) == 1 else None

    unknown_labels = any(r.refs_unknown for r in revs.values())
    # Revisions whose place in the graph is unknown (an unreadable label, a
    # missing parent already reported as MA003): heads that descend from one
    # are not counted as unmerged heads.
    uncertain = {r.revision for r in revs.values() if r.refs_unknown}
    parents: dict[str, set[str]] = {r: set() for r in revs}
    children: dict[str, set[str]] = {r: set() for r in revs}
    for r in revs.values():
        for ref, kind in [(d, "down_revision") for d in r.down_revisions] + [(d, "depends_on") for d in r.depends_on]:
            target = resolve(ref)
            if target is None:
                uncertain.add(r.revision)
            if target is None and unknown_labels:
                continue  # it may be a label we could not read
            if target is None:
                diagnostics.append(
                    Diagnostic(
                        "MA003",
                        f"revision {r.revision} has {kind} {ref!r}, which no migration file defines",
                        f"point {kind} at an existing revision (see `alembic history`), or restore the missing file",
                        r.location,
                        r.revision,
                    )
                )
                continue
            if target == r.revision:
                diagnostics.append(
                    Diagnostic("MA003", f"revision {r.revision} names itself as its {kind}",
                               f"point {kind} at its parent revision", r.location, r.revision)
                )
                continue
            parents[r.revision].add(target)
            if kind == "down_revision":
                children[target].add(r.revision)
            else:
                children[target].add(r.revision)

    indegree = {r: len(p) for r, p in parents.items()}
    ready = [(str(revs[r].path), r) for r, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, r = heapq.heappop(ready)
        order.append(r)
        for c in sorted(children[r]):
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(ready, (str(revs[c].path), c))
    if len(order) < len(revs):
        stuck = sorted(set(revs) - set(order), key=lambda r: str(revs[r].path))
        uncertain.update(stuck)
        first = revs[stuck[0]]
        diagnostics.append(
            Diagnostic(
                "MA003",
                f"revisions {', '.join(stuck)} form a cycle through down_revision/depends_on",
                "break the cycle: each revision's down_revision must point at an older revision",
                first.location,
                first.revision,
            )
        )
        order.extend(stuck)
    history.order = order
    has_child = {p for r in revs.values() for p in (resolve(d) for d in r.down_revisions) if p}
    heads = tuple(r for r in order if r not in has_child)
    history.heads = heads
    # Heads of independent branches (each from its own base, usually with a
    # branch label) are intended; heads that share an ancestor are a fork
    # nobody merged, and `alembic upgrade head` refuses to run.
    def ancestors(head: str) -> set[str]:
        seen = {head}
        stack = [head]
        while stack:
            for d in revs[stack.pop()].down_revisions:
                p = resolve(d)
                if p is not None and p not in seen:
                    seen.add(p)
                    stack.append(p)
        return seen

    ancestry = {h: ancestors(h) for h in heads} if len(heads) > 1 else {}
    # A branch label on a head's line (neutron's `expand`/`contract`, or
    # independent bases each with its own label) marks the split as intended:
    # such heads are upgraded with `upgrade heads` or `upgrade <label>@head`.
    # Heads that no label tells apart make `alembic upgrade head` fail.
    branch = {h: frozenset(l for a in ancestry[h] for l in revs[a].branch_labels) for h in ancestry}
    forked = sorted(
        {
            h
            for h in heads
            for other in heads
            if other != h
            and branch[h] == branch[other]
            and not (ancestry[h] & uncertain)
            and not (ancestry[other] & uncertain)
        },
        key=lambda r: str(revs[r].path),
    )
    if forked:
        last = revs[forked[-1]]
        diagnostics.append(
            Diagnostic(
                "MA004",
                f"the migration chain has {len(forked)} heads that no branch label tells apart: "
                f"{', '.join(forked)}; `alembic upgrade head` refuses to run",
                f"merge them with `alembic merge -m \"merge heads\" {' '.join(forked)}`",
                last.location,
            )
        )


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def read_history(
    script_location: Path,
    version_locations: list[Path],
    recursive: bool,
    diagnostics: list[Diagnostic],
    extra_files: list[Path] | None = None,
) -> MigrationHistory:
    """Read, order and replay the whole chain. The cyclic GC is paused
    meanwhile: ASTs and facts hold no reference cycles, and with it running a
    large history spends most of its time rescanning live AST nodes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_history(script_location, version_locations, recursive, diagnostics, extra_files or [])
    finally:
        if enabled:
            gc.enable()


def _read_history(
    script_location: Path,
    version_locations: list[Path],
    recursive: bool,
    diagnostics: list[Diagnostic],
    extra_files: list[Path],
) -> MigrationHistory:
    history = MigrationHistory(script_location=script_location)
    stored = revision_files(version_locations, recursive)
    if not recursive:
        _note_unread_subfolders(version_locations, diagnostics)
    files = stored + extra_files
    history.files = len(files)
    cached = cache.RevisionCache(str(script_location.resolve())) if cache.enabled() and stored else None
    first_seen: dict[str, Revision] = {}
    for path in files:
        rev = _read_cached(path, diagnostics, cached) if cached is not None and path not in extra_files else (
            read_revision(path, diagnostics)
        )
        if rev is None:
            continue
        if rev.revision in first_seen:
            other = first_seen[rev.revision]
            diagnostics.append(
                Diagnostic(
                    "MA003",
                    f"revision id {rev.revision} is defined twice: in {_rel(other.path, script_location)} "
                    f"and {_rel(path, script_location)}",
                    "give one of them a new id (`alembic revision` generates one) and fix its children's down_revision",
                    rev.location,
                    rev.revision,
                )
            )
            continue
        first_seen[rev.revision] = rev
        history.revisions[rev.revision] = rev
    if cached is not None:
        cached.save()
    _order(history, diagnostics)
    replay(history)
    return history


def _note_unread_subfolders(locations: list[Path], diagnostics: list[Diagnostic],
                            limit: int = 20000) -> None:
    """Revision files in subfolders of the version locations, which neither
    Alembic nor migration-audit reads without recursive_version_locations
    (projects whose own tooling adds them, one folder per release): say so
    rather than audit a fraction of the history."""
    named = {p.resolve() for p in locations}
    found: dict[Path, int] = {}
    first: dict[Path, Path] = {}
    seen = 0
    for loc in locations:
        if not loc.is_dir():
            continue
        # only the subfolders: the files of the location itself were read
        for dirpath, dirnames, filenames in os.walk(loc):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            here = Path(dirpath)
            if here == loc or here.resolve() in named:
                continue
            for name in sorted(filenames):
                if not name.endswith(".py") or not _REV_FILE.match(name):
                    continue
                seen += 1
                if seen > limit:
                    break
                path = here / name
                try:
                    head = path.read_bytes()[:20000]
                except OSError:
                    continue
                if b"down_revision" in head:
                    folder = path.parent.relative_to(loc)
                    found[folder] = found.get(folder, 0) + 1
                    first[folder] = min(first.get(folder, path), path)
    if not found:
        return
    folders = sorted(found)
    shown = ", ".join(f.as_posix() for f in folders[:3]) + (f" and {len(folders) - 3} more" if len(folders) > 3 else "")
    total = sum(found.values())
    diagnostics.append(Diagnostic(
        "MA022",
        f"{total} revision file{'s' if total != 1 else ''} in subfolders of the version location{'s' if len(locations) > 1 else ''} "
        f"({shown}) {'were' if total != 1 else 'was'} not read: Alembic reads subfolders only with "
        "recursive_version_locations = true, or when version_locations names them",
        "if your tooling adds them (one folder per release, expand/contract branches), set "
        "`recursive-version-locations = true` under [tool.migration-audit] in pyproject.toml, or "
        "recursive_version_locations = true in alembic.ini",
        Location(first[folders[0]], 1, 1),
    ))


def _read_cached(path: Path, diagnostics: list[Diagnostic], cached: cache.RevisionCache) -> Revision | None:
    """:func:`read_revision` through the cache: a file read before with the
    same bytes gives the same Revision and diagnostics without being parsed."""
    try:
        data = path.read_bytes()
    except OSError:
        return read_revision(path, diagnostics)  # reports the error
    digest = cached.digest(data)
    hit = cached.get(path, digest)
    if hit is not None:
        rev, found = hit
        diagnostics.extend(found)
        return rev  # type: ignore[no-any-return]
    found: list[Diagnostic] = []
    rev = read_revision(path, found, data)
    cached.put(path, digest, (rev, found))  # before the replay changes anything it holds
    diagnostics.extend(found)
    return rev
