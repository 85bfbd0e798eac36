"""The audit: sources → facts → rules → findings. Every entry point (the
CLI, and later the Alembic hooks and the pytest plugin) calls :func:`audit`."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migration_audit import rules as rule_registry
from migration_audit import suppress
from migration_audit.config import Overrides, Project, UsageError, load_projects
from migration_audit.facts import Diagnostic, Facts, Location, TableFilter
from migration_audit.findings import Finding
from migration_audit.rules.ma0xx_tool import UnusedIgnore
from migration_audit.sources.migrations import read_history
from migration_audit.sources.model_worker import ModelImport, Request, Result, compare, wants_probe


@dataclass(slots=True)
class AuditResult:
    project: Project
    facts: Facts
    findings: list[Finding] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # the codes that ran
    # One result per script directory, when alembic.ini names several
    # (``project`` and ``facts`` are then the first one's).
    sections: list[AuditResult] = field(default_factory=list)

    @classmethod
    def combined(cls, parts: list[AuditResult]) -> AuditResult:
        findings: dict[tuple[object, ...], Finding] = {}
        for part in parts:
            for f in part.findings:  # script directories sharing models report a model finding once
                findings.setdefault((f.code, f.location, f.object, f.message), f)
        first = parts[0]
        return cls(first.project, first.facts, sorted(findings.values(), key=Finding.sort_key), first.rules, parts)

    def summary(self) -> dict[str, int]:
        if self.sections:
            counts = [s.summary() for s in self.sections]
            return {k: (len(self.findings) if k == "findings" else sum(c[k] for c in counts)) for k in counts[0]}
        history = self.facts.migrations
        return {
            "files": self.facts.files,
            "revisions": len(history.revisions) if history else 0,
            "tables": len(self.facts.models.tables) if self.facts.models else 0,
            "findings": len(self.findings),
        }


def model_roots(project: Project) -> list[Path]:
    """The folders the project's model modules are looked for in."""
    return sorted({project.root.resolve(), *(p.resolve() for p in project.sys_paths)})


