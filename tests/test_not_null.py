"""MA301: a migration makes a column NOT NULL without giving existing rows a value."""

from __future__ import annotations

from conftest import Project

from migration_audit.findings import Severity

MODELS = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id = sa.Column(sa.Integer, primary_key=True)
    status = sa.Column(sa.String(20), nullable=False, default="active")
"""

CREATE_USERS = """
op.create_table(
    "users",
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=True),
)
"""


def _project(project: Project, body: str, *, earlier: str = "") -> str:
    project.models(MODELS)
    project.revision("a1", None, CREATE_USERS + earlier)
    project.revision("b2", "a1", body)
    return "migrations/versions/b2.py"


def test_add_not_null_column_to_existing_table(project: Project) -> None:
    rel = _project(project, """
    op.add_column("users", sa.Column("status", sa.String(20), nullable=False, default="active"))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("code", sa.Integer(), nullable=False))
    op.execute("ALTER TABLE users ADD COLUMN score integer NOT NULL")
    op.add_column("legacy", sa.Column("flag", sa.Boolean(), nullable=False))
    """)
    result = project.audit(select=["MA301"])
    got = [(f.code, f.object, f.location.line, f.severity) for f in result.findings]
    assert got == [
        ("MA301", "users.status", project.line_of(rel, '"status"'), Severity.ERROR),
        ("MA301", "users.code", project.line_of(rel, '"code"'), Severity.ERROR),
        ("MA301", "users.score", project.line_of(rel, "score integer"), Severity.ERROR),
        ("MA301", "legacy.flag", project.line_of(rel, '"flag"'), Severity.ERROR),
    ]
    status = result.findings[0]
    assert status.message.startswith(
        "users.status: revision b2 adds a NOT NULL column to the existing table users without a server default; "
        'its default="active" is Python-side and fills no existing row; SQLite refuses')
    assert "server_default='active')" in status.help
    col = (project.root / rel).read_text().splitlines()[status.location.line - 1].index("sa.Column") + 1
    assert status.location.column == col


def test_add_message_follows_the_dialect(project: Project) -> None:
    _project(project, 'op.add_column("users", sa.Column("n", sa.Integer(), nullable=False))')
    pg = project.audit(select=["MA301"], dialect="postgresql").findings[0].message
    assert pg.endswith("on a table that has rows the ALTER TABLE fails (the column would contain nulls)")
    my = project.audit(select=["MA301"], dialect="mysql").findings[0].message
    assert "every existing row silently gets the type's implicit value (0, '' or a zero date)" in my


def test_set_not_null_without_backfill(project: Project) -> None:
    rel = _project(project, """
    op.add_column("users", sa.Column("email", sa.String(100), nullable=True))
    op.execute("UPDATE users SET name = 'x'")
    op.alter_column("users", "email", nullable=False)
    op.alter_column("users", "name", nullable=False, server_default="anon")
    op.alter_column("users", "nick", nullable=False)
    """, earlier='op.add_column("users", sa.Column("nick", sa.String(20)))\n')
    project.write(rel.replace("b2", "c3"), "")  # an empty file under versions/ is not a revision
    result = project.audit(select=["MA301"])
    got = [(f.object, f.location.line, f.severity) for f in result.findings]
    assert got == [
        ("users.email", project.line_of(rel, '"email", nullable=False'), Severity.WARNING),
        ("users.nick", project.line_of(rel, '"nick", nullable=False'), Severity.WARNING),
    ]
    assert result.findings[0].message == (
        "users.email: revision b2 sets NOT NULL, but nothing since the column was added fills the NULLs existing "
        "rows may hold (no UPDATE of email); the ALTER fails on the first NULL")
    assert result.findings[0].help == (
        "backfill first, in the same revision before the alter: "
        "`op.execute(\"UPDATE users SET email = '...' WHERE email IS NULL\")`")


def test_set_not_null_with_a_new_server_default_still_needs_a_backfill(project: Project) -> None:
    rel = _project(project, """
    op.alter_column("users", "name", nullable=False, server_default="anon")
    op.execute("ALTER TABLE users ALTER COLUMN id DROP NOT NULL")
    op.execute("ALTER TABLE users ALTER COLUMN id SET NOT NULL")
    """)
    result = project.audit(select=["MA301"])
    assert [(f.object, f.location.line) for f in result.findings] == [
        ("users.name", project.line_of(rel, '"name"')),
        ("users.id", project.line_of(rel, "SET NOT NULL")),
    ]
    assert "its server default 'anon' fills only rows inserted later" in result.findings[0].message
    assert "SET name = 'anon' WHERE name IS NULL" in result.findings[0].help


def test_near_misses_stay_silent(project: Project) -> None:
    project.models(MODELS + """

def backfill_codes(bind):
    pass
""")
    project.revision("a1", None, CREATE_USERS + """
op.add_column("users", sa.Column("made", sa.Integer(), nullable=False))  # same revision as create_table
op.add_column("users", sa.Column("later", sa.Integer(), nullable=True))
""")
    project.revision("b2", "a1", """
op.add_column("users", sa.Column("status", sa.String(20), nullable=False, server_default="active"))
op.add_column("users", sa.Column("n", sa.Integer(), sa.Identity(), nullable=False))
op.add_column("users", sa.Column("email", sa.String(100), nullable=True))
op.execute("UPDATE users SET email = 'none' WHERE email IS NULL")
op.alter_column("users", "email", nullable=False)
op.add_column("users", sa.Column("slug", sa.String(100), nullable=True))
op.execute("UPDATE users SET slug = lower(name)")
op.alter_column("users", "slug", nullable=False)
op.add_column("users", sa.Column("tier", sa.Integer(), nullable=True, server_default="1"))
op.alter_column("users", "tier", nullable=False)
op.alter_column("users", "made", nullable=False)
op.alter_column("users", "id", nullable=False)
op.execute("UPDATE users SET later = 0")
""")
    project.revision("c3", "b2", """
op.alter_column("users", "later", nullable=False)
op.add_column("users", sa.Column("code", sa.Integer(), nullable=True))
backfill_codes(op.get_bind())
op.alter_column("users", "code", nullable=False)
op.add_column("users", sa.Column("rank", sa.Integer(), nullable=True))
session = Session(bind=op.get_bind())
session.execute(users.update().values(rank=0))
op.alter_column("users", "rank", nullable=False)
""", header="from sqlalchemy.orm import Session\nfrom app.models import backfill_codes\nusers = sa.table('users')")
    assert project.findings(select=["MA301"]) == []
