"""Each rule: failing cases with the exact finding, and near misses that must stay silent."""

from __future__ import annotations

import pytest
from conftest import Project

HEADER = """\
import datetime
import functools
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass
"""


# -- MA101 ----------------------------------------------------------------------

def test_ma101_seed_bug_and_every_key_form(project: Project) -> None:
    project.models(HEADER + """
class User(Base):
    __tablename__ = "users"
    id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))
    token: Mapped[str] = mapped_column(sa.String(32), unique=True, default=uuid.uuid4().hex)
    slug: Mapped[str] = mapped_column(sa.String(20), insert_default="x")
    code: Mapped[int] = mapped_column(default=0)
    __table_args__ = (sa.UniqueConstraint("slug"), sa.Index("ix_code", "code", unique=True))
""")
    findings = project.findings(select=["MA101"])
    m = "app/models.py"
    assert findings == [
        ("MA101", "users.id", m, project.line_of(m, "id = sa.Column")),
        ("MA101", "users.token", m, project.line_of(m, "token:")),
        ("MA101", "users.slug", m, project.line_of(m, "slug:")),
        ("MA101", "users.code", m, project.line_of(m, "code:")),
    ]
    result = project.audit(select=["MA101"])
    first = result.findings[0]
    assert first.location.column == (project.root / m).read_text().splitlines()[first.location.line - 1].index(
        "str(uuid.uuid4())") + 1
    assert "default=str(uuid.uuid4()) calls uuid.uuid4() once, when the model is defined" in first.message
    assert "users.id (primary key)" in first.message
    assert first.help.startswith("make it a callable that runs per row: `default=lambda: str(uuid.uuid4())`")
    token = result.findings[1]
    assert "(unique)" in token.message and "uuid.uuid4().hex" in token.message
    assert "unique index ix_code" in result.findings[3].message


def test_ma101_near_misses_stay_silent(project: Project) -> None:
    project.models(HEADER + """
def new_id() -> str:
    return str(uuid.uuid4())


class Thing(Base):
    __tablename__ = "things"
    id = sa.Column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    ref = sa.Column(sa.String(36), unique=True, default=lambda: str(uuid.uuid4()))
    ref2 = sa.Column(sa.String(36), unique=True, default=new_id)
    ref3 = sa.Column(sa.String(36), unique=True, default=functools.partial(str, "x"))
    ref4 = sa.Column(sa.String(36), unique=True, server_default=sa.text("gen_random_uuid()"))
    ref5 = sa.Column(sa.DateTime, unique=True, default=sa.func.now())
    status = sa.Column(sa.String(20), default="active")
    created = sa.Column(sa.DateTime, default=datetime.datetime.utcnow)


class Pair(Base):
    __tablename__ = "pairs"
    tenant = sa.Column(sa.String(10), primary_key=True, default="main")  # part of a composite key
    key = sa.Column(sa.String(10), primary_key=True)
    seq = sa.Column(sa.Integer, sa.Sequence("pairs_seq"), unique=True)
""")
    assert project.findings(select=["MA101"]) == []


def test_ma101_mixin_declared_attr_and_core_table(project: Project) -> None:
    project.models(HEADER + """
from sqlalchemy.orm import declared_attr


class KeyMixin:
    public_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=str(uuid.uuid4()))

    @declared_attr
    def code(cls) -> Mapped[str]:
        return mapped_column(sa.String(8), unique=True, default="AAAA")


class Account(KeyMixin, Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    legacy = sa.Column("legacy_col", sa.String(10), unique=True, default="L")


events = sa.Table(
    "events",
    Base.metadata,
    sa.Column("id", sa.String(36), primary_key=True, default=uuid.uuid4().hex),
    sa.Column("kind", sa.String(10)),
)
""")
    m = "app/models.py"
    assert project.findings(select=["MA101"]) == [
        ("MA101", "accounts.public_id", m, project.line_of(m, "public_id:")),
        ("MA101", "accounts.code", m, project.line_of(m, 'default="AAAA"')),
        ("MA101", "accounts.legacy_col", m, project.line_of(m, "legacy = ")),
        ("MA101", "events.id", m, project.line_of(m, 'sa.Column("id"')),
    ]


# -- MA102 ----------------------------------------------------------------------

UUID = "3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f"


