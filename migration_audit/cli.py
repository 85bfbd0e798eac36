"""Command line: ``migration-audit check [PATH]``, ``rules``, ``explain CODE``.

Exit codes: 0 no findings (or only info), 1 findings of severity warning or
error, 2 usage or internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from migration_audit import __version__
from migration_audit.config import Overrides, UsageError
from migration_audit.findings import Severity

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class _Parser(argparse.ArgumentParser):
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

    sub.add_parser("rules", help="list every rule")
    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule", help="rule code or name, e.g. MA101")
    return parser


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
    from migration_audit.reporters import REPORTERS

    if args.no_cache:
        os.environ["MIGRATION_AUDIT_NO_CACHE"] = "1"

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
    if args.pending:
        from migration_audit.pending import in_revisions, pending_revisions
        from migration_audit.sources.database import applied_heads

        history = result.facts.migrations
        assert history is not None
        todo = pending_revisions(history, applied_heads(args.database_url, args.version_table))
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
            sys.stdout.write(fix.diff(edits, result.project.root))
            count = sum(e.fixed for e in edits)
            print(f"{count} fix{'es' if count != 1 else ''} available (apply with --fix)", file=sys.stderr)
            return EXIT_FINDINGS if count else EXIT_CLEAN
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
    from migration_audit.reporters.common import summary_line

    stream = sys.stdout
    report = REPORTERS[args.format](result, color=args.output is None and args.format == "text" and _color(stream))
    if args.output:
        _write_report(Path(args.output), report)
    else:
        stream.write(report)
        stream.flush()
    print(summary_line(result), file=sys.stderr)
    fail_on = args.fail_on or result.project.fail_on or "warning"
    if fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity.ERROR if fail_on == "error" else Severity.WARNING
    return EXIT_FINDINGS if any(f.severity >= threshold for f in result.findings) else EXIT_CLEAN


def _write_report(target: Path, report: str) -> None:
    """Replace ``target`` with the report in one step (a reader never sees half a report)."""
    import tempfile

    target = target.resolve()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".migration-audit-", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(report)
        os.replace(tmp, target)
    except OSError as exc:
        raise UsageError(f"--output {target}: {exc.strerror or exc}") from None


def _cmd_rules() -> int:
    from migration_audit.rules import RULES

    rows = [("CODE", "NAME", "SEVERITY", "ENABLED", "SUMMARY")]
    for code, rule in RULES.items():
        rows.append((code, rule.name, str(rule.severity), "yes" if rule.enabled_by_default else "no", rule.summary()))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
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
    print(f"{rule.code} {rule.name} [{rule.severity}, {state}]\n\n{doc.summary}\n\n{doc.text()}")
    return EXIT_CLEAN


def main(argv: list[str] | None = None) -> int:
    from migration_audit.rules import UnknownRule

    for stream in (sys.stdout, sys.stderr):
        # Paths and messages may hold any character; a non-UTF-8 terminal
        # must not turn a report into a traceback.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _cmd_check(args)
        if args.command == "rules":
            return _cmd_rules()
        if args.command == "explain":
            return _cmd_explain(args.rule)
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    except (UsageError, UnknownRule) as exc:
        print(f"migration-audit: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("migration-audit: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - an internal error must still exit 2, with a trace to report
        traceback.print_exc(file=sys.stderr)
        print(
            f"migration-audit: internal error: {type(exc).__name__}: {exc}. Please report it with the trace above.",
            file=sys.stderr,
        )
        return EXIT_ERROR
