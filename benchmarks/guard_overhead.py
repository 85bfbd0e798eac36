"""What the runtime guard costs on statements that succeed.

Inserts --rows rows, one statement each (the most sensitive case: per
statement overhead is all there is), into an in-memory SQLite table through
Core and through an ORM session, with and without
``migration_audit.guard.install``; alternating, median of --runs each.
Then counts how often the guard's code ran on those statements (it listens
to ``handle_error`` only, so: never).

    python benchmarks/guard_overhead.py [--rows 20000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from migration_audit import guard


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="new", server_default="new")


def _core(engine: sa.Engine, rows: int) -> None:
    insert = sa.insert(Item.__table__)
    with engine.begin() as conn:
        for i in range(rows):
            conn.execute(insert, {"name": f"n{i}"})


def _orm(engine: sa.Engine, rows: int) -> None:
    with Session(engine) as session:
        for i in range(rows):
            session.add(Item(name=f"n{i}"))
            if i % 100 == 99:
                session.flush()
        session.commit()


def _timed(fn, rows: int, guarded: bool) -> float:  # type: ignore[no-untyped-def]
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    Base.metadata.create_all(engine)
    if guarded:
        guard.install(engine)
    start = time.perf_counter()
    fn(engine, rows)
    elapsed = time.perf_counter() - start
    guard.uninstall(engine)
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    calls = 0
    real = guard.Guard.diagnose

    def counting(self, context):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return real(self, context)

    guard.Guard.diagnose = counting  # type: ignore[method-assign]
    for label, fn in (("Core, one INSERT per row", _core), ("ORM, flush per 100 rows", _orm)):
        times: dict[bool, list[float]] = {False: [], True: []}
        _timed(fn, min(args.rows, 1000), False)  # warm up the statement caches
        for _ in range(args.runs):
            for guarded in (False, True):
                times[guarded].append(_timed(fn, args.rows, guarded))
        off, on = statistics.median(times[False]), statistics.median(times[True])
        print(f"{label}, {args.rows} rows, median of {args.runs}: without guard {off:.3f} s, "
              f"with guard {on:.3f} s ({(on / off - 1) * 100:+.1f} %)")
    print(f"guard code run on successful statements: {calls} times")


if __name__ == "__main__":
    main()
