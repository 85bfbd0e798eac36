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
    out, _ = capfd.readouterr()
    assert out == "No findings in 4 files, 3 revisions, 2 tables.\n"
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
    _, err = capfd.readouterr()
    assert "not fixed: models.py:6: SQLModel Field(default=...) needs default_factory=" in err
    assert path.read_text() == text
