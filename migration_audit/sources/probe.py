"""``migration-audit probe``: prove a default problem by inserting rows.

The migration chain is applied to a scratch database, exactly as
``--replay`` does (:mod:`.scratch`: an embedded SQLite file, or a database
created on the ``--replay-url`` server and dropped afterwards; never a
database the user has). Then, in one child interpreter that imports the
models (their code is the project's), for every table, parents before
children:

1. two rows are inserted, each in its own committed transaction, through
   the model's own client defaults (Core applies ``default=``) and the
   server defaults the chain created. Only a required column that has no
   default at all gets a value, made up from its type and different per
   row; a foreign key gets its parent's row. A duplicate key on columns
   whose values all came from defaults is proven: two rows of one process
   got the same key.
2. for every non-key column with a client default, one INSERT that leaves
   it out and goes around the model's defaults, as raw SQL, another service
   or ``COPY`` do, in a transaction that is rolled back. A NOT NULL refusal
   is proven: the column's only default is Python-side.

What the database refused comes back as :class:`ProbeOutcome` facts; rules
MA190 and MA290 turn them into findings.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import pickle
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from migration_audit.config import Project
from migration_audit.sources import child
from migration_audit.facts import Diagnostic, Location, MigrationHistory, ProbeOutcome

DUPLICATE_KEY = "duplicate-key"
NOT_NULL = "not-null"
FAILED = "failed"


def probe_scratch(project: Project, history: MigrationHistory, replay_url: str | None,
                  timeout: float) -> tuple[list[ProbeOutcome] | None, str, list[Diagnostic]]:
    """Apply the chain to a scratch database and probe it; returns what
    the database refused (None when the chain or the probe did not run),
    which database it was, and MA006/MA002 diagnostics."""
    from migration_audit.sources.scratch import apply_chain, scratch_database

    fallback = project.metadata_location or Location(project.config_file or project.root, 1, 1)
    with scratch_database(replay_url) as url:
        problems = apply_chain(project, history, url, timeout)
        if problems:
            return None, "", problems
        return _run_child(project, url, fallback, timeout)


def _run_child(project: Project, url: str, fallback: Location,
               timeout: float) -> tuple[list[ProbeOutcome] | None, str, list[Diagnostic]]:
    roots = sorted({project.root.resolve(), *(p.resolve() for p in project.sys_paths)})
    request = {"specs": project.metadata, "import_modules": project.import_modules, "roots": roots,
               "sys_paths": [p.resolve() for p in project.sys_paths], "url": url, "fallback": fallback}
    with tempfile.TemporaryDirectory(prefix="migration-audit-probe-") as folder:
        req, out = Path(folder) / "request.pickle", Path(folder) / "result.json"
        req.write_bytes(pickle.dumps(request))
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            run = child.run([sys.executable, "-m", "migration_audit.sources.probe", str(req), str(out)],
                            timeout=timeout, cwd=project.root, env=env)
        except subprocess.TimeoutExpired:
            return None, "", [Diagnostic("MA006", f"probing the scratch database did not finish in {timeout:g} s",
                                         "look for a model import that waits, or raise --import-timeout", fallback)]
        if not out.is_file():
            tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
            return None, "", [Diagnostic("MA006", f"probing the scratch database stopped: {tail}",
                                         "run it again with the project's dependencies installed", fallback)]
        result = json.loads(out.read_text())
    diagnostics = [Diagnostic(d["code"], d["message"], d["help"], Location(Path(d["path"]), d["line"], d["column"]))
                   for d in result["diagnostics"]]
    if result.get("outcomes") is None:
        return None, "", diagnostics
    outcomes = [ProbeOutcome(o["kind"], o["table"], o["schema"], tuple(o["columns"]), tuple(o["values"]),
                             o["message"], o["by_defaults"]) for o in result["outcomes"]]
    return outcomes, result["dialect"], diagnostics


# -- the child --------------------------------------------------------------------

def _made_up(column: Any, n: int) -> Any:
    """A value for a required column without a default, from its type,
    different for every ``n``."""
    import sqlalchemy as sa

    t = column.type
    if isinstance(t, sa.Enum) and t.enums:
        return t.enums[n % len(t.enums)]
    if isinstance(t, sa.Boolean):
        return n % 2 == 1
    if isinstance(t, sa.Uuid):
        value = uuid.UUID(int=0x5EED_0000_0000_4000_8000_0000_0000_0000 + n)
        return value if t.as_uuid else str(value)
    if isinstance(t, sa.Integer):
        return 1000 + n
    if isinstance(t, sa.Numeric):
        return decimal.Decimal(n) if t.asdecimal else float(n)
    if isinstance(t, sa.DateTime):
        return datetime.datetime(2000, 1, 1) + datetime.timedelta(seconds=n)
    if isinstance(t, sa.Date):
        return datetime.date(2000, 1, 1) + datetime.timedelta(days=n)
    if isinstance(t, sa.Time):
        return datetime.time(0, n // 60 % 60, n % 60)
    if isinstance(t, sa.Interval):
        return datetime.timedelta(seconds=n)
    if isinstance(t, sa.JSON):
        return {"probe": n}
    if isinstance(t, sa.LargeBinary):
        return f"probe{n}".encode()
    length = getattr(t, "length", None)
    text = f"probe-{n}"
    return text[-length:] if length and len(text) > length else text


class _Prober:
    def __init__(self, conn_engine: Any) -> None:
        import sqlalchemy as sa

        self.engine = conn_engine
        self.inspector = sa.inspect(conn_engine)
        self.rows: dict[Any, list[dict[str, Any]]] = {}  # Table → the rows inserted
        self.outcomes: list[dict[str, Any]] = []
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _db_columns(self, table: Any) -> dict[str, dict[str, Any]] | None:
        if not self.inspector.has_table(table.name, schema=table.schema):
            return None
        return {c["name"]: c for c in self.inspector.get_columns(table.name, schema=table.schema)}

    def _parent_value(self, column: Any, row: int) -> tuple[bool, Any]:
        for fk in column.foreign_keys:
            parent_rows = self.rows.get(fk.column.table)
            if parent_rows:
                parent = parent_rows[min(row, len(parent_rows) - 1)]
                if fk.column.name in parent:
                    return True, parent[fk.column.name]
        return False, None

    def _explicit(self, table: Any, row: int, leave_out: str | None, db: dict[str, dict[str, Any]],
                  raw: bool) -> dict[str, Any]:
        """The values the probe gives: foreign keys and the required columns
        that have no default (in a raw insert, client defaults count for
        nothing)."""
        values: dict[str, Any] = {}
        for column in table.c:
            if column.name == leave_out or column.name not in db:
                continue
            reflected = db[column.name]
            has_client = column.default is not None and not raw
            has_server = reflected.get("default") is not None or bool(reflected.get("identity"))  # as the chain made it
            auto = column is table.autoincrement_column or reflected.get("autoincrement") is True
            if column.foreign_keys:
                found, value = self._parent_value(column, row)
                if found and not has_client:
                    values[column.name] = value
                    continue
            if has_client or has_server or auto or reflected.get("nullable", True) or column.computed is not None:
                continue
            values[column.name] = _made_up(column, self._next())
        return values

    def _record(self, kind: str, table: Any, columns: tuple[str, ...], values: tuple[str, ...], message: str,
                by_defaults: bool = True) -> None:
        self.outcomes.append({"kind": kind, "table": table.name, "schema": table.schema, "columns": list(columns),
                              "values": list(values), "message": message, "by_defaults": by_defaults})

    def two_rows(self, table: Any) -> None:
        import sqlalchemy as sa

        from migration_audit import dberror
        from migration_audit.explain_error import key_columns
        from migration_audit.guard import table_fact

        db = self._db_columns(table)
        if db is None:
            self._record(FAILED, table, (), (), "the migration chain does not create this table: not probed")
            return
        inserted: list[dict[str, Any]] = []
        self.rows[table] = inserted
        for row in range(2):
            explicit = self._explicit(table, row, None, db, raw=False)
            # After a proven collision the second row is tried again with the
            # colliding columns made up, to find the next one.
            for _ in range(len(table.c) + 1):
                try:
                    with self.engine.begin() as conn:
                        result = conn.execute(sa.insert(table), explicit)
                        key = dict(zip((c.name for c in table.primary_key.columns), result.inserted_primary_key or ()))
                        values = {**result.last_inserted_params(), **key}
                        if key and None not in key.values():  # read back what the server filled in
                            where = [table.c[k] == v for k, v in key.items()]
                            stored = conn.execute(sa.select(table).where(*where)).mappings().first()
                            values.update(stored or {})
                    inserted.append(values)
                    break
                except sa.exc.DBAPIError as exc:
                    error = dberror.parse(str(exc))
                    message = error.message if error else " ".join(str(exc.orig).split())[:300]
                    if error is None or error.kind != dberror.UNIQUE or row != 1:
                        self._record(FAILED, table, tuple(error.columns) if error else (), (), message)
                        return
                    columns = key_columns(error, table_fact(table))
                    # a collision: the second row has the first row's values
                    shown = tuple(repr(inserted[0][c]) if inserted and c in inserted[0]
                                  else (error.values[0] if len(error.values) == 1 else "?") for c in columns)
                    by_defaults = bool(columns) and not any(c in explicit for c in columns)
                    self._record(DUPLICATE_KEY, table, columns, shown, message, by_defaults)
                    remade = {name: _made_up(table.c[name], self._next()) for name in columns}
                    if not remade or all(explicit.get(k, object()) == v for k, v in remade.items()):
                        return  # no other value to try (an enum of one value)
                    explicit.update(remade)

    def raw_inserts(self, table: Any) -> None:
        import sqlalchemy as sa

        from migration_audit import dberror

        db = self._db_columns(table)
        if db is None:
            return
        bare = sa.Table(table.name, sa.MetaData(), *(sa.Column(c.name, c.type) for c in table.c if c.name in db),
                        schema=table.schema)
        for column in table.c:
            default = column.default
            if (column.primary_key or column.name not in db or default is None or isinstance(default, sa.Sequence)
                    or column.computed is not None):
                continue
            explicit = self._explicit(table, 0, column.name, db, raw=True)
            conn = self.engine.connect()
            trans = conn.begin()
            try:
                conn.execute(sa.insert(bare), explicit)
            except sa.exc.DBAPIError as exc:
                error = dberror.parse(str(exc))
                if error is not None and error.kind == dberror.NOT_NULL and error.columns \
                        and error.columns[0].lower() == column.name.lower():
                    self._record(NOT_NULL, table, (column.name,), (), error.message)
                else:
                    message = error.message if error else " ".join(str(exc.orig).split())[:300]
                    self._record(FAILED, table, (column.name,), (), message)
            finally:
                trans.rollback()
                conn.close()


def work(request: dict[str, Any]) -> dict[str, Any]:
    import sqlalchemy as sa

    from migration_audit.sources.models import load_metadata

    sys.path[:0] = [str(p) for p in request["sys_paths"]]
    metadatas, problems = load_metadata(request["specs"], request["import_modules"], request["roots"],
                                        request["fallback"])
    diagnostics = [{"code": d.code, "message": d.message, "help": d.help, "path": str(d.location.path),
                    "line": d.location.line, "column": d.location.column} for d in problems]
    if not metadatas:
        return {"outcomes": None, "diagnostics": diagnostics, "dialect": ""}
    engine = sa.create_engine(request["url"], poolclass=sa.pool.NullPool)
    try:
        prober = _Prober(engine)
        tables = [t for m in metadatas for t in m.sorted_tables]
        for table in tables:
            # raw inserts first, into the still empty table (rolled back), then the two rows that stay,
            # whose values the children's foreign keys use
            prober.raw_inserts(table)
            prober.two_rows(table)
        dialect = engine.dialect.name
        if dialect == "mysql" and getattr(engine.dialect, "is_mariadb", False):
            dialect = "mariadb"
    finally:
        engine.dispose()
    return {"outcomes": prober.outcomes, "diagnostics": diagnostics, "dialect": dialect}


def main(argv: list[str]) -> int:
    request_path, result_path = argv
    request = pickle.loads(Path(request_path).read_bytes())
    os.dup2(2, 1)  # whatever the project prints stays out of the result
    sys.stdout = sys.stderr
    result = work(request)
    Path(result_path).write_text(json.dumps(result))
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":  # pragma: no cover - run by probe_scratch
    raise SystemExit(main(sys.argv[1:]))
