"""Generate a synthetic Alembic project: N tables of models, M revisions
with the mix real histories have (tables created throughout, columns added,
altered and dropped with server defaults, indexes, unique constraints in
batch mode, op.execute SQL, branches and merges), models that match the
head state, and an env.py that can switch the migration-audit revision hook
on (MIGRATION_AUDIT_BENCH_HOOK=1) and Alembic's server-default comparison on
(MIGRATION_AUDIT_BENCH_COMPARE_DEFAULTS=1). `alembic upgrade head` and
`alembic check` run on it.

    python benchmarks/generate.py OUT_DIR --tables 300 --revisions 30
"""

from __future__ import annotations

import argparse
import random
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ENV = '''\
import os

from alembic import context
from sqlalchemy import engine_from_config, pool

from bench.models import Base

config = context.config
target_metadata = Base.metadata
hook = None
if os.environ.get("MIGRATION_AUDIT_BENCH_HOOK") == "1":
    from migration_audit.hooks import process_revision_directives as hook


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                     poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          process_revision_directives=hook,
                          compare_server_default=os.environ.get("MIGRATION_AUDIT_BENCH_COMPARE_DEFAULTS") == "1")
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''

# (model type, model server_default, migration type, migration server_default):
# what autogenerate would render for the model column, so that `alembic
# check` with compare_server_default=True finds nothing at head.
COLUMN_KINDS = [
    ("sa.String(50)", "server_default='new'", "sa.String(length=50)", "server_default='new'"),
    ("sa.Integer", "server_default=sa.text('0')", "sa.Integer()", "server_default=sa.text('0')"),
    ("sa.DateTime", "server_default=sa.func.now()", "sa.DateTime()", "server_default=sa.text('(CURRENT_TIMESTAMP)')"),
    ("sa.Boolean", "server_default=sa.text('0')", "sa.Boolean()", "server_default=sa.text('0')"),
    ("sa.Text", "", "sa.Text()", ""),
]
STRING = 0
# where booleans are booleans, not 0/1 (PostgreSQL refuses DEFAULT 0 for one)
BOOLEAN = ("sa.Boolean", "server_default=sa.false()", "sa.Boolean()", "server_default=sa.text('false')")


def _kinds(url: str | None) -> list[tuple[str, str, str, str]]:
    if url and url.startswith("postgresql"):
        return [BOOLEAN if k[0] == "sa.Boolean" else k for k in COLUMN_KINDS]
    return COLUMN_KINDS


@dataclass
class _Column:
    kind: tuple[str, str, str, str]
    index: bool = False


@dataclass
class _Table:
    name: str
    columns: dict[str, _Column] = field(default_factory=dict)
    uniques: list[str] = field(default_factory=list)
    serial: int = 0

    def new_column(self) -> str:
        self.serial += 1
        return f"c{self.serial}"


def _create(table: _Table, rnd: random.Random, kinds: list[tuple[str, str, str, str]]) -> str:
    for _ in range(rnd.randint(3, 8)):
        table.columns[table.new_column()] = _Column(rnd.choice(kinds))
    return (
        f"    op.create_table({table.name!r},\n"
        "        sa.Column('id', sa.String(length=36), nullable=False),\n"
        + "".join(f"        sa.Column({c!r}, {col.kind[2]}{', ' + col.kind[3] if col.kind[3] else ''}, nullable=True),\n"
                  for c, col in table.columns.items())
        + "        sa.Column('code', sa.String(length=20), nullable=True),\n"
        "        sa.PrimaryKeyConstraint('id'),\n        sa.UniqueConstraint('code'))\n"
    )


def _alter(table: _Table, rnd: random.Random, kinds: list[tuple[str, str, str, str]], add_only: bool = False) -> str:
    """One change to an existing table, as people write them: the model is
    changed to match."""
    plain = [c for c, col in table.columns.items() if not col.index and c not in table.uniques]
    strings = [c for c in plain if table.columns[c].kind is COLUMN_KINDS[STRING]]
    choice = rnd.random()
    t = table.name
    if choice < 0.35 or not plain or add_only:
        c = table.new_column()
        kind = rnd.choice(kinds)
        table.columns[c] = _Column(kind)
        return (f"    op.add_column({t!r}, sa.Column({c!r}, {kind[2]}{', ' + kind[3] if kind[3] else ''}, "
                "nullable=True))\n")
    if choice < 0.50 and strings:
        c = rnd.choice(strings)
        value = f"v{rnd.randint(1, 999)}"
        table.columns[c] = _Column((COLUMN_KINDS[STRING][0], f"server_default={value!r}",
                                    COLUMN_KINDS[STRING][2], f"server_default={value!r}"))
        return (f"    with op.batch_alter_table({t!r}) as batch_op:\n"
                f"        batch_op.alter_column({c!r}, existing_type=sa.String(length=50), "
                f"server_default={value!r}, existing_nullable=True)\n")
    if choice < 0.60:
        c = rnd.choice(plain)
        del table.columns[c]
        return f"    with op.batch_alter_table({t!r}) as batch_op:\n        batch_op.drop_column({c!r})\n"
    if choice < 0.75:
        c = rnd.choice(plain)
        table.columns[c].index = True
        return f"    op.create_index(op.f('ix_{t}_{c}'), {t!r}, [{c!r}], unique=False)\n"
    if choice < 0.85:
        c = rnd.choice(plain)
        table.uniques.append(c)
        return (f"    with op.batch_alter_table({t!r}) as batch_op:\n"
                f"        batch_op.create_unique_constraint('uq_{t}_{c}', [{c!r}])\n")
    c = rnd.choice(plain)
    return f"    op.execute(\"UPDATE {t} SET {c} = NULL WHERE {c} IS NULL AND id = 'none'\")\n"


def _model(table: _Table, number: int) -> str:
    args = "".join(f"sa.UniqueConstraint({c!r}, name='uq_{table.name}_{c}'), " for c in table.uniques)
    return (
        f"\n\nclass T{number:05d}(Base):\n    __tablename__ = {table.name!r}\n"
        + (f"    __table_args__ = ({args})\n" if args else "")
        + "    id = sa.Column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))\n"
        + "".join(f"    {c} = sa.Column({col.kind[0]}{', ' + col.kind[1] if col.kind[1] else ''}"
                  f"{', index=True' if col.index else ''})\n" for c, col in table.columns.items())
        + "    code = sa.Column(sa.String(20), unique=True)\n"
    )


def generate(out: Path, tables: int, revisions: int, seed: int = 7, url: str | None = None) -> None:
    """``url``: the database alembic.ini names (default: SQLite in OUT).

    The tables are created throughout the history (the first revision
    creates at least one); the other revisions add, alter and drop columns,
    add indexes and unique constraints (batch mode where SQLite needs it),
    run SQL; every 50th revision opens a two-revision branch that the next
    one merges. The models match the head state.
    """
    rnd = random.Random(seed)
    kinds = _kinds(url)
    (out / "bench").mkdir(parents=True, exist_ok=True)
    versions = out / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (out / "bench" / "__init__.py").write_text("")
    (out / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/migrations\nprepend_sys_path = .\n"
        f"sqlalchemy.url = {url.replace('%', '%%') if url else 'sqlite:///%(here)s/bench.db'}\n"
    )
    (out / "migrations" / "env.py").write_text(ENV)
    (out / "migrations" / "script.py.mako").write_text(textwrap.dedent('''\
        """${message}"""
        from alembic import op
        import sqlalchemy as sa
        ${imports if imports else ""}
        revision = ${repr(up_revision)}
        down_revision = ${repr(down_revision)}
        branch_labels = None
        depends_on = None


        def upgrade():
            ${upgrades if upgrades else "pass"}


        def downgrade():
            ${downgrades if downgrades else "pass"}
    '''))
    creators = max(1, min(tables, revisions * 3 // 10 or 1))
    # Which revisions create tables: spread evenly, the first one among them.
    create_at = {round(i * (revisions - 1) / creators) if creators > 1 else 0 for i in range(creators)}
    share = {r: 0 for r in create_at}
    for i in range(tables):
        share[sorted(create_at)[i % len(create_at)]] += 1
    # Parents: a straight chain, except that every 50th revision opens a
    # branch of two revisions on the same parent, merged by the next one.
    ids = [f"{r + 1:05d}{'a' * 7}{r + 1:05d}" for r in range(revisions)]
    parents: list[object] = []
    branched: set[int] = set()
    r = 0
    while r < revisions:
        head = ids[r - 1] if r else None
        if r % 50 == 49 and r + 2 < revisions and not create_at & {r, r + 1, r + 2}:
            parents += [head, head, (ids[r], ids[r + 1])]
            branched |= {r, r + 1}
            r += 3
        else:
            parents.append(head)
            r += 1
    state: list[_Table] = []
    for r, (rev, down) in enumerate(zip(ids, parents)):
        body = []
        for _ in range(share.get(r, 0)):
            table = _Table(f"table_{len(state):05d}")
            state.append(table)
            body.append(_create(table, rnd, kinds))
        if r in branched:
            # Only new columns on a branch: the two sides never touch the
            # same column, whichever order upgrade runs them in.
            for _ in range(rnd.randint(1, 3)):
                body.append(_alter(rnd.choice(state), rnd, kinds, add_only=True))
        elif not isinstance(down, tuple) and r not in share:
            for _ in range(rnd.randint(1, 3)):
                body.append(_alter(rnd.choice(state), rnd, kinds))
        (versions / f"{rev}_r{r + 1}.py").write_text(
            f'"""r{r + 1}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade():\n" + ("".join(body) or "    pass\n") + "\n\ndef downgrade():\n    pass\n"
        )
    models = ["import uuid\n\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
              "class Base(DeclarativeBase):\n    pass\n"]
    models.extend(_model(table, i) for i, table in enumerate(state))
    (out / "bench" / "models.py").write_text("".join(models))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--revisions", type=int, default=30)
    args = parser.parse_args()
    generate(args.out, args.tables, args.revisions)


if __name__ == "__main__":
    main()