def test_ma102_model_and_migrations(project: Project) -> None:
    project.models(HEADER + f"""
class Doc(Base):
    __tablename__ = "docs"
    id = sa.Column(sa.String(36), primary_key=True, server_default="{UUID}")
    owner = sa.Column(sa.String(36), server_default=sa.text("'{UUID.upper()}'"))
    nil = sa.Column(sa.String(36), server_default="00000000-0000-0000-0000-000000000000")
""")
    project.revision("a1", None, f"""
        op.create_table('docs',
            sa.Column('id', sa.String(36), server_default='{{{UUID}}}', nullable=False),
            sa.Column('owner', sa.String(36), server_default=sa.text("'urn:uuid:{UUID}'")),
            sa.Column('nil', sa.String(36), server_default='00000000-0000-0000-0000-000000000000'),
            sa.PrimaryKeyConstraint('id'))
    """)
    project.revision("b2", "a1", f"""
        op.execute("ALTER TABLE docs ALTER COLUMN owner SET DEFAULT '{UUID.replace('-', '')}'")
        op.add_column('docs', sa.Column('ref', sa.String(36), server_default=sa.text('gen_random_uuid()')))
        op.add_column('docs', sa.Column('label', sa.String(36), server_default='not-a-uuid-3f2a9c1b'))
    """)
    result = project.audit(select=["MA102"])
    got = [(f.code, f.object, f.location.path.name, f.location.line, str(f.severity)) for f in result.findings]
    m = "app/models.py"
    assert got == [
        ("MA102", "docs.id", "models.py", project.line_of(m, "id = sa.Column"), "error"),
        ("MA102", "docs.owner", "models.py", project.line_of(m, "owner = "), "warning"),
        ("MA102", "docs.id", "a1.py", project.line_of("migrations/versions/a1.py", "'id'"), "error"),
        ("MA102", "docs.owner", "a1.py", project.line_of("migrations/versions/a1.py", "'owner'"), "warning"),
        ("MA102", "docs.owner", "b2.py", project.line_of("migrations/versions/b2.py", "ALTER TABLE"), "warning"),
    ]
    assert result.findings[2].message == (
        f"docs.id (primary key): migration a1 sets the server default to the literal UUID '{UUID}'; "
        "the second insert without an explicit value fails with a duplicate key"
    )
    assert "gen_random_uuid()" in result.findings[2].help


# -- MA201 ----------------------------------------------------------------------

def test_ma201_drift_and_spelling_only_differences(project: Project) -> None:
    project.models(HEADER + """
class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    status = sa.Column(sa.String(20), server_default="pending")
    sku = sa.Column(sa.String(20))
    added = sa.Column(sa.String(20), server_default="new")
    qty = sa.Column(sa.Integer, server_default=sa.text("0"))
    at = sa.Column(sa.DateTime, server_default=sa.func.now())
    flag = sa.Column(sa.Boolean, server_default=sa.true())
    quoted = sa.Column(sa.String(5), server_default="'x'")
    price = sa.Column(sa.Numeric, server_default=sa.text("1.50"))
    note = sa.Column(sa.String(20), server_default="Hello")
    ident = sa.Column(sa.Integer, sa.Identity())
    fetched = sa.Column(sa.Integer, server_default=sa.FetchedValue())
""")
    project.revision("a1", None, """
        op.create_table('products',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('status', sa.String(20), server_default='active'),
            sa.Column('sku', sa.String(20), server_default='N/A'),
            sa.Column('added', sa.String(20)),
            sa.Column('qty', sa.Integer(), server_default='0'),
            sa.Column('at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)')),
            sa.Column('flag', sa.Boolean(), server_default=sa.text('1')),
            sa.Column('quoted', sa.String(5), server_default='x'),
            sa.Column('price', sa.Numeric(), server_default='1.5'),
            sa.Column('note', sa.String(20), server_default=sa.text("'hello'")),
            sa.Column('ident', sa.Integer()),
            sa.Column('fetched', sa.Integer()),
            sa.PrimaryKeyConstraint('id'))
    """)
    m = "app/models.py"
    findings = project.findings(select=["MA201"])
    assert findings == [
        ("MA201", "products.status", m, project.line_of(m, "status = ")),
        ("MA201", "products.sku", m, project.line_of(m, "sku = ")),
        ("MA201", "products.added", m, project.line_of(m, "added = ")),
        ("MA201", "products.note", m, project.line_of(m, "note = ")),
    ]
    messages = [f.message for f in project.audit(select=["MA201"]).findings]
    assert messages[0] == (
        "products.status: the model's server default is 'pending', but the migrations leave 'active' "
        f"(migrations/versions/a1.py:{project.line_of('migrations/versions/a1.py', 'status')})"
    )
    assert messages[1].startswith("products.sku: the model has no server default, but the migrations leave DEFAULT 'N/A'")
    assert messages[2] == "products.added: the model's server default is 'new', but the migrations create the column without one"


