"""Command line: ``migration-audit check [PATH]``, ``rules``, ``explain CODE``,
``explain-error [TEXT|-]``.

Exit codes: 0 no findings (or only info), 1 findings of severity warning or
error, 2 usage or internal error. ``explain-error`` exits 1 when a default
of the model causes the error (a finding), 0 when it does not.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migration_audit import __version__
from migration_audit.config import Overrides, UsageError
from migration_audit.findings import Severity
from migration_audit.signals import Terminated, sigterm_unwinds

if TYPE_CHECKING:
    from migration_audit.engine import AuditResult

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
EXIT_TERMINATED = 143  # 128 + SIGTERM


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # `--stati` is no `--static`: a typo in a CI script must fail, not guess
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # argparse exits 2 as well; keep the one-line form
        self.print_usage(sys.stderr)
        print(f"migration-audit: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="migration-audit",
        description="Find per-row values frozen into SQLAlchemy models and Alembic migrations, "
        "and server-default drift, before migrations are applied.",
    )
    parser.add_argument("--version", action="version", version=f"migration-audit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="audit an Alembic project (default: the current folder)")
    check.add_argument("path", nargs="?", default=".", help="project folder or its alembic.ini (default: .)")
    check.add_argument("--format", choices=["text", "json", "sarif", "github", "junit", "gcc"], default="text",
                       help="report format (default: text)")
    check.add_argument("--output", "-o", metavar="FILE",
                       help="write the report to FILE instead of stdout (the summary still goes to stderr)")
    check.add_argument("--fail-on", choices=["error", "warning", "never"],
                       help="exit 1 when a finding has this severity or higher (default: warning, or fail-on in config)")
    check.add_argument("--changed-since", metavar="REF",
                       help="report only findings in files changed since this git ref (committed or not)")
    check.add_argument("--baseline", metavar="FILE", help="report only findings the baseline FILE does not list")
    check.add_argument("--write-baseline", metavar="FILE",
                       help="record the current findings in FILE (for --baseline) and exit 0")
    check.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="model metadata to audit, e.g. app.models:Base.metadata (repeatable; default: what env.py uses)",
    )
    check.add_argument("-n", "--name", metavar="SECTION", help="the alembic.ini section to use, as `alembic --name` (default: alembic)")
    check.add_argument("--script-location", metavar="DIR", help="the Alembic script folder (default: from alembic.ini)")
    check.add_argument("--static", action="store_true",
                       help="read the models with ast instead of importing them: no project code runs "
                       "(config: import-models = false)")
    check.add_argument("--import-timeout", type=float, metavar="SECONDS",
                       help="give up on importing the models after this long (default: 120)")
    check.add_argument("--dialect", help="SQL dialect to render defaults for (default: from sqlalchemy.url)")
    check.add_argument("--no-cache", action="store_true",
                       help="read every revision file afresh, without the revision cache "
                       "(also MIGRATION_AUDIT_NO_CACHE=1)")
    check.add_argument("--select", type=_csv, action="extend", default=[], metavar="CODES", help="only these rules: codes, prefixes (MA1) or names, comma-separated")
    check.add_argument("--ignore", type=_csv, action="extend", default=[], metavar="CODES", help="skip these rules: codes, prefixes (MA1) or names, comma-separated")

    check.add_argument("--pending", action="store_true",
                       help="report only findings in revisions the database has not applied (needs --database-url)")
    check.add_argument("--database-url", metavar="URL",
                       help="a live database to compare server defaults with (MA202), or with --pending to read "
                       "the applied revisions from; only ever read, in a read-only transaction")
    check.add_argument("--version-table", default="alembic_version", metavar="NAME",
                       help="the table Alembic records applied revisions in (default: alembic_version)")
    check.add_argument("--replay", action="store_true",
                       help="also apply the migration chain to a scratch database (embedded SQLite, or see "
                       "--replay-url) and compare what it leaves with the models; runs the migrations' code")
    check.add_argument("--replay-url", metavar="URL",
                       help="replay on this server, in a database migration-audit creates and drops "
                       "(or an empty SQLite file); implies --replay")
    fixing = check.add_mutually_exclusive_group()
    fixing.add_argument("--fix", action="store_true",
                        help="rewrite model defaults that have an unambiguous fix, then report what remains")
    fixing.add_argument("--diff", action="store_true", help="show the --fix changes as a diff; change nothing")

    probe = sub.add_parser("probe", help="prove duplicate keys and NOT NULL failures by inserting rows into a "
                           "scratch database built by the migration chain")
    probe.add_argument("path", nargs="?", default=".", help="project folder or its alembic.ini (default: .)")
    probe.add_argument("--replay-url", metavar="URL",
                       help="probe on this server, in a database migration-audit creates and drops (or an empty "
                       "SQLite file); default: an SQLite file in a temporary folder")
    probe.add_argument("--format", choices=["text", "json", "sarif", "github", "junit", "gcc"], default="text",
                       help="report format (default: text)")
    probe.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    probe.add_argument("--fail-on", choices=["error", "warning", "never"],
                       help="exit 1 when a finding has this severity or higher (default: warning)")
    _project_options(probe)

    sub.add_parser("rules", help="list every rule")
    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule", help="rule code or name, e.g. MA101")

    explain_error = sub.add_parser(
        "explain-error", help="say which model default causes a duplicate-key or NOT NULL database error")
    explain_error.add_argument("text", nargs="?", default="-", metavar="TEXT",
                               help="the error message, as SQLAlchemy raised it (default, or -: read stdin)")
    explain_error.add_argument("-p", "--project", default=".", metavar="PATH",
                               help="the project folder or its alembic.ini (default: .)")
    _project_options(explain_error)
    return parser


def _project_options(parser: argparse.ArgumentParser) -> None:
    """How to find a project's models, for the commands other than check."""
    parser.add_argument("--metadata", action="append", default=[], metavar="MODULE:ATTR",
                        help="model metadata, e.g. app.models:Base.metadata (default: what env.py uses)")
    parser.add_argument("-n", "--name", metavar="SECTION", help="the alembic.ini section to use")
    parser.add_argument("--script-location", metavar="DIR", help="the Alembic script folder")
    parser.add_argument("--import-timeout", type=float, metavar="SECONDS",
                        help="give up on importing the models after this long (default: 120)")


