"""``--replay``: apply the migration chain to a scratch database, then read it.

Static replay cannot read everything a migration does (SQL built at run
time, data migrations, project helpers). ``--replay`` runs the chain for
real, but never against a database the user has: an embedded SQLite file in
a temporary folder (the default), or a database migration-audit creates on
the server ``--replay-url`` names and drops afterwards. It refuses a SQLite
file that already has tables.

The revisions run in a child interpreter (their code is the project's:
whatever it raises, prints or loops on stays there, under a timeout), with
Alembic's own upgrade machinery but without the project's env.py, which
often needs application settings; the scratch URL is the only connection it
gets. The parent then reflects the result (:mod:`.database`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from migration_audit.config import Project, UsageError
from migration_audit.sources import child
from migration_audit.facts import Diagnostic, LiveDatabase, Location, MigrationHistory

_HOW = ("fix the revision, or replay on the dialect it was written for "
        "(`--replay-url postgresql://user@host/` creates and drops a scratch database there)")


@contextmanager
def scratch_database(replay_url: str | None) -> Iterator[str]:
    """A URL of an empty database that exists for the ``with`` block."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    if not replay_url:
        with tempfile.TemporaryDirectory(prefix="migration-audit-replay-") as folder:
            yield f"sqlite:///{Path(folder) / 'replay.db'}"
        return
    try:
        url = make_url(replay_url)
    except Exception as exc:  # noqa: BLE001 - ArgumentError, ValueError
        raise UsageError(f"--replay-url: {exc}") from None
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        if path in ("", ":memory:"):
            raise UsageError("--replay-url: an in-memory SQLite database ends with its connection; give a file")
        if Path(path).is_absolute() and not Path(path).parent.is_dir():
            raise UsageError(f"--replay-url {shown}: the folder {Path(path).parent} does not exist")
        if Path(path).is_dir():
            raise UsageError(f"--replay-url {shown}: {path} is a folder; name a database file in it")
        if Path(path).exists():
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            try:
                with engine.connect() as conn:
                    tables = sa.inspect(conn).get_table_names()
            except sa.exc.SQLAlchemyError as exc:
                message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
                raise UsageError(f"--replay-url {shown}: cannot use it: {message}") from None
            finally:
                engine.dispose()
            if tables:
                raise UsageError(f"{shown} already has tables ({', '.join(sorted(tables)[:5])}); migration-audit "
                                 "replays only into an empty database")
        yield url.render_as_string(hide_password=False)
        return
    name = f"ma_replay_{uuid.uuid4().hex[:12]}"
    try:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except Exception as exc:  # noqa: BLE001 - any driver error, one line, no password
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if url.password:
            message = message.replace(str(url.password), "***")
        raise UsageError(f"cannot create a scratch database on {shown}: {message}") from None
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        drop = f"DROP DATABASE IF EXISTS {name}"
        with admin.connect() as conn:
            conn.exec_driver_sql(drop + (" WITH (FORCE)" if url.get_backend_name() == "postgresql" else ""))
        admin.dispose()


def _request(project: Project, url: str, out: Path) -> dict[str, Any]:
    return {
        "script_location": str(project.script_location),
        "recursive": project.recursive_version_locations,
        "version_locations": [str(p) for p in project.version_locations],
        "sys_paths": [str(p) for p in project.sys_paths],
        "url": url,
        "out": str(out),
    }


