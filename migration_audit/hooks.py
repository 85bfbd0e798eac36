"""Alembic integration: audit a revision while ``alembic revision
--autogenerate`` writes it, and audit a revision file just written.

``process_revision_directives`` (for env.py) renders the operations
autogenerate is about to write into a temporary revision file, audits it with
the project's models and the existing chain, and then, by mode:

- ``fail``: nothing is written; the command fails listing the errors;
- ``warn``: the file is written; the findings are printed;
- ``annotate``: the file is written with each finding as a comment above the
  operation it concerns (model findings at the top of ``upgrade()``);
- ``skip``: nothing is audited.

The mode comes from ``-x migration_audit=MODE``, then
``migration_audit.mode`` in the alembic.ini section, then
``revision-hook`` under ``[tool.migration-audit]``; the default is ``fail``.
Under ``alembic check`` the hook fails or warns (it never annotates).

``write_hook`` is the ``migration_audit`` post-write hook type, registered by
the ``alembic.plugins`` entry point (Alembic 1.18+); on older Alembic call
:func:`register_write_hook` from env.py.
"""

from __future__ import annotations

import functools
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from migration_audit.config import Overrides, Project
from migration_audit.facts import Location
from migration_audit.findings import Finding, Severity
from migration_audit.signals import sigterm_after_cleanup

MODES = ("fail", "warn", "annotate", "skip")
DEFAULT_MODE = "fail"

Hook = Callable[[Any, Any, list[Any]], None]


# -- where the project is, and which mode ---------------------------------------------

def _project_root(config: Any) -> Path:
    for attr in ("config_file_name", "toml_file_name"):
        name = getattr(config, attr, None)
        if name and Path(name).is_file():
            return Path(name).resolve().parent
    return Path.cwd()


def _x_argument(config: Any) -> str | None:
    """``alembic -x migration_audit=VALUE`` (what EnvironmentContext.get_x_argument reads)."""
    value: str | None = None
    for item in getattr(getattr(config, "cmd_opts", None), "x", None) or []:
        key, _, rest = str(item).partition("=")
        if key.strip() == "migration_audit":
            value = rest.strip()
    return value


def _project(config: Any) -> Project:
    """The project of the Alembic config in use (its ini section too), loaded
    once per command; bad configuration is a CommandError, not a traceback."""
    from alembic.util import CommandError

    from migration_audit.config import UsageError, load_project

    loaded = getattr(config, "_migration_audit_project", None)
    if isinstance(loaded, Project):
        return loaded
    section = getattr(config, "config_ini_section", "alembic")
    try:
        project = load_project(_project_root(config), Overrides(name=None if section == "alembic" else section))
    except UsageError as exc:
        raise CommandError(f"migration-audit: {exc}") from None
    try:
        config._migration_audit_project = project
    except AttributeError:  # pragma: no cover - a config that refuses attributes
        pass
    return project


# -- reading the models' source ahead --------------------------------------------------

def _start_read_ahead() -> Any:
    """Under ``alembic revision --autogenerate`` and ``alembic check``, env.py
    imports this module before Alembic compares the models with the
    database, which takes a second or more on a few hundred tables: a child
    process reads the model modules' source meanwhile, and the hook finds
    their columns' lines read (see model_source.ReadAhead). Anything amiss
    here only means the hook reads them itself."""
    if "alembic.context" not in sys.modules:
        return None  # not inside an Alembic command (and no reason to import Alembic)
    try:
        from alembic import context

        config = context.config
        command = _command_name(config)
        autogenerate = getattr(getattr(config, "cmd_opts", None), "autogenerate", None)
        if not (command == "check" or (command == "revision" and autogenerate)):
            return None
        project = _project(config)
        if _mode(context, project) == "skip" or not (project.metadata or project.import_modules):
            return None
        from migration_audit.engine import model_roots, named_model_files
        from migration_audit.sources.model_source import ReadAhead

        files = named_model_files(project, list(project.sys_paths))
        if not files:
            return None
        ahead = ReadAhead(files, model_roots(project))
    except Exception:  # noqa: BLE001 - not inside an Alembic command, or a configuration the hook will report
        return None
    import atexit

    atexit.register(ahead.cancel)
    return ahead


_ahead: Any = None  # started at the end of this module, once everything it calls is defined