def _color(stream: object) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


def _backend(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).get_backend_name()
    except Exception:  # noqa: BLE001 - reported, with the password hidden, when the database is read
        return None


def _cmd_check(args: argparse.Namespace) -> int:
    from migration_audit.engine import audit

    if args.no_cache:
        os.environ["MIGRATION_AUDIT_NO_CACHE"] = "1"
    if args.dialect is not None and not args.dialect.strip():
        raise UsageError("--dialect is empty; name a dialect such as postgresql, mysql, mariadb, sqlite")

    overrides = Overrides(
        metadata=args.metadata, script_location=args.script_location, dialect=args.dialect, name=args.name,
        import_timeout=args.import_timeout, import_models=False if args.static else None,
    )
    if args.static and (args.replay or args.replay_url):
        raise UsageError("--static runs no project code, and --replay runs the migrations: choose one")
    if args.pending and not args.database_url:
        raise UsageError("--pending needs --database-url, the database whose applied revisions to compare with")
    if args.database_url and not args.dialect:
        overrides.dialect = _backend(args.database_url)  # render model defaults as that database spells them
    replay = bool(args.replay or args.replay_url)
    if args.replay_url and not args.dialect and not args.database_url:
        overrides.dialect = _backend(args.replay_url)
    sources = {"database_url": None if args.pending else args.database_url, "version_table": args.version_table,
               "replay": replay, "replay_url": args.replay_url}
    result = audit(Path(args.path), overrides, args.select, args.ignore, **sources)  # type: ignore[arg-type]
    if args.pending and result.sections:
        names = ", ".join(f"[{s.project.section}]" for s in result.sections)
        raise UsageError(f"--pending: alembic.ini names several script directories ({names}); pass --name "
                         "with the one the database uses")
    if args.pending:
        from migration_audit.pending import in_revisions, pending_revisions
        from migration_audit.sources.database import applied_heads

        history = result.facts.migrations
        assert history is not None
        heads = applied_heads(args.database_url, args.version_table)
        unknown = [h for h in heads or () if h not in history.revisions]
        if unknown:
            from migration_audit.sources.database import shown_url

            raise UsageError(f"--pending: the database {shown_url(args.database_url)} is at revision "
                             f"{', '.join(unknown)}, which no revision file here defines (a branch not checked "
                             "out, or a database upgraded from other code); Alembic refuses to upgrade it too")
        todo = pending_revisions(history, heads)
        result.findings = in_revisions(result.findings, history, todo)
        print(f"migration-audit: {len(todo)} pending revision{'s' if len(todo) != 1 else ''}: "
              f"{', '.join(r for r in history.order if r in todo) or 'none'}", file=sys.stderr)
    if args.fix or args.diff:
        from migration_audit import fix

        edits = fix.plan(result.findings, result.project.root)
        if args.diff:
            for e in edits:
                for note in e.skipped:
                    print(f"migration-audit: not fixed: {note}", file=sys.stderr)
            _emit(fix.diff(edits, result.project.root))
            count = sum(e.fixed for e in edits)
            print(f"{count} fix{'es' if count != 1 else ''} available (apply with --fix)", file=sys.stderr)
            return EXIT_FINDINGS if _failing(args, result) else EXIT_CLEAN
        fixed = fix.write(edits)
        for e in edits:
            for note in e.skipped:
                print(f"migration-audit: not fixed: {note}", file=sys.stderr)
        print(f"Fixed {fixed} finding{'s' if fixed != 1 else ''}.", file=sys.stderr)
        if fixed:
            result = audit(Path(args.path), overrides, args.select, args.ignore, **sources)  # type: ignore[arg-type]
    if args.changed_since:
        from migration_audit.changed import changed_files

        changed = changed_files(result.project.root, args.changed_since)
        result.findings = [f for f in result.findings if f.location.path.resolve() in changed]
        print(f"migration-audit: {len(changed)} file{'s' if len(changed) != 1 else ''} changed since "
              f"{args.changed_since}; reporting findings in those only", file=sys.stderr)
    if args.write_baseline:
        from migration_audit.baseline import write_baseline

        count = write_baseline(result.findings, result.project.root, Path(args.write_baseline))
        print(f"migration-audit: wrote {count} finding{'s' if count != 1 else ''} to the baseline "
              f"{args.write_baseline}", file=sys.stderr)
        return EXIT_CLEAN
    if args.baseline:
        from migration_audit.baseline import apply_baseline

        applied = apply_baseline(result.findings, result.project.root, Path(args.baseline))
        result.findings = applied.findings
        print(f"migration-audit: the baseline {args.baseline} accounts for {applied.matched} finding"
              f"{'s' if applied.matched != 1 else ''}; {applied.stale} of its entries no longer occur"
              + (" (rewrite it with --write-baseline)" if applied.stale else ""), file=sys.stderr)
    return _report(args, result)


