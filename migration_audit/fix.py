"""``check --fix`` / ``--diff``: rewrite the default expressions that have an
unambiguous fix, and nothing else.

Each fix names the start of one expression. The file is parsed again, the
node that starts there is found, and only its text is replaced, so comments
and formatting around it stay. The new text must parse before a file is
written, and it is written atomically (a temporary file in the same folder,
then ``os.replace``), in its own encoding and line endings.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import os
import re
import tempfile
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from migration_audit.facts import Location
from migration_audit.findings import Finding, Fix
from migration_audit.sources.pyexpr import one_line


@dataclass(slots=True)
class FileEdit:
    path: Path
    before: str
    after: str
    fixed: int
    skipped: list[str]


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer(r"\r\n|\r|\n", text):
        starts.append(m.end())
    return starts


def _node_at(tree: ast.AST, line: int, byte_col: int) -> ast.expr | None:
    best: ast.expr | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.expr) and node.lineno == line and node.col_offset == byte_col:
            # the outermost expression starting there (`uuid4().hex`, not `uuid4`)
            if best is None or (node.end_lineno, node.end_col_offset) > (best.end_lineno, best.end_col_offset):
                best = node
    return best


def _class_scope_names(tree: ast.AST, node: ast.expr) -> set[str]:
    """Names the expression reads that are assigned in the class body around
    it: a lambda cannot see class-scope names (NameError at insert time)."""
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and cls.lineno <= node.lineno <= (cls.end_lineno or cls.lineno):
            assigned = set()
            for item in cls.body:
                targets = item.targets if isinstance(item, ast.Assign) else (
                    [item.target] if isinstance(item, ast.AnnAssign) else [])
                assigned.update(t.id for t in targets if isinstance(t, ast.Name))
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    assigned.add(item.name)
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            if used & assigned:
                return used & assigned
    return set()


def _inside_field_call(tree: ast.AST, node: ast.expr) -> bool:
    """SQLModel's Field(default=...) needs default_factory=, not a callable."""
    for call in ast.walk(tree):
        if isinstance(call, ast.Call):
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
            if name == "Field" and any(kw.value is node for kw in call.keywords):
                return True
    return False