def _read_ahead() -> list[Any] | None:
    global _ahead
    ahead, _ahead = _ahead, None
    return ahead.result() if ahead is not None else None


def _mode(context: Any, project: Project) -> str:
    config = context.config
    mode = _x_argument(config) or config.get_main_option("migration_audit.mode") or project.revision_hook
    mode = (mode or DEFAULT_MODE).strip().lower()
    if mode not in MODES:
        from alembic.util import CommandError

        raise CommandError(f"migration-audit: unknown mode {mode!r}; use one of {', '.join(MODES)}")
    return mode


def _command_name(config: Any) -> str | None:
    cmd = getattr(getattr(config, "cmd_opts", None), "cmd", None)
    if cmd and callable(cmd[0]):
        return cmd[0].__name__
    return None


# -- rendering the pending revision -------------------------------------------------

class _Pending:
    """The revision autogenerate is about to write, as a temporary file."""

    def __init__(self, context: Any, script: Any, folder: Path) -> None:
        from alembic.autogenerate import render_python_code
        from alembic.operations import ops as alembic_ops
        from alembic.runtime.migration import MigrationContext

        self.script = script
        heads = tuple(context.script.get_heads()) if getattr(context, "script", None) is not None else ()
        down: object = heads[0] if len(heads) == 1 else (heads or None)
        lines = [
            '"""revision about to be written by alembic"""',
            "from alembic import op",
            "import sqlalchemy as sa",
            *sorted(getattr(script, "imports", ()) or ()),
            f"revision = {script.rev_id!r}",
            f"down_revision = {down!r}",
            "",
            "",
            "def upgrade():",
        ]
        # (container, index, first line, last line) of each rendered operation
        self.spans: list[tuple[Any, int, int, int]] = []
        opts = getattr(context, "opts", {}) or {}
        # A context without a script directory: Alembic's own would insist on
        # target_metadata for a render-only AutogenContext.
        render_context = MigrationContext.configure(dialect=context.dialect)
        for container in script.upgrade_ops_list:
            for index, op in enumerate(container.ops):
                text = render_python_code(
                    alembic_ops.UpgradeOps(ops=[op]),
                    migration_context=render_context,
                    render_as_batch=bool(opts.get("render_as_batch", False)),
                    sqlalchemy_module_prefix=opts.get("sqlalchemy_module_prefix") or "sa.",
                    alembic_module_prefix=opts.get("alembic_module_prefix") or "op.",
                    user_module_prefix=opts.get("user_module_prefix"),
                    render_item=opts.get("render_item"),
                )
                body = [ln for ln in text.splitlines() if "### " not in ln]
                first = len(lines) + 1
                lines.extend("    " + ln.strip("\n") if not ln.startswith("    ") else ln for ln in body)
                self.spans.append((container, index, first, len(lines)))
        lines.append("    pass")
        slug = "_".join(str(script.message or "").split())[:40]
        self.path = folder / f"{script.rev_id}_{slug or 'revision'}.py"
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        version_path = getattr(script, "version_path", None) or (
            context.script.versions if getattr(context, "script", None) is not None else None
        )
        self.shown_as = Path(version_path or ".") / self.path.name

    def op_for_table(self, table: str) -> tuple[Any, int] | None:
        """The first operation on ``table`` (``schema.table`` or ``table``)."""
        for container, index, _, _ in self.spans:
            op = container.ops[index]
            name = getattr(op, "table_name", None)
            schema = getattr(op, "schema", None)
            if name is not None and (f"{schema}.{name}" if schema else name) == table:
                return container, index
        return None

    def op_at(self, line: int) -> tuple[Any, int] | None:
        for container, index, first, last in self.spans:
            if first <= line <= last:
                return container, index
        return None


def _relevant(findings: list[Finding], pending: Path, versions: list[Path]) -> list[Finding]:
    """Findings in the pending revision or outside the existing migrations
    (the models): the history already applied is not this command's concern."""
    out = []
    for f in findings:
        path = f.location.path.resolve()
        if path == pending.resolve():
            out.append(f)
        elif not any(path.is_relative_to(v.resolve()) for v in versions):
            out.append(f)
    return out


def _format(findings: list[Finding], root: Path, pending: _Pending | None = None) -> str:
    """The findings as text; one in the pending revision is shown at the
    path it is about to be written to (its lines are not final yet)."""
    from migration_audit.reporters.common import display_path, format_finding

    out = []
    for f in findings:
        where = None
        if pending is not None and f.location.path.resolve() == pending.path.resolve():
            where = f"{display_path(Location(pending.shown_as), root)} (about to be written)"
        out.append(format_finding(f, root, where))
    return "\n".join(out)