def test_ma201_every_form_compared_as_sql(project: Project) -> None:
    project.models(HEADER + """
class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    lit = sa.Column(sa.String(5), server_default=sa.literal("x"))
    num = sa.Column(sa.Integer, server_default=sa.literal(5))
    low = sa.Column(sa.String(5), server_default=sa.func.lower("A"))
    off = sa.Column(sa.Boolean, server_default=sa.false())
    total = sa.Column(sa.Integer, sa.Computed("qty * 2"))
    double = sa.Column(sa.Integer, sa.Computed("qty * 2"))
    plain = sa.Column(sa.Integer, sa.Computed("qty + 1"))
    qty = sa.Column(sa.Integer)
    # near misses
    lit2 = sa.Column(sa.String(5), server_default=sa.literal("y"))
    off2 = sa.Column(sa.Boolean, server_default=sa.false())
    same = sa.Column(sa.Integer, sa.Computed("qty * 3"))
""")
    project.revision("a1", None, """
        op.create_table('products',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('lit', sa.String(5), server_default='z'),
            sa.Column('num', sa.Integer(), server_default='6'),
            sa.Column('low', sa.String(5), server_default=sa.text("upper('A')")),
            sa.Column('off', sa.Boolean(), server_default=sa.text('true')),
            sa.Column('total', sa.Integer(), sa.Computed('qty * 4')),
            sa.Column('double', sa.Integer()),
            sa.Column('plain', sa.Integer(), sa.Computed(sa.text('qty+2'))),
            sa.Column('qty', sa.Integer()),
            sa.Column('lit2', sa.String(5), server_default='y'),
            sa.Column('off2', sa.Boolean(), server_default=sa.text('0')),
            sa.Column('same', sa.Integer(), sa.Computed('(qty  *  3)', persisted=True)),
            sa.PrimaryKeyConstraint('id'))
    """)
    result = project.audit(select=["MA201"], dialect="postgresql")
    assert [f.object for f in result.findings] == [
        "products.lit", "products.num", "products.low", "products.off", "products.total", "products.double",
        "products.plain"]
    messages = {f.object: f.message for f in result.findings}
    assert messages["products.total"].startswith(
        "products.total: the model's server default is GENERATED ALWAYS AS (qty * 2), but the migrations leave "
        "GENERATED ALWAYS AS (qty * 4)")
    assert messages["products.double"].startswith(
        "products.double: the model's server default is GENERATED ALWAYS AS (qty * 2), but the migrations create "
        "the column without one")


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite", "mysql"])
def test_ma201_ansi_functions_in_a_migration_are_spelled_as_sqlalchemy_does(project: Project, dialect: str) -> None:
    """`sa.func.current_date()` renders CURRENT_DATE (no parentheses), in a
    model and in a migration alike; a different function is still drift."""
    project.models(HEADER + """
class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    day = sa.Column(sa.Date, server_default=sa.func.current_date())
    at = sa.Column(sa.Time, server_default=sa.func.CURRENT_TIME())
    stamp = sa.Column(sa.DateTime, server_default=sa.func.localtimestamp())
    who = sa.Column(sa.String(50), server_default=sa.func.current_user())
    other = sa.Column(sa.Date, server_default=sa.func.current_date())
""")
    project.revision("a1", None, """
        op.create_table('products',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('day', sa.Date(), server_default=sa.text('CURRENT_DATE')),
            sa.Column('at', sa.Time()),
            sa.Column('stamp', sa.DateTime()),
            sa.Column('who', sa.String(50), server_default=sa.func.current_user()),
            sa.Column('other', sa.Date()),
            sa.PrimaryKeyConstraint('id'))
    """)
    project.revision("a2", "a1", """
        op.alter_column('products', 'day', server_default=sa.func.current_date())
        op.alter_column('products', 'at', server_default=sa.func.current_time())
        op.alter_column('products', 'stamp', server_default=sa.func.LOCALTIMESTAMP())
        op.alter_column('products', 'other', server_default=sa.func.current_timestamp())
    """)
    result = project.audit(select=["MA201"], dialect=dialect)
    m = "app/models.py"
    assert [(f.object, f.location.path.name, f.location.line) for f in result.findings] == [
        ("products.other", "models.py", project.line_of(m, "other = "))]
    assert result.findings[0].message == (
        "products.other: the model's server default is CURRENT_DATE, but the migrations leave CURRENT_TIMESTAMP "
        f"(migrations/versions/a2.py:{project.line_of('migrations/versions/a2.py', 'other')})")


def test_ma201_later_migration_fixes_drift(project: Project) -> None:
    project.models(HEADER + """
class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    status = sa.Column(sa.String(20), server_default="pending")
""")
    project.revision("a1", None, """
        op.create_table('products', sa.Column('id', sa.Integer(), primary_key=True),
                        sa.Column('status', sa.String(20), server_default='active'))
    """)
    project.revision("b2", "a1", """
        with op.batch_alter_table('products') as batch_op:
            batch_op.alter_column('status', server_default='pending')
    """)
    assert project.findings(select=["MA201"]) == []


def test_ma201_skips_tables_the_chain_does_not_fully_read(project: Project) -> None:
    project.models(HEADER + """
class Product(Base):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    status = sa.Column(sa.String(20), server_default="pending")
""")
    project.revision("a1", None, """
        op.create_table('products', sa.Column('id', sa.Integer(), primary_key=True),
                        sa.Column('status', sa.String(20), server_default='active'))
        op.execute("ALTER TABLE products FROBNICATE status")
    """)
    assert project.findings(select=["MA201"]) == []
