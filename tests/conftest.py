from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from migration_audit.config import Overrides
from migration_audit.engine import AuditResult, audit

pytest_plugins = ["pytester"]

# The revision cache goes to a folder of this run, never the user's ~/.cache
# (child processes the tests start inherit it).
if "MIGRATION_AUDIT_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["MIGRATION_AUDIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="migration-audit-test-cache-")
    atexit.register(shutil.rmtree, os.environ["MIGRATION_AUDIT_CACHE_DIR"], True)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "projects"

ENV_PY = '''\
from alembic import context
{imports}

config = context.config
target_metadata = {target}


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_offline()
'''

ALEMBIC_INI = '''\
[alembic]
script_location = %(here)s/migrations
prepend_sys_path = .
path_separator = os
sqlalchemy.url = {url}
'''


def run_alembic(root: Path, *args: str) -> "subprocess.CompletedProcess[str]":
    """The real `alembic` command in ``root``; ``stderr`` holds both streams
    (Alembic prints FAILED: to stdout and its log to stderr)."""
    exe = Path(sys.executable).parent / "alembic"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "alembic"]
    run = subprocess.run([*cmd, *args], cwd=root, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    run.stderr = run.stdout + run.stderr
    return run


def revision_file(revision: str, down: str | tuple[str, ...] | None, body: str, header: str = "") -> str:
    """A migration in the layout `alembic revision` writes."""
    return (
        f'"""{revision}\n\nRevision ID: {revision}\n"""\n'
        "from typing import Sequence, Union\n\n"
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        f"{header}\n\n"
        f"revision: str = {revision!r}\n"
        f"down_revision: Union[str, Sequence[str], None] = {down!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        + textwrap.indent(textwrap.dedent(body).strip() or "pass", "    ")
        + "\n\n\ndef downgrade() -> None:\n    pass\n"
    )


class Project:
    """A throwaway Alembic project on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if not text.startswith('"""') else text, encoding="utf-8")
        return path

    def models(self, text: str, module: str = "app/models.py") -> Path:
        (self.root / module).parent.mkdir(parents=True, exist_ok=True)
        init = (self.root / module).parent / "__init__.py"
        if not init.exists():
            init.write_text("")
        return self.write(module, text)

    def revision(self, revision: str, down: str | tuple[str, ...] | None, body: str, header: str = "",
                 name: str | None = None) -> Path:
        return self.write(f"migrations/versions/{name or revision}.py", revision_file(revision, down, body, header))

    def line_of(self, rel: str, needle: str, nth: int = 1) -> int:
        """The 1-based line of the ``nth`` line of ``rel`` that contains ``needle``."""
        lines = (self.root / rel).read_text().splitlines()
        return [i for i, text in enumerate(lines, 1) if needle in text][nth - 1]

    def audit(self, *, select: list[str] | None = None, models_load: bool = True, **overrides: object) -> AuditResult:
        result = audit(self.root, Overrides(**overrides), select or [], [])  # type: ignore[arg-type]
        if models_load:
            # A rule test whose models failed to import would pass vacuously.
            problems = [d.message for d in result.facts.diagnostics if d.code in ("MA002", "MA005")]
            assert problems == [] and result.facts.models is not None, problems
        return result

    def findings(self, **kw: object) -> list[tuple[str, str | None, str, int]]:
        """(code, object, path relative to the project, line) per finding."""
        result = self.audit(**kw)
        out = []
        for f in result.findings:
            try:
                rel = f.location.path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                rel = str(f.location.path)
            out.append((f.code, f.object, rel, f.location.line))
        return out


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project(tmp_path / "proj")
    p.root.mkdir()
    p.write("alembic.ini", ALEMBIC_INI.format(url="sqlite:///app.db"))
    p.write(
        "migrations/env.py",
        ENV_PY.format(imports="from app.models import Base", target="Base.metadata"),
    )
    (p.root / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
    return p


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """In CI (MIGRATION_AUDIT_NO_SKIPS=1) a skipped test fails: a test that
    needs PostgreSQL or MariaDB must prove itself there, not skip quietly."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("MIGRATION_AUDIT_NO_SKIPS") == "1" and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, and MIGRATION_AUDIT_NO_SKIPS=1 forbids skips: {reason}"


def _scratch_database(env: str, default: str, create: str, drop: str):  # type: ignore[no-untyped-def]
    """A fresh database on a real server, dropped afterwards; skips with the
    reason when the server is unreachable (CI turns that skip into a failure)."""
    import uuid

    sa = pytest.importorskip("sqlalchemy")
    url = sa.engine.make_url(os.environ.get(env, default))
    try:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - unreachable server or missing driver
        pytest.skip(f"{url.render_as_string(hide_password=True)} unreachable ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else ''}); set {env}")
    name = f"ma_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(create.format(name=name))
    try:
        yield url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(drop.format(name=name))
        admin.dispose()


@pytest.fixture
def pg_url():  # type: ignore[no-untyped-def]
    yield from _scratch_database("MIGRATION_AUDIT_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test",
                                 "CREATE DATABASE {name}", "DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def mysql_url():  # type: ignore[no-untyped-def]
    yield from _scratch_database("MIGRATION_AUDIT_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test",
                                 "CREATE DATABASE {name}", "DROP DATABASE IF EXISTS {name}")