# Warnings listed after the errors that stop a command; more are counted.
WARNINGS_SHOWN = 10


def _errors_first(errors: list[Finding], warnings: list[Finding], root: Path, pending: _Pending) -> str:
    """The text of a command stopped by errors: every error, then the first
    warnings (one error among thousands of warnings is otherwise lost)."""
    text = _format(errors, root, pending)
    if warnings:
        shown = warnings[:WARNINGS_SHOWN]
        text += f"\nand {len(warnings)} warning{'s' if len(warnings) != 1 else ''}:\n" + _format(shown, root, pending)
        if len(warnings) > len(shown):
            counts: dict[str, int] = {}
            for f in warnings[len(shown):]:
                counts[f.code] = counts.get(f.code, 0) + 1
            codes = ", ".join(f"{code} x{n}" for code, n in sorted(counts.items()))
            text += (f"\n... {len(warnings) - len(shown)} more warnings ({codes}); "
                     "`migration-audit check` lists them all")
    return text


@functools.cache
def _comment_op() -> type:
    """A MigrateOperation that Alembic renders as comment lines, placed among
    the operations autogenerate writes."""
    from alembic.autogenerate import renderers
    from alembic.operations.ops import MigrateOperation

    class AuditComment(MigrateOperation):  # type: ignore[misc]
        def __init__(self, text: str) -> None:
            self.text = text

    renderers.dispatch_for(AuditComment)(
        lambda autogen_context, op: [f"# {line}" for line in op.text.splitlines()]
    )
    return AuditComment


def _annotate(findings: list[Finding], pending: _Pending, root: Path) -> None:
    comment = _comment_op()
    inserts: dict[tuple[int, int], list[str]] = {}
    top: list[str] = []
    from migration_audit.reporters.common import display_path

    for f in findings:
        in_pending = f.location.path.resolve() == pending.path.resolve()
        # In the revision itself the comment sits on the spot; elsewhere it says where.
        where = "" if in_pending else f"{display_path(f.location, root)}:{f.location.line}: "
        text = f"migration-audit: {where}{f.code} [{f.severity}] {f.message}\nhelp: {f.help}"
        target = pending.op_at(f.location.line) if in_pending else None
        if target is None and f.object:
            target = pending.op_for_table(f.object.rsplit(".", 1)[0])
        if target is None:
            top.append(text)
        else:
            container, index = target
            inserts.setdefault((id(container), index), []).append(text)
    for container in pending.script.upgrade_ops_list:
        new_ops = []
        for index, op in enumerate(container.ops):
            for text in inserts.get((id(container), index), []):
                new_ops.append(comment(text))
            new_ops.append(op)
        container.ops[:] = new_ops
    if top and pending.script.upgrade_ops_list:
        first = pending.script.upgrade_ops_list[0]
        first.ops[:0] = [comment(text) for text in top]


def _metadata_of(context: Any) -> list[Any] | None:
    """The MetaData env.py handed to context.configure(), if any."""
    from sqlalchemy import MetaData

    opts = getattr(context, "opts", None) or {}
    target = opts.get("target_metadata")
    if isinstance(target, MetaData):
        return [target]
    if isinstance(target, dict):
        target = list(target.values())
    if isinstance(target, (list, tuple)) and target and all(isinstance(m, MetaData) for m in target):
        return list(target)
    return None


def _audit(project: Project, extra_revisions: list[Path] | None = None, metadata: list[Any] | None = None,
           model_sources: Callable[[], list[Any]] | None = None) -> Any:
    """The audit, from inside an Alembic command, with env.py's own sys.path
    (a src/ layout it added) available to a model import; a rule-selection
    error is a CommandError, not a traceback."""
    from alembic.util import CommandError

    from migration_audit.config import UsageError
    from migration_audit.engine import audit_project
    from migration_audit.rules import UnknownRule

    extra_paths = [Path(p) for p in sys.path if p and Path(p).is_dir()]
    try:
        return audit_project(project, [], [], extra_revisions=extra_revisions, probe=True, model_sources=model_sources,
                             extra_sys_paths=extra_paths, metadata_objects=metadata)
    except (UsageError, UnknownRule) as exc:
        raise CommandError(f"migration-audit: {exc}") from None


