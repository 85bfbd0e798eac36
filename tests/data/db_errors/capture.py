"""Capture the error texts under tests/data/db_errors/ from real databases.

For SQLite (a temporary file), PostgreSQL and MariaDB (a scratch database
created on the local server and dropped afterwards), each fixture project's
migration chain is applied with `alembic upgrade heads`, then the errors are
provoked through SQLAlchemy, as an application raises them, and the last
line(s) of the traceback (`sqlalchemy.exc.IntegrityError: (...) ...` with its
`[SQL: ...]` and `[parameters: ...]` parts) are written to
`<dialect>_<case>.txt`:

- incident: `duplicate_primary_key` (the second request's insert, one user
  each, the frozen `users.id` default), `duplicate_primary_key_batch` (one
  flush of two users), `duplicate_unique` (two users with the same email: no
  default involved), `unrelated_foreign_key` (an order for no user);
- outbox: `not_null_raw_insert` (plain SQL that omits `events.status`, whose
  only default is Python-side).

    python tests/data/db_errors/capture.py [--pg URL] [--mysql URL]

The values in the texts (the UUIDs) differ on every run; the tests read the
files as they are.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import traceback
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[2] / "fixtures" / "projects"


def _text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n") + "\n"


def _provoke(project: str, url: str, prefix: str) -> None:
    """In a child process whose cwd is the fixture project: upgrade, then fail."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.orm import Session

    sys.path.insert(0, ".")
    cfg = Config("alembic.ini")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "heads")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    cases: dict[str, str] = {}

    def capture(case: str, fn) -> None:  # type: ignore[no-untyped-def]
        try:
            fn()
        except sa.exc.DBAPIError as exc:
            cases[case] = _text(exc)
        else:
            raise SystemExit(f"{case}: no error on {engine.dialect.name}")

    if project == "incident":
        from app.models import Order, User

        with Session(engine) as session:
            session.add(User(email="first@example.com"))
            session.commit()

        def second_request() -> None:
            with Session(engine) as session:
                session.add(User(email="second@example.com"))
                session.commit()

        def one_flush() -> None:
            with Session(engine) as session:
                session.add_all([User(email="third@example.com"), User(email="fourth@example.com")])
                session.commit()

        def same_email() -> None:
            with Session(engine) as session:
                session.add(User(id=str(uuid.uuid4()), email="first@example.com"))
                session.commit()

        def no_such_user() -> None:
            with Session(engine) as session:
                session.add(Order(user_id="no-such-user"))
                session.commit()

        capture("duplicate_primary_key", second_request)
        capture("duplicate_primary_key_batch", one_flush)
        capture("duplicate_unique", same_email)
        capture("unrelated_foreign_key", no_such_user)
    else:
        def raw_insert() -> None:
            stmt = sa.text("INSERT INTO events (id, topic) VALUES (:id, :topic)").bindparams(
                sa.bindparam("id", type_=sa.Uuid()))
            with engine.begin() as conn:
                conn.execute(stmt, {"id": uuid.uuid4(), "topic": "invoice.paid"})

        capture("not_null_raw_insert", raw_insert)
    engine.dispose()
    dialect = "mariadb" if engine.dialect.name == "mysql" and "MariaDB" in _server_version(url) else \
        engine.dialect.name
    for case, text in cases.items():
        (Path(prefix).parent / f"{dialect}_{case}.txt").write_text(text, encoding="utf-8")
        print(f"wrote {dialect}_{case}.txt")


def _server_version(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        version = str(conn.exec_driver_sql("SELECT version()").scalar())
    engine.dispose()
    return version


def _scratch(server: str):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    base = sa.engine.make_url(server)
    name = f"ma_capture_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    return admin, name, base.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--mysql", default="mysql+pymysql://root@127.0.0.1:3306/test")
    parser.add_argument("--one", nargs=3, metavar=("PROJECT", "URL", "PREFIX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _provoke(*args.one)
        return
    for project in ("incident", "outbox"):
        with tempfile.TemporaryDirectory() as tmp:
            targets = [(None, None, f"sqlite:///{Path(tmp) / 'capture.db'}")]
            targets += [_scratch(args.pg), _scratch(args.mysql)]
            try:
                for _, _, url in targets:
                    subprocess.run([sys.executable, __file__, "--one", project, url, str(HERE / "x")],
                                   cwd=FIXTURES / project, check=True)
            finally:
                for admin, name, _ in targets:
                    if admin is not None:
                        with admin.connect() as conn:
                            force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
                            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
                        admin.dispose()


if __name__ == "__main__":
    main()