def _report(args: argparse.Namespace, result: AuditResult) -> int:
    """Write the report (--format, --output), the summary; the exit code (--fail-on)."""
    from migration_audit.reporters import REPORTERS
    from migration_audit.reporters.common import summary_line

    stream = sys.stdout
    report = REPORTERS[args.format](result, color=args.output is None and args.format == "text" and _color(stream))
    if args.output:
        _write_report(Path(args.output), report)
    else:
        _emit(report)
    print(summary_line(result), file=sys.stderr)
    unreadable = [e for part in (result.sections or [result]) for e in part.facts.unreadable]
    if unreadable:
        for message in dict.fromkeys(unreadable):
            print(f"migration-audit: error: {message}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_FINDINGS if _failing(args, result) else EXIT_CLEAN


def _failing(args: argparse.Namespace, result: AuditResult) -> bool:
    """Whether the findings fail the run (--fail-on)."""
    fail_on = args.fail_on or result.project.fail_on or "warning"
    if fail_on == "never":
        return False
    threshold = Severity.ERROR if fail_on == "error" else Severity.WARNING
    return any(f.severity >= threshold for f in result.findings)


def _cmd_probe(args: argparse.Namespace) -> int:
    from migration_audit.engine import audit
    from migration_audit.rules.ma190_proven_duplicate_key import PROOF_CODES

    overrides = Overrides(metadata=args.metadata, script_location=args.script_location, name=args.name,
                          import_timeout=args.import_timeout,
                          dialect=_backend(args.replay_url) if args.replay_url else None)
    result = audit(Path(args.path), overrides, ["MA0", *PROOF_CODES], [], probe=False, replay_url=args.replay_url,
                   insert_probe=True)
    for outcome in result.facts.probed or []:
        if outcome.kind == "failed":  # proves nothing about defaults, but the table went unprobed
            what = f"leaving out {outcome.columns[0]}" if outcome.columns else "two rows"
            print(f"migration-audit: probe: an insert into {outcome.table_key} ({what}) failed for another reason: "
                  f"{outcome.message}", file=sys.stderr)
        elif outcome.kind == "duplicate-key" and not outcome.by_defaults:
            print(f"migration-audit: probe: two rows of {outcome.table_key} collided on values the probe made up, "
                  f"which proves nothing: {outcome.message}", file=sys.stderr)
    return _report(args, result)


def _write_report(target: Path, report: str) -> None:
    """Replace a regular ``target`` with the report in one step (a reader
    never sees half a report), keeping its mode, or giving a new file the
    mode the umask allows; write into anything else (a FIFO, a device,
    /dev/stdout) in place."""
    import stat
    import tempfile

    try:
        try:
            st = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            with open(target, "w", encoding="utf-8", newline="") as out:
                out.write(report)
            return
        target = target.resolve()
        if st is not None:
            mode = stat.S_IMODE(st.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, tmp = tempfile.mkstemp(prefix=".migration-audit-", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(report)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise UsageError(f"--output {target}: {exc.strerror or exc}") from None


def _cmd_rules() -> int:
    from migration_audit.rules import RULES

    rows = [("CODE", "NAME", "SEVERITY", "ENABLED", "SUMMARY")]
    for code, rule in RULES.items():
        rows.append((code, rule.name, str(rule.severity), "yes" if rule.enabled_by_default else "no", rule.summary()))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    _emit("".join("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] + "\n" for r in rows))
    return EXIT_CLEAN


def _cmd_explain(selector: str) -> int:
    from migration_audit.rules import RULES, expand
    from migration_audit.rules.docs import rule_doc

    codes = expand(selector)
    if len(codes) != 1:
        raise UsageError(f"{selector!r} names {len(codes)} rules; give one code, e.g. {codes[0]}")
    rule = RULES[codes[0]]
    doc = rule_doc(rule)
    state = "enabled by default" if rule.enabled_by_default else "off by default: enable it with --select or extend-select"
    _emit(f"{rule.code} {rule.name} [{rule.severity}, {state}]\n\n{doc.summary}\n\n{doc.text()}\n")
    return EXIT_CLEAN


def _cmd_explain_error(args: argparse.Namespace) -> int:
    from migration_audit import dberror
    from migration_audit.config import load_project
    from migration_audit.engine import collect_facts
    from migration_audit.explain_error import KEY_RULES, NOT_NULL_RULES, explain, render
    from migration_audit.rules import RULES

    if args.text == "-" and sys.stdin is None:
        raise UsageError("explain-error: standard input is closed; give the error text as an argument")
    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise UsageError("explain-error: no error text (give it as an argument, or on stdin with -)")
    error = dberror.parse(text)
    if error is None:  # no project needed to say so
        _emit(render(explain(text, _no_facts(), []), Path(".")))
        return EXIT_CLEAN
    overrides = Overrides(metadata=args.metadata, script_location=args.script_location, name=args.name,
                          import_timeout=args.import_timeout, dialect=error.dialect)
    project = load_project(Path(args.project), overrides)
    facts = collect_facts(project, probe=False)
    if facts.models is None:
        why = next((d.message for d in facts.diagnostics if d.code in ("MA002", "MA005")), "no model metadata found")
        raise UsageError(f"explain-error needs the project's models: {why}")
    findings = [f for code in (*KEY_RULES, *NOT_NULL_RULES) for f in RULES[code]().check(facts)]
    explanation = explain(text, facts, findings)
    _emit(render(explanation, project.root))
    return EXIT_FINDINGS if explanation.default_problem else EXIT_CLEAN


def _no_facts():  # type: ignore[no-untyped-def]
    from migration_audit.facts import Facts

    return Facts(root=Path("."), dialect="")


def main(argv: list[str] | None = None) -> int:
    from migration_audit.sources.child import discard_prestarted

    try:
        return _main(argv)
    finally:
        discard_prestarted()  # the model worker started ahead, if the audit did not need it


def _main(argv: list[str] | None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # Paths and messages may hold any character; a non-UTF-8 terminal
        # must not turn a report into a traceback.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if sys.stdout is None:  # started with standard output closed (`>&-`)
        sys.stdout = _ClosedOutput()
    with sigterm_unwinds():
        return _run(args, parser)


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from migration_audit.rules import UnknownRule

    try:
        if args.command == "check":
            return _cmd_check(args)
        if args.command == "rules":
            return _cmd_rules()
        if args.command == "explain":
            return _cmd_explain(args.rule)
        if args.command == "probe":
            return _cmd_probe(args)
        if args.command == "explain-error":
            return _cmd_explain_error(args)
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    except (UsageError, UnknownRule) as exc:
        print(f"migration-audit: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("migration-audit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("migration-audit: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:
        # The reader went away (`| head`): what it did not read is not an
        # error; no more output, and no complaint when Python exits.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - an internal error must still exit 2, with a trace to report
        traceback.print_exc(file=sys.stderr)
        print(
            f"migration-audit: internal error: {type(exc).__name__}: {exc}. Please report it with the trace above.",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _emit(text: str) -> None:
    """Write to standard output; a failure other than a reader gone away
    (a full disk, a closed stream) is a one-line error."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError(f"cannot write to standard output: {exc.strerror or exc}") from None


class _ClosedOutput:
    """Standard output when the process was started without one."""

    def write(self, text: str) -> int:
        raise OSError(9, "standard output is closed")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError(9, "standard output is closed")

    def isatty(self) -> bool:
        return False
