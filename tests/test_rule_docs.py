"""Every rule's documentation is executable: its ``## Example`` must make the
rule fire and its ``## Use instead`` must leave it silent.

A code block's info string says where its code goes in a small Alembic
project (a PostgreSQL one, read statically):

- ``python model``: the body of the model class ``User`` (table ``users``);
  an integer ``id`` primary key is added when the block defines no ``id``.
- ``python module``: the models module, above the class.
- ``python class``: the models module, after the class (more model classes).
- ``python migration``: the body of ``upgrade()`` in revision
  ``5d6e7f8a9b0c`` (``Create Date: 2026-12-03 17:38:59.120849``), after the
  base revision ``3f2a9c1b7d4e``, which creates ``users (id, email)`` and
  ``orders (id, public_id)``.
- ``python revision``: the header of a revision file of its own;
  ``revision``, ``down_revision`` (the base) and ``upgrade()`` are added
  when the block does not set them; a first line ``# in versions/DIR/``
  puts the file in that subfolder.
- ``python env``: replaces the ``target_metadata = ...`` line of env.py.
- ``toml``: pyproject.toml.
- ``sql database``: run on an SQLite database stamped at head, which the
  audit is then pointed at with ``--database-url``.

MA006 runs with ``--replay`` (on SQLite); MA190 and MA290 with the insert
probe of ``migration-audit probe`` (on SQLite). The default rules run too (an
ignore comment is unused only when the rule it names ran); only the
documented rule's findings count.
"""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest

from conftest import ALEMBIC_INI, ENV_PY, revision_file

from migration_audit.config import Overrides
from migration_audit.engine import audit
from migration_audit.rules import RULES
from migration_audit.rules.docs import SECTIONS, rule_doc

KINDS = {"python model", "python module", "python class", "python migration", "python revision", "python env", "toml",
         "sql database"}
BASE = "3f2a9c1b7d4e"
BASE_BODY = """
    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("email", sa.String(200)))
    op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("public_id", sa.String(36)))
"""
MODULE_HEADER = """\
import datetime
import secrets
import uuid
from datetime import datetime as dt

import sqlalchemy as sa
from sqlalchemy import (JSON, Boolean, Column, DateTime, FetchedValue, Integer, String, Uuid, func, text,
                        true)
from sqlalchemy.orm import DeclarativeBase, mapped_column
"""


def _project(root: Path, blocks: list[tuple[str, str]]) -> tuple[Path, str | None]:
    """Write the project the blocks describe; (root, database URL or None)."""
    by_kind: dict[str, list[str]] = {}
    for kind, code in blocks:
        by_kind.setdefault(kind, []).append(code)
    root.mkdir()
    (root / "alembic.ini").write_text(ALEMBIC_INI.format(url="postgresql://u@localhost/app"))
    env = ENV_PY.format(imports="from app.models import Base", target="Base.metadata")
    for line in by_kind.get("python env", []):
        env = env.replace("target_metadata = Base.metadata", line.strip())
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text(env)
    (root / "app").mkdir()
    (root / "app" / "__init__.py").write_text("")
    body = "".join(by_kind.get("python model", []))
    module = "".join(by_kind.get("python module", []))
    (root / "app" / "models.py").write_text(
        MODULE_HEADER + "\n" + module + "\n\nclass Base(DeclarativeBase):\n    pass\n\n\n"
        "class User(Base):\n    __tablename__ = \"users\"\n"
        + ("" if any(line.startswith("id ") for line in body.splitlines()) else
           "    id = Column(Integer, primary_key=True)\n")
        + textwrap.indent(body or "pass\n", "    ")
        + "".join(f"\n\n{c}" for c in by_kind.get("python class", [])))
    (versions / f"{BASE}_base.py").write_text(revision_file(BASE, None, BASE_BODY))
    heads = [BASE]
    if "python migration" in by_kind:
        (versions / "5d6e7f8a9b0c_change.py").write_text(
            revision_file("5d6e7f8a9b0c", BASE, "".join(by_kind["python migration"])).replace(
                "Revision ID: 5d6e7f8a9b0c\n",
                f"Revision ID: 5d6e7f8a9b0c\nRevises: {BASE}\nCreate Date: 2026-12-03 17:38:59.120849\n"))
        heads = ["5d6e7f8a9b0c"]
    for n, header in enumerate(by_kind.get("python revision", [])):
        text = header
        if "revision =" not in text.replace("down_revision =", ""):
            text = f'revision = "0a0b0c0d0e{n:02d}"\n' + text
        if "down_revision" not in text:
            text += f'down_revision = "{BASE}"\n'
        if "def upgrade" not in text:
            text += "\n\ndef upgrade():\n    pass\n"
        folder = versions
        if header.startswith("# in versions/"):  # a subfolder of versions/
            folder = root / "migrations" / header.splitlines()[0].removeprefix("# in ").strip()
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"rev{n}.py").write_text("from alembic import op\nimport sqlalchemy as sa\n\n" + text)
    for toml in by_kind.get("toml", []):
        (root / "pyproject.toml").write_text(toml)
    url = None
    if "sql database" in by_kind:
        db = root / "live.db"
        with sqlite3.connect(db) as conn:
            for sql in by_kind["sql database"]:
                conn.executescript(sql)
            conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
            conn.executemany("INSERT INTO alembic_version VALUES (?)", [(h,) for h in heads])
        url = f"sqlite:///{db}"
    return root, url


def _codes(code: str, section: str, tmp_path: Path) -> list[tuple[str, str, int]]:
    blocks = rule_doc(RULES[code]).blocks(section)
    root, url = _project(tmp_path / "proj", blocks)
    result = audit(root, Overrides(), ["ALL"] if code == "MA007" else [code], [], database_url=url,
                   replay=code == "MA006", insert_probe=code in ("MA190", "MA290"))
    return [(f.code, f.location.shown_path(root), f.location.line) for f in result.findings if f.code == code]


@pytest.mark.parametrize("code", list(RULES))
def test_docs_have_every_section_and_runnable_blocks(code: str) -> None:
    doc = rule_doc(RULES[code])
    assert doc.summary and list(doc.sections) == list(SECTIONS), code
    for section in ("Example", "Use instead"):
        kinds = [kind for kind, _ in doc.blocks(section)]
        assert kinds, f"{code} {section}: no code block"
        assert set(kinds) <= KINDS, f"{code} {section}: unknown block kinds {set(kinds) - KINDS}"


@pytest.mark.parametrize("code", list(RULES))
def test_example_fires(code: str, tmp_path: Path) -> None:
    got = _codes(code, "Example", tmp_path)
    assert got, f"{code}: its Example reports nothing"


@pytest.mark.parametrize("code", list(RULES))
def test_use_instead_is_silent(code: str, tmp_path: Path) -> None:
    assert _codes(code, "Use instead", tmp_path) == []
