"""The audit: sources → facts → rules → findings. Every entry point (the
CLI, and later the Alembic hooks and the pytest plugin) calls :func:`audit`."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migration_audit import rules as rule_registry
from migration_audit import suppress
from migration_audit.config import Overrides, Project, load_project
from migration_audit.facts import Diagnostic, Facts, Location
from migration_audit.findings import Finding
from migration_audit.rules.ma0xx_tool import UnusedIgnore
from migration_audit.sources.migrations import read_history
from migration_audit.sources.model_worker import Request, Result, compare, load_models


@dataclass(slots=True)
class AuditResult:
    project: Project
    facts: Facts
    findings: list[Finding] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # the codes that ran

    def summary(self) -> dict[str, int]:
        history = self.facts.migrations
        return {
            "files": self.facts.files,
            "revisions": len(history.revisions) if history else 0,
            "tables": len(self.facts.models.tables) if self.facts.models else 0,
            "findings": len(self.findings),
        }


def collect_facts(
    project: Project,
    extra_revisions: list[Path] | None = None,
    probe: bool = True,
    extra_sys_paths: list[Path] | None = None,
    metadata_objects: list[Any] | None = None,
    database_url: str | None = None,
    version_table: str = "alembic_version",
    replay: bool = False,
    replay_url: str | None = None,
) -> Facts:
    """Read every source. ``extra_revisions`` are revision files outside the
    version locations (the revision autogenerate is about to write);
    ``probe`` imports the models twice to compare them (MA106);
    ``database_url`` is a live database to read (only read) for MA202."""
    facts = Facts(root=project.root, dialect=project.dialect)
    facts.diagnostics.extend(project.diagnostics)
    assert project.script_location is not None
    facts.migrations = read_history(
        project.script_location,
        project.version_locations,
        project.recursive_version_locations,
        facts.diagnostics,
        extra_revisions,
    )
    files = facts.migrations.files
    if metadata_objects is not None:
        # Inside an Alembic command: env.py has imported the models already.
        from migration_audit.sources.locate import SourceIndex
        from migration_audit.sources.models import model_schema, project_module_files

        roots = sorted({project.root.resolve(), *(p.resolve() for p in project.sys_paths)})
        fallback = project.metadata_location or Location(project.config_file or project.root, 1, 1)
        index = SourceIndex(project.root)
        index.module_files = project_module_files(roots)
        facts.models = model_schema(metadata_objects, project.dialect, index, fallback, roots)
        files += len({c.location.path for t in facts.models.tables.values() for c in t.columns.values() if c.location})
    elif project.metadata:
        roots = sorted({project.root.resolve(), *(p.resolve() for p in project.sys_paths)})
        fallback = project.metadata_location or Location(project.config_file or project.root, 1, 1)
        sys_paths = [*project.sys_paths, *(p for p in extra_sys_paths or [] if p not in project.sys_paths)]
        if project.import_models:
            request = Request(project.metadata, project.import_modules, roots, sys_paths, project.dialect,
                              fallback, project.root)
            results = load_models(request, runs=2 if probe else 1, timeout=project.import_timeout)
        else:
            from migration_audit.sources.model_ast import static_schema

            search = list(dict.fromkeys(p.resolve() for p in sys_paths))
            results = [Result(*static_schema(project.metadata, project.import_modules, search, project.dialect,
                                             fallback))]
        seen: set[str] = set()
        for r in results:
            for d in r.diagnostics:
                if d.message not in seen:
                    seen.add(d.message)
                    facts.diagnostics.append(d)
        schemas = [r.schema for r in results if r.schema is not None]
        if schemas:
            facts.models = schemas[0]
            if len(schemas) == 2:
                facts.variances = compare(schemas[0], schemas[1])
            files += len(
                {c.location.path for t in facts.models.tables.values() for c in t.columns.values() if c.location}
            )
            created = len(facts.migrations.head_schema.tables)
            if not facts.models.tables and created:
                facts.diagnostics.append(
                    Diagnostic(
                        "MA005",
                        f"the model metadata {', '.join(project.metadata)} has no tables, while the migrations "
                        f"leave {created}; the modules that define the models were never imported, so model "
                        "rules found nothing to check",
                        "list the model modules under `import-modules` in [tool.migration-audit], or point "
                        "--metadata at a module that imports them all",
                        fallback,
                    )
                )
    facts.files = files
    source = facts.models if facts.models is not None else facts.migrations.head_schema
    wanted = sorted({(t.schema, t.name) for t in source.tables.values()}, key=lambda k: (k[0] or "", k[1]))
    if database_url:
        from migration_audit.sources.database import reflect

        facts.database = reflect(database_url, wanted, version_table)
    if replay:
        from migration_audit.sources.scratch import replay_into_scratch

        facts.replayed, problems = replay_into_scratch(project, facts.migrations, replay_url, wanted,
                                                       project.import_timeout)
        facts.diagnostics.extend(problems)
    return facts


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The audit builds many small objects that live until it ends (facts,
    ASTs) and creates no reference cycles worth collecting; with the cyclic
    GC running it spends a sixth of its time rescanning them, and inside an
    Alembic command the user's whole model metadata too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # Everything allocated meanwhile would be young: re-enabling the
            # GC as is makes its next pass scan it all at once. Moved to the
            # oldest generation, it waits for the next full collection.
            gc.freeze()
            gc.enable()
            gc.unfreeze()


def _files_read(facts: Facts) -> set[Path]:
    """The revision files and model files the audit read: where ignore
    comments may be."""
    files = {r.path for r in facts.migrations.revisions.values()} if facts.migrations else set()
    if facts.models is not None:
        files.update(c.location.path for t in facts.models.tables.values() for c in t.columns.values() if c.location)
    return files


def audit(
    path: Path,
    overrides: Overrides,
    select: list[str],
    ignore: list[str],
    extra_revisions: list[Path] | None = None,
    probe: bool = True,
    extra_sys_paths: list[Path] | None = None,
    metadata_objects: list[Any] | None = None,
    database_url: str | None = None,
    version_table: str = "alembic_version",
    replay: bool = False,
    replay_url: str | None = None,
) -> AuditResult:
    """Run every enabled rule on the project at ``path``. Raises
    config.UsageError and rules.UnknownRule for bad input."""
    return audit_project(load_project(path, overrides), select, ignore, extra_revisions, probe, extra_sys_paths,
                         metadata_objects, database_url, version_table, replay, replay_url)


def audit_project(
    project: Project,
    select: list[str],
    ignore: list[str],
    extra_revisions: list[Path] | None = None,
    probe: bool = True,
    extra_sys_paths: list[Path] | None = None,
    metadata_objects: list[Any] | None = None,
    database_url: str | None = None,
    version_table: str = "alembic_version",
    replay: bool = False,
    replay_url: str | None = None,
) -> AuditResult:
    """:func:`audit` for a project already loaded (the Alembic hooks load it
    once to read their mode too)."""
    chosen = rule_registry.enabled(select or project.select, [*project.ignore, *ignore], project.extend_select)
    with _gc_paused():
        facts = collect_facts(project, extra_revisions, probe, extra_sys_paths, metadata_objects, database_url,
                              version_table, replay, replay_url)
        findings: list[Finding] = []
        for rule in chosen:
            findings.extend(rule().check(facts))
    ran = {r.code for r in chosen}
    suppressed = suppress.apply(findings, project, _files_read(facts), ran)
    findings = suppressed.findings
    if UnusedIgnore.code in ran:
        findings.extend(UnusedIgnore.for_comment(comment, idle) for comment, idle in suppressed.unused)
    findings.sort(key=Finding.sort_key)
    return AuditResult(project, facts, findings, [r.code for r in chosen])
