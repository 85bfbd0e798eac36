"""--fix and --diff: only the default expressions change, and the check is clean afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, Project

from migration_audit.cli import main

MODELS = (
    "import datetime\nimport uuid\nfrom datetime import datetime as DT\nfrom uuid import uuid4\n\n"
    "import sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n"
    "NOW = DT.now()\n\n\n"
    "class Base(DeclarativeBase):\n    pass\n\n\n"
    "class Thing(Base):\n"
    "    __tablename__ = 'things'\n"
    "    id = sa.Column(sa.Uuid, primary_key=True, default=uuid.uuid4())  # keep this comment\n"
    "    ref = sa.Column(sa.String, unique=True, default=uuid4().hex)\n"
    "    made = sa.Column(sa.DateTime, default=DT.utcnow( ))\n"
    "    stamp = sa.Column(\n"
    "        sa.String,\n"
    "        default=datetime.datetime.now(\n"
    "            datetime.timezone.utc\n"
    "        ).isoformat(),   # odd layout\n"
    "    )\n"
    "    tags = sa.Column(sa.JSON, default=[])\n"
    "    prefs = sa.Column(sa.JSON, default={'a': 1})\n"
    "    since = sa.Column(sa.DateTime, default=NOW)\n"
)

FIXED = (
    MODELS.replace("default=uuid.uuid4())  # keep", "default=uuid.uuid4)  # keep")
    .replace("default=uuid4().hex)", "default=lambda: uuid4().hex)")
    .replace("default=DT.utcnow( ))", "default=DT.utcnow)")
    .replace("        default=datetime.datetime.now(", "        default=lambda: datetime.datetime.now(")
    .replace("default=[])", "default=list)")
    .replace("default={'a': 1})", "default=lambda: {'a': 1})")
)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_fix_rewrites_only_the_expressions(project: Project, newline: str, capfd: pytest.CaptureFixture[str]) -> None:
    path = project.models(MODELS)
    path.write_bytes(MODELS.replace("\n", newline).encode())
    assert main(["check", str(project.root), "--diff"]) == 1
    out, err = capfd.readouterr()
    assert "6 fixes available" in err
    assert path.read_bytes() == MODELS.replace("\n", newline).encode()  # --diff changes nothing
    added = [line for line in out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert len(added) == 6
    assert main(["check", str(project.root), "--fix", "--format", "json"]) == 1
    out, err = capfd.readouterr()
    assert "Fixed 6 findings." in err
    assert path.read_bytes() == FIXED.replace("\n", newline).encode()
    # only NOW remains: it is defined once and may be used elsewhere
    assert '"code": "MA103"' in out and '"object": "things.since"' in out and out.count('"code"') == 1


def test_fix_on_the_incident_project(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "incident"
    shutil.copytree(FIXTURES / "incident", copy)
    assert main(["check", str(copy), "--fix"]) == 0
    out, err = capfd.readouterr()
    assert (out, err.splitlines()[-1]) == ("", "No findings in 4 files, 3 revisions, 2 tables.")
    before = (FIXTURES / "incident" / "app" / "models.py").read_text().splitlines()
    after = (copy / "app" / "models.py").read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and changed == [(
        "    id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))",
        "    id = sa.Column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))",
    )]
    for rel in ("alembic.ini", "migrations/env.py"):
        assert (copy / rel).read_bytes() == (FIXTURES / "incident" / rel).read_bytes()


def test_sqlmodel_field_is_left_alone(project: Project, capfd: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sqlmodel")
    text = ("import uuid\nfrom sqlmodel import Field, SQLModel\n\n\nclass Item(SQLModel, table=True):\n"
            "    id: uuid.UUID = Field(default=uuid.uuid4(), primary_key=True)\n")
    path = project.models(text)
    project.write("migrations/env.py", "from app.models import SQLModel\ntarget_metadata = SQLModel.metadata\n")
    assert main(["check", str(project.root), "--fix"]) == 1
    out, err = capfd.readouterr()
    assert "Fixed 0 findings." in err
    assert "help: in a dataclass-mapped class, `default=` is also the __init__ value: use `default_factory=`" in out
    assert path.read_text() == text


def test_dataclass_models_and_class_scope_names_are_not_rewritten(project: Project,
                                                                  capfd: pytest.CaptureFixture[str]) -> None:
    text = (
        "import uuid\nfrom datetime import datetime, timezone\n\nimport sqlalchemy as sa\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, mapped_column\n\n\n"
        "class Base(MappedAsDataclass, DeclarativeBase):\n    pass\n\n\n"
        "class Item(Base):\n    __tablename__ = 'items'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True, init=False)\n"
        "    created: Mapped[datetime] = mapped_column(default=datetime.now())\n\n\n"
        "class Plain(DeclarativeBase):\n    pass\n\n\n"
        "class T(Plain):\n    __tablename__ = 't'\n    TZ = timezone.utc\n"
        "    id = sa.Column(sa.Integer, primary_key=True)\n"
        "    created = sa.Column(sa.DateTime, default=datetime.now(TZ))\n"
    )
    path = project.models(text)
    project.write("migrations/env.py",
                  "from app.models import Base, Plain\ntarget_metadata = [Base.metadata, Plain.metadata]\n")
    assert main(["check", str(project.root), "--fix"]) == 1
    out, err = capfd.readouterr()
    assert path.read_text() == text
    assert "not fixed: app/models.py:26: the expression uses TZ, a name of the class body" in err
    assert out.count("MA103") == 2


def test_files_outside_the_project_are_never_rewritten(project: Project, tmp_path: Path,
                                                        capfd: pytest.CaptureFixture[str]) -> None:
    shared = tmp_path / "shared" / "models.py"
    shared.parent.mkdir()
    shared.write_text(MODELS)
    (project.root / "app").mkdir()
    (project.root / "app" / "__init__.py").write_text("")
    (project.root / "app" / "models.py").symlink_to(shared)
    assert main(["check", str(project.root), "--fix"]) == 1
    _, err = capfd.readouterr()
    assert "shared/models.py: outside the project folder" in err
    assert shared.read_text() == MODELS


def test_a_file_that_cannot_be_written_is_reported(project: Project, monkeypatch: pytest.MonkeyPatch,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    import os

    path = project.models(MODELS)

    def refuse(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "replace", refuse)
    assert main(["check", str(project.root), "--fix"]) == 1
    _, err = capfd.readouterr()
    assert "not fixed: models.py: cannot write it (Operation not permitted); not changed" in err
    assert "Fixed 0 findings." in err
    assert path.read_text() == MODELS
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".models.py.")] == []


def test_stale_findings_never_rewrite_twice(project: Project) -> None:
    """Findings from before the file changed (a second `--fix` that audited
    the same original) leave the already fixed expressions alone."""
    from migration_audit.fix import plan, write

    path = project.models(MODELS)
    result = project.audit()
    assert write(plan(result.findings, project.root)) == 6
    assert path.read_text() == FIXED
    edits = plan(result.findings, project.root)
    assert write(edits) == 0 and path.read_text() == FIXED
    skipped = [s for e in edits for s in e.skipped]
    assert len(skipped) == 6 and all("is not what the check read there" in s for s in skipped), skipped


def test_concurrent_fix_runs_apply_each_fix_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    copy = tmp_path / "incident"
    shutil.copytree(FIXTURES / "incident", copy)
    cmd = [sys.executable, "-c", "import sys; from migration_audit.cli import main; sys.exit(main(sys.argv[1:]))",
           "check", str(copy), "--fix", "--no-cache"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(4)]
    codes = [p.wait(timeout=120) for p in procs]
    # one run fixed it (0); the others found it fixed (0) or left it to it (1: the finding stood when they audited)
    assert 0 in codes and set(codes) <= {0, 1}, codes
    before = (FIXTURES / "incident" / "app" / "models.py").read_text()
    assert (copy / "app" / "models.py").read_text() == before.replace(
        "primary_key=True, default=str(uuid.uuid4()))", "primary_key=True, default=lambda: str(uuid.uuid4()))")


def test_diff_with_nothing_to_fix_exits_as_the_check_does(project: Project,
                                                          capfd: pytest.CaptureFixture[str]) -> None:
    """A frozen default reached through a module constant has no rewrite of
    its own: --diff offers none, and still fails while the error stands."""
    project.models(
        "import uuid\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n"
        "SYSTEM_ID = str(uuid.uuid4())\n\n\nclass Base(DeclarativeBase):\n    pass\n\n\n"
        "class Thing(Base):\n    __tablename__ = 'things'\n"
        "    id = sa.Column(sa.String(36), primary_key=True, default=SYSTEM_ID)\n")
    assert main(["check", str(project.root)]) == 1
    capfd.readouterr()
    assert main(["check", str(project.root), "--diff"]) == 1
    out, err = capfd.readouterr()
    assert out == "" and "0 fixes available" in err
    assert main(["check", str(project.root), "--diff", "--fail-on", "never"]) == 0


def test_diff_follows_fail_on_when_a_fix_is_available(project: Project, capfd: pytest.CaptureFixture[str]) -> None:
    """A mutable default (MA104, a warning) has a fix; with --fail-on error
    the check passes, and so does --diff, which still shows the fix."""
    project.models(
        "import sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n\n\n"
        "class Thing(Base):\n    __tablename__ = 'things'\n"
        "    id = sa.Column(sa.Integer, primary_key=True)\n    tags = sa.Column(sa.JSON, default=[])\n")
    assert main(["check", str(project.root), "--fail-on", "error"]) == 0
    capfd.readouterr()
    assert main(["check", str(project.root), "--diff", "--fail-on", "error"]) == 0
    out, err = capfd.readouterr()
    assert "+    tags = sa.Column(sa.JSON, default=list)" in out and "1 fix available" in err
    assert main(["check", str(project.root), "--diff"]) == 1
