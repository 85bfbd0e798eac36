"""Generate a synthetic Alembic project: N tables of models, a migration
chain that creates them, and an env.py that can switch the migration-audit
revision hook on and off (MIGRATION_AUDIT_BENCH_HOOK=1).

    python benchmarks/generate.py OUT_DIR --tables 300 --revisions 30
"""

from __future__ import annotations

import argparse
import random
import textwrap
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
                          process_revision_directives=hook)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''

COLUMN_KINDS = [
    ("sa.String(50)", "server_default='new'", "sa.String(length=50)", "server_default='new'"),
    ("sa.Integer", "server_default=sa.text('0')", "sa.Integer()", "server_default=sa.text('0')"),
    ("sa.DateTime", "server_default=sa.func.now()", "sa.DateTime()", "server_default=sa.text('(CURRENT_TIMESTAMP)')"),
    ("sa.Boolean", "server_default=sa.false()", "sa.Boolean()", "server_default=sa.text('false')"),
    ("sa.Text", "", "sa.Text()", ""),
]


def generate(out: Path, tables: int, revisions: int, seed: int = 7, url: str | None = None) -> None:
    """``url``: the database alembic.ini names (default: SQLite in OUT)."""
    rnd = random.Random(seed)
    (out / "bench").mkdir(parents=True, exist_ok=True)
    (out / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
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
    models = ["import uuid\n\nimport sqlalchemy as sa\nfrom sqlalchemy.orm import DeclarativeBase\n\n\n"
              "class Base(DeclarativeBase):\n    pass\n"]
    per_revision = max(1, tables // revisions)
    previous = None
    for r in range(revisions):
        rev = f"{r + 1:04d}aaaa{r + 1:04d}"
        body = []
        for t in range(r * per_revision, min(tables, (r + 1) * per_revision) if r < revisions - 1 else tables):
            name = f"table_{t:04d}"
            cols = [rnd.choice(COLUMN_KINDS) for _ in range(rnd.randint(3, 8))]
            models.append(
                f"\n\nclass T{t:04d}(Base):\n    __tablename__ = {name!r}\n"
                f"    id = sa.Column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))\n"
                + "".join(f"    c{i} = sa.Column({m}{', ' + d if d else ''})\n" for i, (m, d, _, _) in enumerate(cols))
                + f"    code = sa.Column(sa.String(20), unique=True)\n"
            )
            body.append(
                f"    op.create_table({name!r},\n"
                f"        sa.Column('id', sa.String(length=36), nullable=False),\n"
                + "".join(f"        sa.Column('c{i}', {mt}{', ' + md if md else ''}, nullable=True),\n"
                          for i, (_, _, mt, md) in enumerate(cols))
                + "        sa.Column('code', sa.String(length=20), nullable=True),\n"
                f"        sa.PrimaryKeyConstraint('id'),\n        sa.UniqueConstraint('code'))\n"
            )
        (out / "migrations" / "versions" / f"{rev}_r{r + 1}.py").write_text(
            f'"""r{r + 1}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f"revision = {rev!r}\ndown_revision = {previous!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade():\n" + ("".join(body) or "    pass\n") + "\n\ndef downgrade():\n    pass\n"
        )
        previous = rev
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
