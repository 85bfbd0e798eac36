"""The same project gives byte-identical reports, in every format, across
runs (with and without the revision cache) and across PYTHONHASHSEED values,
so that CI diffs and baselines are stable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, Project

FORMATS = ["text", "json", "sarif", "github", "junit", "gcc"]

# One process per hash seed renders every format of both modes: the seed is
# fixed per process, and the model imports it starts inherit it.
RENDER = """
import json, sys
from pathlib import Path
from migration_audit.config import Overrides
from migration_audit.engine import audit
from migration_audit.reporters import REPORTERS
from migration_audit.reporters.common import summary_line

out = {}
for root in sys.argv[1:]:
    for mode in ("import", "static"):
        result = audit(Path(root), Overrides(import_models=mode == "import"), [], [])
        for fmt in %r:
            out[f"{root} {mode} {fmt}"] = REPORTERS[fmt](result, color=False)
        out[f"{root} {mode} summary"] = summary_line(result)
print(json.dumps(out))
""" % (FORMATS,)


def _busy_project(project: Project) -> None:
    """Many findings of many rules, several on one line and in one message,
    in several files: whatever order a set or a dict gives them must not show."""
    project.models(
        "import datetime, uuid\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n",
        "app/base.py",
    )
    tables = []
    for n in range(6):
        tables.append(
            f"class T{n}(Base):\n    __tablename__ = 't{n}'\n"
            "    id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))\n"
            "    a = sa.Column(sa.String(10), unique=True, default='x', server_default='y')\n"
            "    b = sa.Column(sa.DateTime, default=datetime.datetime.now(), onupdate=datetime.datetime.now())\n"
            "    c = sa.Column(sa.JSON, nullable=False, default=[])\n"
            "    d = sa.Column(sa.Integer, server_default='abc')\n"
            f"    e = sa.Column(sa.String(20), default=helper{n}())\n"
            "    __table_args__ = (sa.UniqueConstraint('c', 'd', 'e'),)\n"
        )
    project.models(
        "import datetime, os, uuid\nimport sqlalchemy as sa\nfrom app.base import Base\n\n\n"
        + "".join(f"def helper{n}():\n    return os.environ.get('H{n}', 'v')\n\n\n" for n in range(6))
        + "\n\n".join(tables)
    )
    project.write("migrations/env.py", "from alembic import context\nimport app.models\nfrom app.base import Base\n"
                  "target_metadata = Base.metadata\n")
    for n in range(6):
        project.revision(f"r{n}", None if n == 0 else "r0", f"""
            op.create_table('t{n}', sa.Column('id', sa.String(36), primary_key=True,
                                              server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'))
        """)
        project.revision(f"z{n}", f"r{n}", f"""
            op.add_column('t{n}', sa.Column('a', sa.String(10), nullable=False))
            op.execute("UPDATE t{n} SET id = 'same'")
        """)
    project.revision("x1", "nowhere", "pass")
    project.revision("y1", "y2", "pass")
    project.revision("y2", "y1", "pass")
    (project.root / "migrations/versions/broken.py").write_text("revision = 'b'\ndef upgrade(:\n")


def _render(roots: list[Path], seed: str, cache: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "MIGRATION_AUDIT_CACHE_DIR": str(cache)}
    run = subprocess.run([sys.executable, "-c", RENDER, *map(str, roots)], capture_output=True, text=True,
                         timeout=600, env=env)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


def test_reports_are_byte_identical_across_runs_and_hash_seeds(project: Project, tmp_path: Path) -> None:
    _busy_project(project)
    roots = [project.root, FIXTURES / "billing"]
    cache = tmp_path / "cache"  # the first run fills it, the others read from it
    runs = [(seed, _render(roots, seed, cache)) for seed in ("0", "1", "random", "0")]
    first = runs[0][1]
    assert len(first) == len(roots) * 2 * (len(FORMATS) + 1)
    report = json.loads(first[f"{project.root} import json"])
    assert len(report["findings"]) > 60, first[f"{project.root} import summary"]
    assert {"MA001", "MA003", "MA004", "MA101", "MA102", "MA103", "MA104", "MA203", "MA205", "MA301", "MA302"} <= {
        f["code"] for f in report["findings"]}
    assert "MA008" in {f["code"] for f in json.loads(first[f"{project.root} static json"])["findings"]}
    for seed, outputs in runs[1:]:
        for key, value in outputs.items():
            assert value == first[key], f"{key} differs with PYTHONHASHSEED={seed}"