def _audit_pending(context: Any, directives: list[Any], mode: str, project: Project) -> None:
    from alembic.util import CommandError

    script = directives[0]
    config = context.config
    with tempfile.TemporaryDirectory(prefix="migration-audit-") as tmp:
        pending = _Pending(context, script, Path(tmp))
        # The models env.py already imported: no second import, so the hook
        # costs little next to autogenerate itself (`check` also runs the
        # two-import nondeterminism probe).
        metadata = _metadata_of(context)
        # what the child read ahead is waited for only once the audit has
        # read the history and the imported metadata
        result = _audit(project, [pending.path], metadata, _read_ahead if metadata is not None else None)
        findings = _relevant(result.findings, pending.path, result.project.version_locations)
        findings = [f for f in findings if f.severity >= Severity.WARNING]
        if not findings:
            return
        errors = [f for f in findings if f.severity is Severity.ERROR]
        in_check = _command_name(config) == "check"
        # under `alembic check` there is no file to annotate: annotate fails as fail does
        if errors and (mode == "fail" or (mode == "annotate" and in_check)):
            noun = "error" if len(errors) == 1 else "errors"
            text = _errors_first(errors, [f for f in findings if f.severity is not Severity.ERROR],
                                 result.project.root, pending)
            if in_check:
                raise CommandError(f"migration-audit found {len(errors)} {noun} in the models or the pending "
                                   f"operations:\n{text}")
            raise CommandError(
                f"migration-audit stopped this revision ({len(errors)} {noun}); nothing was written.\n{text}\n"
                "Fix what it reports, or run with `-x migration_audit=warn` to write it anyway."
            )
        if mode == "annotate" and not in_check:
            _annotate(findings, pending, result.project.root)
        text = _format(findings, result.project.root, pending)
        print(f"migration-audit: {len(findings)} finding{'s' if len(findings) != 1 else ''}:\n{text}",
              file=sys.stderr)


def process_revision_directives(context: Any, revision: Any, directives: list[Any]) -> None:
    """Pass to ``context.configure(process_revision_directives=...)`` in env.py."""
    if not directives:
        return  # an earlier hook removed the revision
    script = directives[0]
    if getattr(script, "_migration_audit_done", False):
        return  # multi-database env.py calls the hook once per engine
    has_ops = any(not ops.is_empty() for ops in script.upgrade_ops_list)
    command = _command_name(context.config)
    autogenerate = getattr(getattr(context.config, "cmd_opts", None), "autogenerate", None)
    if not has_ops and command != "check" and not autogenerate:
        return  # `alembic revision` without --autogenerate: nothing of the models to judge
    try:
        script._migration_audit_done = True
    except AttributeError:  # pragma: no cover - a directive that refuses attributes
        pass
    project = _project(context.config)
    mode = _mode(context, project)
    if mode == "skip":
        print("migration-audit: skipped (-x migration_audit=skip)", file=sys.stderr)
        return
    with sigterm_after_cleanup():  # a killed command leaves no temporary folder behind
        _audit_pending(context, directives, mode, project)


def chain(*hooks: Hook | None) -> Hook:
    """One process_revision_directives from several, run in order; each sees
    the directives the previous left (an empty list ends the chain)."""

    def run(context: Any, revision: Any, directives: list[Any]) -> None:
        for hook in hooks:
            if hook is None:
                continue
            if not directives:
                return
            hook(context, revision, directives)

    return run


# -- before upgrade ---------------------------------------------------------------------