def _dotted(node: ast.expr) -> bool:
    """``uuid.uuid4`` yes; ``datetime.now().isoformat`` no (a bound method
    of the frozen value would still be frozen)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _replacement(kind: str, original: str, node: ast.expr) -> str | None:
    if kind == "per-row":
        if isinstance(node, ast.Call) and not node.args and not node.keywords and _dotted(node.func):
            return original[: original.rindex("(")].rstrip()  # uuid.uuid4() -> uuid.uuid4
        return f"lambda: {original}"  # str(uuid.uuid4()) -> lambda: str(uuid.uuid4())
    if kind == "factory":
        if isinstance(node, ast.List) and not node.elts:
            return "list"
        if isinstance(node, ast.Dict) and not node.keys:
            return "dict"
        return f"lambda: {original}"  # {...}, [...], dict(a=1): a new one per row
    return None


def _shown(path: Path, root: Path) -> str:
    return Location(path).shown_path(root)


def plan(findings: list[Finding], root: Path) -> list[FileEdit]:
    """The edits for every fixable finding in a file of the project (never a
    file outside it: an installed package, or a symlink's target elsewhere)."""
    by_file: dict[Path, list[Fix]] = {}
    for f in findings:
        if f.fix is not None:
            by_file.setdefault(f.fix.location.path, []).append(f.fix)
    edits: list[FileEdit] = []
    root = root.resolve()
    for raw_path, fixes in sorted(by_file.items()):
        path = raw_path.resolve()
        if not path.is_relative_to(root) or any(p in ("site-packages", "dist-packages") for p in path.parts):
            edits.append(FileEdit(path, "", "", 0, [
                f"{raw_path}: outside the project folder{' (a symlink)' if raw_path.is_symlink() else ''}; "
                "not changed"]))
            continue
        try:
            data = path.read_bytes()
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
            tree = ast.parse(text)
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as exc:
            edits.append(FileEdit(path, "", "", 0, [f"{_shown(path, root)}: cannot read it ({exc}); not changed"]))
            continue
        lines = re.split(r"\r\n|\r|\n", text)
        starts = _line_starts(text)
        changes: list[tuple[int, int, str]] = []
        skipped: list[str] = []
        for fix in {(x.kind, x.location): x for x in fixes}.values():
            line_text = lines[fix.location.line - 1]
            byte_col = len(line_text[: fix.location.column - 1].encode("utf-8"))
            node = _node_at(tree, fix.location.line, byte_col)
            if node is None or node.end_lineno is None or node.end_col_offset is None:
                skipped.append(f"{_shown(path, root)}:{fix.location.line}: the expression moved; run the check again")
                continue
            shown = _shown(path, root)
            if _inside_field_call(tree, node):
                skipped.append(f"{shown}:{fix.location.line}: SQLModel Field(default=...) needs "
                               "default_factory=; not changed automatically")
                continue
            scoped = _class_scope_names(tree, node)
            if scoped:
                skipped.append(f"{shown}:{fix.location.line}: the expression uses {', '.join(sorted(scoped))}, "
                               "a name of the class body, which a lambda cannot see; not changed automatically")
                continue
            end_line_text = lines[node.end_lineno - 1]
            start = starts[node.lineno - 1] + fix.location.column - 1
            end = starts[node.end_lineno - 1] + len(end_line_text.encode("utf-8")[: node.end_col_offset].decode("utf-8"))
            original = text[start:end]
            if fix.expected is not None and one_line(original) != fix.expected:
                skipped.append(f"{shown}:{fix.location.line}: `{one_line(original, 60)}` is not what the "
                               "check read there (the file changed since); run the check again")
                continue
            new = _replacement(fix.kind, original, node)
            if new is None:
                skipped.append(f"{shown}:{fix.location.line}: no safe rewrite for `{original}`")
                continue
            changes.append((start, end, new))
        after = text
        applied = 0
        for start, end, new in sorted(changes, reverse=True):
            after = after[:start] + new + after[end:]
            applied += 1
        if applied:
            try:
                ast.parse(after)
            except SyntaxError as exc:  # pragma: no cover - a bug in a rewrite; never write it
                skipped.append(f"{path.name}: the rewrite would not parse ({exc.msg}); file left alone")
                after, applied = text, 0
        edits.append(FileEdit(path, text, after, applied, skipped))
    return edits


def diff(edits: list[FileEdit], root: Path) -> str:
    out: list[str] = []
    for e in edits:
        if e.before == e.after:
            continue
        try:
            rel = e.path.relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = e.path.as_posix()
        out.extend(difflib.unified_diff(
            e.before.splitlines(keepends=True), e.after.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"
        ))
    return "".join(out)


def write(edits: list[FileEdit]) -> int:
    """Write the changed files; returns the number of fixes. Each file is
    replaced atomically (temporary file + rename, keeping mode and owner); a
    file with several hard links is rewritten in place so the links stay.
    A file that cannot be written is reported and the others still are."""
    total = 0
    for e in edits:
        if e.before == e.after:
            continue
        try:
            with _locked(e.path.parent):
                fixed = _write_one(e)
        except OSError as exc:
            e.skipped.append(f"{e.path.name}: cannot write it ({exc.strerror or exc}); not changed")
            e.fixed = 0
            continue
        if fixed:
            total += e.fixed
    return total


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder (POSIX): two `--fix` runs check and
    replace a file one after the other, so the second sees the first's
    change and leaves the file alone."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the content check alone
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write_one(e: FileEdit) -> bool:
    """Replace one file if it still holds what the plan read."""
    data = e.path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    if data.decode(encoding) != e.before:
        e.skipped.append(f"{e.path.name}: changed on disk while fixing; left alone")
        e.fixed = 0
        return False
    st = e.path.stat()
    payload = e.after.encode(encoding)
    if st.st_nlink > 1:
        with open(e.path, "r+b") as fh:
            fh.write(payload)
            fh.truncate()
        return True
    fd, tmp = tempfile.mkstemp(prefix=f".{e.path.name}.", dir=e.path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, st.st_mode)
        if hasattr(os, "chown"):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass  # not ours to give away; the mode is kept
        os.replace(tmp, e.path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True