def apply_chain(project: Project, history: MigrationHistory, url: str, timeout: float) -> list[Diagnostic]:
    """Upgrade the empty database at ``url`` to heads, in a child
    interpreter. Returns an MA006 diagnostic when a revision fails (located
    at that revision) or the run times out."""
    fallback = Location(project.config_file or project.root, 1, 1)
    with tempfile.TemporaryDirectory(prefix="migration-audit-replay-out-") as folder:
        out = Path(folder) / "result.json"
        request = json.dumps(_request(project, url, out))
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            run = child.run([sys.executable, "-m", "migration_audit.sources.scratch"], input=request,
                            timeout=timeout, cwd=project.root, env=env)
        except subprocess.TimeoutExpired:
            return [Diagnostic("MA006", f"applying the migration chain to a scratch database did not finish in "
                               f"{timeout:g} s", _HOW, fallback)]
        if not out.is_file():
            tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
            return [Diagnostic("MA006", f"applying the migration chain to a scratch database stopped: {tail}",
                               _HOW, fallback)]
        result = json.loads(out.read_text())
    if result.get("ok"):
        return []
    failing = result.get("revision")
    rev = history.revisions.get(failing) if failing else None
    where = rev.location if rev is not None else fallback
    if result.get("file") and result.get("line"):
        where = Location(Path(result["file"]), int(result["line"]), 1)
    what = f"revision {failing}" if failing else "the migration chain"
    return [Diagnostic("MA006", f"{what} fails when applied to a scratch database: {result.get('error')}", _HOW,
                       where, failing)]


def replay_into_scratch(project: Project, history: MigrationHistory, replay_url: str | None,
                        wanted: list[tuple[str | None, str]], timeout: float) -> tuple[LiveDatabase | None, list[Diagnostic]]:
    """Apply the chain to a scratch database and reflect the ``wanted``
    tables; None when the chain did not apply completely."""
    from migration_audit.sources.database import reflect

    with scratch_database(replay_url) as url:
        problems = apply_chain(project, history, url, timeout)
        if problems:
            return None, problems
        live = reflect(url, wanted)
        live.shown_url = "the scratch database" if not replay_url else f"a scratch {live.dialect} database"
        return live, []


# -- the child --------------------------------------------------------------------

def _child(request: dict[str, Any]) -> dict[str, Any]:
    import sqlalchemy as sa
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    for p in reversed(request["sys_paths"]):
        if p not in sys.path:
            sys.path.insert(0, p)
    cfg = Config()  # no env.py and no alembic.ini: the scratch URL is the only connection
    cfg.set_main_option("script_location", request["script_location"])
    if request["recursive"]:
        cfg.set_main_option("recursive_version_locations", "true")
    if request["version_locations"]:
        cfg.set_main_option("version_locations", os.pathsep.join(request["version_locations"]))
        cfg.set_main_option("path_separator", "os")  # Alembic 1.16+
        cfg.set_main_option("version_path_separator", "os")  # older releases
    cfg.set_main_option("sqlalchemy.url", request["url"].replace("%", "%%"))
    script = ScriptDirectory.from_config(cfg)
    applied: list[str] = []
    state: dict[str, Any] = {"ok": False}

    def upgrade(rev: Any, context: Any) -> Any:
        return script._upgrade_revs("heads", rev)

    def on_apply(*, ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        applied.append(step.up_revision_id)

    engine = sa.create_engine(request["url"], poolclass=sa.pool.NullPool)
    pending: list[str] = [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]
    try:
        with EnvironmentContext(cfg, script, fn=upgrade, destination_rev="heads"):
            from alembic import context

            with engine.connect() as connection:
                context.configure(connection=connection, target_metadata=None, on_version_apply=on_apply,
                                  transaction_per_migration=True)
                with context.begin_transaction():
                    context.run_migrations()
        state["ok"] = True
    except BaseException as exc:  # noqa: BLE001 - the project's code may raise anything
        failing = next((r for r in pending if r not in applied), None)
        state.update(revision=failing, error=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        roots = [Path(p).resolve() for p in (request["script_location"], *request["version_locations"])]
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename and Path(f.filename).is_file()
                  and any(Path(f.filename).resolve().is_relative_to(r) for r in roots)]
        if frames:
            state.update(file=frames[-1].filename, line=frames[-1].lineno)
    finally:
        engine.dispose()
    return state


def main() -> None:
    request = json.loads(sys.stdin.read())
    out = Path(request["out"])
    real_stdout = sys.stdout
    sys.stdout = sys.stderr  # whatever the migrations print stays out of the result
    try:
        state = _child(request)
    finally:
        sys.stdout = real_stdout
    out.write_text(json.dumps(state))


if __name__ == "__main__":
    main()