def named_model_files(project: Project, sys_paths: list[Path]) -> list[Path]:
    """The files of the modules the configuration names (the metadata's,
    and those env.py imports): surely read when the models are located."""
    from migration_audit.sources.pyexpr import module_file

    named = [spec.partition(":")[0] for spec in project.metadata] + list(project.import_modules)
    search = list(dict.fromkeys(p.resolve() for p in [*sys_paths, project.root]))
    return [f for f in (module_file(m, search) for m in dict.fromkeys(named)) if f is not None]


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
    insert_probe: bool = False,
    model_sources: Callable[[], list[Any]] | None = None,
) -> Facts:
    """Read every source. ``extra_revisions`` are revision files outside the
    version locations (the revision autogenerate is about to write);
    ``probe`` imports the models twice to compare them (MA106);
    ``database_url`` is a live database to read (only read) for MA202;
    ``insert_probe`` inserts rows into a scratch database (on the
    ``replay_url`` server, else SQLite) for MA190 and MA290;
    ``model_sources`` gives the model modules read ahead (FileSources),
    perhaps after waiting for the child reading them: it is called once the
    imported metadata has been read, which is work enough to wait on."""
    facts = Facts(root=project.root, dialect=project.dialect,
                  table_filter=TableFilter(tuple(project.exclude_tables),
                                           tuple(project.include_schemas) if project.include_schemas is not None
                                           else None))
    facts.diagnostics.extend(project.diagnostics)
    assert project.script_location is not None
    if not project.import_models and (replay or insert_probe):
        # the promise of `import-models = false` (and --static): no project code runs
        raise UsageError(f"import-models = false in {project.root / 'pyproject.toml'} promises that no project "
                         f"code runs, and {'the probe' if insert_probe else '--replay'} runs the migrations and "
                         "imports the models: drop one")
    # where the models are looked for, and where a finding about them goes without a line of its own
    roots = model_roots(project)
    fallback = project.metadata_location or Location(project.config_file or project.root, 1, 1)
    sys_paths = [*project.sys_paths, *(p for p in extra_sys_paths or [] if p not in project.sys_paths)]
    importing = None
    if metadata_objects is None and project.metadata:
        # The children import the models (or, with import-models = false,
        # read their source) while this process reads the migrations.
        request = Request(project.metadata, project.import_modules, roots, sys_paths, project.dialect,
                          fallback, project.root, static=not project.import_models)
        importing = ModelImport(request, runs=2 if probe and project.import_models else 1,
                                timeout=project.import_timeout)
    try:
        facts.migrations = read_history(
            project.script_location,
            project.version_locations,
            project.recursive_version_locations,
            facts.diagnostics,
            extra_revisions,
        )
    except BaseException:
        if importing is not None:
            importing.cancel()
        raise
    files = facts.migrations.files
    results: list[Result] | None = None
    if metadata_objects is not None:
        # Inside an Alembic command: env.py has imported the models already.
        from migration_audit.sources.model_source import SourceCatalog, locate_schema
        from migration_audit.sources.models import runtime_models

        runtime = runtime_models(metadata_objects, project.dialect, roots)
        catalog = SourceCatalog(roots)
        if model_sources is not None:
            catalog.add(model_sources() or ())
        facts.models = locate_schema(runtime, catalog, fallback)
        files += len({c.location.path for t in facts.models.tables.values() for c in t.columns.values() if c.location})
    elif importing is not None:
        from migration_audit.sources.model_source import SourceCatalog, locate_schema

        catalog = SourceCatalog(roots)
        try:
            if importing.running() and project.import_models:
                # meanwhile, read the modules that are named (and so, surely read)
                catalog.read(named_model_files(project, sys_paths))
            results = [importing.first()]
            if results[0].models is not None:
                results[0].schema = locate_schema(results[0].models, catalog, fallback)
            schema = results[0].schema
            if probe and schema is not None and wants_probe(schema):
                second = importing.second()
                if second is not None:
                    if second.models is not None:
                        second.schema = second.models.schema()  # compared by value only
                    results.append(second)
                    facts.imported_twice = True
        finally:
            importing.cancel()
    if results is not None:
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

        try:
            facts.database = reflect(database_url, wanted, version_table)
        except UsageError as exc:
            facts.unreadable.append(str(exc))
    if replay:
        from migration_audit.sources.scratch import replay_into_scratch

        facts.replayed, problems = replay_into_scratch(project, facts.migrations, replay_url, wanted,
                                                       project.import_timeout)
        facts.diagnostics.extend(problems)
    if insert_probe:
        from migration_audit.sources.probe import probe_scratch

        facts.probed, facts.probed_on, problems = probe_scratch(project, facts.migrations, replay_url,
                                                                project.import_timeout)
        facts.diagnostics.extend(d for d in problems if d not in facts.diagnostics)
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
    """The revision files and model files the audit read where ignore
    comments may be (a revision file only when its text names the tool)."""
    files = {r.path for r in facts.migrations.revisions.values() if r.ignore_comments} if facts.migrations else set()
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
    insert_probe: bool = False,
) -> AuditResult:
    """Run every enabled rule on the project at ``path`` (on each script
    directory its alembic.ini names). Raises config.UsageError and
    rules.UnknownRule for bad input."""
    parts = [audit_project(project, select, ignore, extra_revisions, probe, extra_sys_paths, metadata_objects,
                           database_url, version_table, replay, replay_url, insert_probe)
             for project in load_projects(path, overrides)]
    return parts[0] if len(parts) == 1 else AuditResult.combined(parts)


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
    insert_probe: bool = False,
    model_sources: Callable[[], list[Any]] | None = None,
) -> AuditResult:
    """:func:`audit` for a project already loaded (the Alembic hooks load it
    once to read their mode too)."""
    chosen = rule_registry.enabled(select or project.select, [*project.ignore, *ignore], project.extend_select)
    with _gc_paused():
        facts = collect_facts(project, extra_revisions, probe, extra_sys_paths, metadata_objects, database_url,
                              version_table, replay, replay_url, insert_probe, model_sources)
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
