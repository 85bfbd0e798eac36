"""Suppressions: ignore comments, ignore-file, per-file-ignores, exclude,
severity overrides, extend-select, and ignores that match nothing (MA007);
unknown rule codes anywhere are errors naming the closest one."""

from __future__ import annotations

import pytest

from conftest import Project

from migration_audit.cli import main
from migration_audit.findings import Severity

HEADER = """\
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
"""
M = "app/models.py"


def test_ignore_on_the_line_or_alone_above(project: Project) -> None:
    project.models(HEADER + """\
    id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))  # migration-audit: ignore[MA101]
    # migration-audit: ignore[constant-default-on-key]
    a = sa.Column(sa.String(36), unique=True, default=str(uuid.uuid4()))
    b = sa.Column(sa.String(36), unique=True, default="x")  # migration-audit: ignore[MA204]
    c = sa.Column(sa.String(36), unique=True, default=str(uuid.uuid4()))
    d = sa.Column(sa.String(36), unique=True, default="y")  # migration-audit: ignore
    note = sa.Column(sa.String(80), default="# migration-audit: ignore[MA101] is only text here")
""")
    result = project.audit(select=["MA101"])
    assert [(f.object, f.location.line) for f in result.findings] == [
        ("users.b", project.line_of(M, "b = ")),  # the comment above c names another rule; b's names MA204
        ("users.c", project.line_of(M, "c = ")),
    ]


def test_ignore_file_per_file_ignores_exclude_and_severity(project: Project) -> None:
    project.models(HEADER + """\
    id = sa.Column(sa.Integer, primary_key=True)
    plan = sa.Column(sa.String(20), nullable=False, default="free")
    code = sa.Column(sa.String(36), unique=True, default=str(uuid.uuid4()))
    updated = sa.Column(sa.DateTime, onupdate=sa.func.now())
""")
    project.models("# migration-audit: ignore-file[MA204]\n" + (project.root / M).read_text())
    assert [f.code for f in project.audit().findings] == ["MA101"]
    project.write("pyproject.toml", """
        [tool.migration-audit]
        per-file-ignores = { "app/*.py" = ["MA101"] }
        extend-select = ["MA901"]
        severity = { MA901 = "error" }
        """)
    assert [(f.code, f.severity) for f in project.audit().findings] == [("MA901", Severity.ERROR)]
    project.write("pyproject.toml", """
        [tool.migration-audit]
        exclude = ["app/models.py"]
        """)
    assert project.audit().findings == []


def test_unused_ignores_are_reported(project: Project) -> None:
    project.models(HEADER + """\
    id = sa.Column(sa.Integer, primary_key=True)
    a = sa.Column(sa.String(36), unique=True, default=str(uuid.uuid4()))  # migration-audit: ignore[MA101, MA204]
    b = sa.Column(sa.String(20), default="x")  # migration-audit: ignore[MA101]
    c = sa.Column(sa.String(20))  # migration-audit: ignore
    d = sa.Column(sa.String(20))  # migration-audit: ignore[MA901]
""")
    result = project.audit()
    got = [(f.code, f.location.line, f.message) for f in result.findings]
    assert got == [
        ("MA007", project.line_of(M, "a = "),
         "`# migration-audit: ignore[MA101, MA204]` suppresses no finding: MA204 found nothing on its line or the next"),
        ("MA007", project.line_of(M, "b = "),
         "`# migration-audit: ignore[MA101]` suppresses no finding: MA101 found nothing on its line or the next"),
        ("MA007", project.line_of(M, "c = "), "`# migration-audit: ignore` suppresses no finding: nothing matched "
                                              "on its line or the next"),
    ]  # d names a rule that did not run: kept, not reported
    a = result.findings[0]
    line = (project.root / M).read_text().splitlines()[a.location.line - 1]
    assert a.location.column == line.index("# migration-audit") + 1
    assert a.help == "remove MA204 from it"
    assert [f.code for f in project.audit(select=["MA1"]).findings] == []  # MA007 not selected


def test_unused_ignore_in_a_revision_file_is_reported(project: Project) -> None:
    project.models(HEADER + "    id = sa.Column(sa.Integer, primary_key=True)\n")
    path = project.revision("a1", None, (
        "    op.create_table('users', sa.Column('id', sa.Integer(), nullable=False),\n"
        "                    sa.PrimaryKeyConstraint('id'))  # migration-audit: ignore[MA301]\n"))
    [finding] = project.audit().findings
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "ignore[MA301]" in text)
    assert (finding.code, finding.location.path, finding.location.line) == ("MA007", path.resolve(), line)


@pytest.mark.parametrize(("where", "text", "message"), [
    ("comment", "# migration-audit: ignore[MA1O1]", "unknown rule 'MA1O1' (did you mean MA101?)"),
    ("select", 'select = ["MA2O1"]', "[tool.migration-audit] select: unknown rule 'MA2O1' (did you mean MA201?)"),
    ("severity", 'severity = { MA3O1 = "error" }', "severity: unknown rule 'MA3O1' (did you mean MA301?)"),
    ("per-file-ignores", 'per-file-ignores = { "x.py" = ["MA1O4"] }',
     "per-file-ignores: unknown rule 'MA1O4' (did you mean MA104?)"),
])
def test_unknown_codes_anywhere_are_errors(where: str, text: str, message: str, project: Project,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    project.models(HEADER + "    id = sa.Column(sa.Integer, primary_key=True)\n")
    if where == "comment":
        project.models((project.root / M).read_text() + f"    x = sa.Column(sa.Integer)  {text}\n")
    else:
        project.write("pyproject.toml", f"[tool.migration-audit]\n{text}\n")
    capsys.readouterr()
    assert main(["check", str(project.root)]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    if where == "comment":
        assert f"app/models.py:{project.line_of(M, 'x = ')}:" in err
