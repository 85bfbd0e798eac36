"""pytest plugin (``pytest11`` entry point): audit Alembic projects from a test suite.

- The ``migration_audit`` fixture audits the project (the ``migration_audit_project``
  ini option, else the rootdir) and returns a :class:`ProjectAudit` with
  ``findings`` and ``assert_clean(fail_on="error")``.
- ``pytest --migration-audit`` adds one test item per project listed in
  ``migration_audit_projects`` (default: the rootdir), failing with the
  findings in the report.

Names do not collide with pytest-alembic (``alembic_runner``,
``alembic_config``, ``--test-alembic``); both can run in one suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migration_audit.findings import Finding, Severity

_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


class ProjectAudit:
    """The findings of one audit, and an assertion over them."""

    def __init__(self, root: Path, findings: list[Finding]) -> None:
        self.root = root
        self.findings = findings

    def at_least(self, fail_on: str) -> list[Finding]:
        if fail_on not in _LEVELS:
            raise ValueError(f"fail_on must be one of {', '.join(_LEVELS)}, not {fail_on!r}")
        return [f for f in self.findings if f.severity >= _LEVELS[fail_on]]

    def report(self, findings: list[Finding] | None = None) -> str:
        from migration_audit.reporters.common import format_finding

        return "\n".join(format_finding(f, self.root) for f in (self.findings if findings is None else findings))

    def assert_clean(self, fail_on: str = "error") -> None:
        __tracebackhide__ = True  # the failure is the findings, not this frame
        failing = self.at_least(fail_on)
        if failing:
            noun = "finding" if len(failing) == 1 else "findings"
            raise AssertionError(f"migration-audit: {len(failing)} {noun} in {self.root}:\n{self.report(failing)}")


def audit_project(root: Path) -> ProjectAudit:
    from migration_audit.config import Overrides
    from migration_audit.engine import audit

    result = audit(root, Overrides(), [], [])
    return ProjectAudit(result.project.root, result.findings)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("migration-audit")
    group.addoption("--migration-audit", action="store_true", default=False,
                    help="add a test per Alembic project that fails on migration-audit errors")
    parser.addini("migration_audit_project", "the Alembic project the migration_audit fixture audits "
                  "(default: the rootdir)", default="")
    parser.addini("migration_audit_projects", "Alembic projects `--migration-audit` adds a test for "
                  "(default: the rootdir)", type="paths", default=[])
    parser.addini("migration_audit_fail_on", "severity that fails the --migration-audit tests", default="error")


@pytest.fixture
def migration_audit(request: pytest.FixtureRequest) -> ProjectAudit:
    """The audit of this suite's Alembic project."""
    configured = request.config.getini("migration_audit_project")
    root = Path(configured) if configured else Path(str(request.config.rootpath))
    if not root.is_absolute():
        root = Path(str(request.config.rootpath)) / root
    return audit_project(root)


class AuditItem(pytest.Item):
    def __init__(self, *, project: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project = project

    def runtest(self) -> None:
        __tracebackhide__ = True
        fail_on = self.config.getini("migration_audit_fail_on") or "error"
        audit_project(self.project).assert_clean(fail_on)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, AssertionError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)  # type: ignore[return-value]

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.project, 0, f"migration-audit: {self.project.name}"


class AuditCollector(pytest.Collector):
    def collect(self) -> Iterator[pytest.Item]:
        projects = self.config.getini("migration_audit_projects") or [Path(str(self.config.rootpath))]
        for project in projects:
            yield AuditItem.from_parent(self, name=Path(project).name, project=Path(project))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--migration-audit"):
        return
    collector = AuditCollector.from_parent(session, name="migration-audit")
    items.extend(collector.collect())