def guard_upgrade(environment: Any) -> None:
    """Call in env.py after ``context.configure(...)`` and before
    ``context.run_migrations()``: under ``alembic upgrade``, audit the
    revisions the database has not applied and refuse to run them when one
    has an error. ``alembic -x migration_audit=skip upgrade head`` skips the
    audit, and says so in the log."""
    import logging

    from alembic.util import CommandError

    from migration_audit.pending import in_revisions

    config = environment.config
    if _command_name(config) not in (None, "upgrade"):
        return
    log = logging.getLogger("migration_audit")
    if environment.is_offline_mode():
        log.warning("migration-audit: upgrade guard not applied in offline (--sql) mode; "
                    "run `migration-audit check` on the revisions instead")
        return
    asked = _x_argument(config)
    if asked == "skip":
        log.warning("migration-audit: upgrade guard skipped (-x migration_audit=skip)")
        return
    if asked is not None:
        raise CommandError(f"migration-audit: unknown -x migration_audit={asked}; the upgrade guard knows only "
                           "`-x migration_audit=skip`")
    heads = tuple(environment.get_context().get_current_heads())
    destination = environment.get_revision_argument() or "heads"
    if isinstance(destination, (tuple, list)):
        destination = destination[0] if len(destination) == 1 else "heads"
    with sigterm_after_cleanup():
        result = _audit(_project(config))
    history = result.facts.migrations
    assert history is not None
    todo = _to_run(environment, destination, heads, history)
    errors = [f for f in in_revisions(result.findings, history, todo) if f.severity is Severity.ERROR]
    if not errors:
        return
    text = _format(errors, result.project.root)
    # as the user typed it (`head`), not as Alembic resolved it (a revision id)
    typed = getattr(getattr(config, "cmd_opts", None), "revision", None)
    again = typed if isinstance(typed, str) and typed else destination
    raise CommandError(
        f"migration-audit refused to upgrade: {len(errors)} error{'s' if len(errors) != 1 else ''} in the "
        f"revisions this upgrade would run; nothing was run.\n{text}\n"
        f"Fix the migration, or run `alembic -x migration_audit=skip upgrade {again}` to apply it anyway."
    )


def _to_run(environment: Any, destination: str, heads: tuple[str, ...], history: Any) -> set[str]:
    """The revisions `alembic upgrade <destination>` runs from these heads,
    as Alembic's own script directory computes them; every unapplied one if
    it cannot tell."""
    from migration_audit.pending import pending_revisions

    script = getattr(environment, "script", None) or getattr(environment.get_context(), "script", None)
    try:
        revs = script.revision_map.iterate_revisions(destination, heads, implicit_base=True)
        return {r.revision for r in revs if r is not None}
    except Exception:  # noqa: BLE001 - an odd target or graph: every unapplied revision, to be safe
        return pending_revisions(history, heads)


# -- post-write hook ----------------------------------------------------------------------

def _find_root(path: Path) -> Path:
    for folder in [path.parent, *path.parents]:
        if (folder / "alembic.ini").is_file() or (folder / "pyproject.toml").is_file():
            if (folder / "alembic.ini").is_file() or "[tool.alembic]" in (folder / "pyproject.toml").read_text(
                encoding="utf-8", errors="replace"
            ):
                return folder
    return Path.cwd()


def write_hook(filename: str, options: Mapping[str, str]) -> None:
    """The ``migration_audit`` post-write hook: audit the project and report
    the findings in the revision just written; fail the command on errors
    (Alembic has already written the file; it stays, and the message says so)."""
    from alembic.util import CommandError

    from migration_audit.engine import audit

    path = Path(filename).resolve()
    root = Path(options["project"]).resolve() if options.get("project") else _find_root(path)
    mode = (options.get("mode") or "fail").lower()
    if mode == "skip":
        return
    try:
        with sigterm_after_cleanup():
            result = audit(root, Overrides(name=options.get("name")), [], [], probe=False)
    except Exception as exc:  # noqa: BLE001 - usage errors: one line, never a traceback
        raise CommandError(f"migration-audit: {exc}") from None
    # Only this file: the models are the revision hook's and `check`'s concern.
    shown = [f for f in result.findings if f.location.path.resolve() == path and f.severity >= Severity.WARNING]
    if not shown:
        return
    text = _format(shown, result.project.root)
    if mode == "fail" and any(f.severity is Severity.ERROR for f in shown):
        raise CommandError(f"migration-audit found problems in {path.name} (the file was written; fix or delete "
                           f"it):\n{text}")
    print(f"migration-audit: {path.name}:\n{text}", file=sys.stderr)


def register_write_hook() -> None:
    """Register the post-write hook type by hand (Alembic before 1.18, where
    the plugin entry point is not loaded); call it at the top of env.py."""
    from alembic.script import write_hooks

    if "migration_audit" not in getattr(write_hooks, "_registry", {}):
        write_hooks.register("migration_audit")(write_hook)


__all__: Sequence[str] = (
    "process_revision_directives", "chain", "guard_upgrade", "write_hook", "register_write_hook", "MODES",
)


_ahead = _start_read_ahead()
