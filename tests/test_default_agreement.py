"""MA203 (client and server default disagree), MA204 (NOT NULL with only a
Python-side default) and MA901 (onupdate with no server_onupdate)."""

from __future__ import annotations

import pytest
from conftest import Project

from migration_audit.findings import Severity

HEADER = """\
import datetime
import secrets
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass
"""
M = "app/models.py"


def test_ma203_client_and_server_default_disagree(project: Project) -> None:
    project.models(HEADER + """
class Account(Base):
    __tablename__ = "accounts"
    id = sa.Column(sa.Integer, primary_key=True)
    status = sa.Column(sa.String(20), default="active", server_default="pending")
    flag = sa.Column(sa.Boolean, default=True, server_default="0")
    tries = sa.Column(sa.Integer, default=1, server_default=sa.text("2"))
    rate = sa.Column(sa.Numeric(5, 2), default=1.5, server_default="1.25")
""")
    result = project.audit(select=["MA203"])
    assert [(f.code, f.object, f.location.line, f.severity) for f in result.findings] == [
        ("MA203", "accounts.status", project.line_of(M, "status ="), Severity.WARNING),
        ("MA203", "accounts.flag", project.line_of(M, "flag ="), Severity.WARNING),
        ("MA203", "accounts.tries", project.line_of(M, "tries ="), Severity.WARNING),
        ("MA203", "accounts.rate", project.line_of(M, "rate ="), Severity.WARNING),
    ]
    status, flag = result.findings[0], result.findings[1]
    assert status.message == (
        "accounts.status: default=\"active\" and server_default=\"pending\" disagree: rows the ORM inserts get "
        "'active', rows written any other way (raw SQL, other services, bulk loads) get 'pending'")
    assert status.help.startswith("make them one value (`server_default='active'`)")
    line = (project.root / M).read_text().splitlines()[status.location.line - 1]
    assert status.location.column == line.index('"active"') + 1
    assert "get true, rows written any other way" in flag.message and "sa.true()" in flag.help


def test_ma203_same_value_spelled_differently_stays_silent(project: Project) -> None:
    project.models(HEADER + """
class Account(Base):
    __tablename__ = "accounts"
    id = sa.Column(sa.Integer, primary_key=True)
    a = sa.Column(sa.String(20), default="active", server_default="active")
    b = sa.Column(sa.Boolean, default=True, server_default="1")
    c = sa.Column(sa.Boolean, default=False, server_default=sa.false())
    d = sa.Column(sa.Integer, default=0, server_default="0")
    e = sa.Column(sa.DateTime, default=datetime.datetime.utcnow, server_default=sa.func.now())
    f = sa.Column(sa.Numeric(5, 2), default=1.5, server_default="1.50")
    g = sa.Column(sa.String(5), default="x", server_default=sa.text("'x'"))
    h = sa.Column(sa.Integer, default=5, server_default=sa.text("(5)"))
    i = sa.Column(sa.String(20), default="it's", server_default="it's")
    j = sa.Column(sa.DateTime, default=datetime.datetime(2020, 1, 1), server_default=sa.text("CURRENT_TIMESTAMP"))
""")
    assert project.findings(select=["MA203"]) == []


ENUM_AND_MIXIN = """
import enum

from sqlalchemy.orm import declared_attr


class Role(enum.Enum):
    ADMIN = "admin"
    MEMBER = "member"


class SoftDeleteMixin:
    @declared_attr
    def is_deleted(cls) -> Mapped[bool]:
        return mapped_column(default=False, server_default="0")


class Member(SoftDeleteMixin, Base):
    __tablename__ = "members"
    id = sa.Column(sa.Integer, primary_key=True)
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, name="user_role", values_callable=lambda e: [m.value for m in e]),
        default=Role.MEMBER, server_default="member")
    # near miss: SQLAlchemy stores the member's name, and the server default is its value
    plain: Mapped[Role] = mapped_column(sa.Enum(Role, name="role2"), default=Role.MEMBER, server_default="member")
"""


@pytest.mark.parametrize("static", [False, True])
def test_ma203_reads_enum_members_and_mixin_booleans_as_stored(project: Project, static: bool) -> None:
    """With values_callable the ORM stores the member's value ('member'),
    not its name; a declared_attr's `-> Mapped[bool]` makes the column a
    Boolean, where False and '0' are one value. An import reports the enum
    whose server default is the value while the name is stored; --static
    cannot read the member there (MA008)."""
    project.models(HEADER + ENUM_AND_MIXIN)
    result = project.audit(select=["MA203"], import_models=False if static else None)
    assert [(f.code, f.object, f.location.path.name, f.location.line) for f in result.findings] == (
        [] if static else [("MA203", "members.plain", "models.py", project.line_of(M, "plain:"))])
    if not static:
        assert "rows the ORM inserts get 'MEMBER'" in result.findings[0].message


@pytest.mark.parametrize("static", [False, True])
def test_ma203_decimal_defaults_of_money_columns(project: Project, static: bool) -> None:
    """`default=Decimal("0.00")` is read in both modes: the same value as
    `server_default="0.00"` (or "0"), another than "1.00"."""
    project.models(HEADER + """
from decimal import Decimal


class Invoice(Base):
    __tablename__ = "invoices"
    id = sa.Column(sa.Integer, primary_key=True)
    total = sa.Column(sa.Numeric(12, 2), default=Decimal("0.00"), server_default="1.00")
    # near misses
    paid = sa.Column(sa.Numeric(12, 2), default=Decimal("0.00"), server_default="0.00")
    fee = sa.Column(sa.Numeric(12, 2), default=Decimal(0), server_default=sa.text("0"))
""")
    result = project.audit(select=["MA0", "MA203"], import_models=False if static else None)
    assert [(f.code, f.object, f.location.path.name, f.location.line, f.message) for f in result.findings] == [
        ("MA203", "invoices.total", "models.py", project.line_of(M, "total ="),
         "invoices.total: default=Decimal(\"0.00\") and server_default=\"1.00\" disagree: rows the ORM inserts get "
         "0.00, rows written any other way (raw SQL, other services, bulk loads) get '1.00'")]


def test_ma204_not_null_with_only_a_python_default(project: Project) -> None:
    project.models(HEADER + """
class Event(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    created: Mapped[datetime.datetime] = mapped_column(default=datetime.datetime.utcnow)
    status: Mapped[str] = mapped_column(sa.String(20), default="new")
    ref = sa.Column(sa.String(36), nullable=False, default=lambda: str(uuid.uuid4()))
    token = sa.Column(sa.String(64), nullable=False, default=lambda: secrets.token_hex(16))
""")
    result = project.audit(select=["MA204"], dialect="postgresql")
    assert [(f.code, f.object, f.location.line, f.severity) for f in result.findings] == [
        ("MA204", "events.created", project.line_of(M, "created:"), Severity.WARNING),
        ("MA204", "events.status", project.line_of(M, "status:"), Severity.WARNING),
        ("MA204", "events.ref", project.line_of(M, "ref ="), Severity.WARNING),
        ("MA204", "events.token", project.line_of(M, "token ="), Severity.WARNING),
    ]
    created, status, ref, token = result.findings
    assert created.message == (
        "events.created is NOT NULL and its only default is Python-side (default=datetime.datetime.utcnow): an "
        "INSERT that bypasses the ORM (raw SQL, another service, COPY, insert().from_select()) and omits the "
        "column fails")
    assert created.help == "add `server_default=sa.func.now()`, which the database evaluates per row"
    assert status.help == "add `server_default='new'` beside `default=` (both then give the same value)"
    assert ref.help == 'add `server_default=sa.text("gen_random_uuid()")`, which the database evaluates per row'
    assert token.help.startswith("add a server default that computes the same value")


def test_ma204_near_misses_stay_silent(project: Project) -> None:
    project.models(HEADER + """
class Event(Base):
    __tablename__ = "events"
    id = sa.Column(sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    note = sa.Column(sa.String(20), nullable=True, default="x")
    created = sa.Column(sa.DateTime, nullable=False, default=datetime.datetime.utcnow, server_default=sa.func.now())
    seq = sa.Column(sa.Integer, sa.Sequence("events_seq"), nullable=False)
    name = sa.Column(sa.String(20), nullable=False)
    n = sa.Column(sa.Integer, sa.Identity(), nullable=False)
    maybe: Mapped[str | None] = mapped_column(default="x")
""")
    assert project.findings(select=["MA204"]) == []


def test_ma901_is_off_by_default_and_finds_onupdate_alone(project: Project) -> None:
    project.models(HEADER + """
class Doc(Base):
    __tablename__ = "docs"
    id = sa.Column(sa.Integer, primary_key=True)
    updated = sa.Column(sa.DateTime, server_default=sa.func.now(), onupdate=sa.func.now())
    touched = sa.Column(sa.DateTime, onupdate=sa.func.now(), server_onupdate=sa.FetchedValue())
""")
    assert [f.code for f in project.audit().findings] == []
    result = project.audit(select=["MA901"], dialect="mysql")
    assert [(f.code, f.object, f.location.line) for f in result.findings] == [
        ("MA901", "docs.updated", project.line_of(M, "updated ="))]
    assert result.findings[0].message.startswith("docs.updated: onupdate=sa.func.now() runs only for updates made")
    assert "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP" in result.findings[0].help


def test_ma204_leaves_frozen_values_to_ma1xx(project: Project) -> None:
    project.models(HEADER + """
class Event(Base):
    __tablename__ = "events"
    id = sa.Column(sa.Integer, primary_key=True)
    token = sa.Column(sa.String(36), nullable=False, unique=True, default=str(uuid.uuid4()))
    stamp = sa.Column(sa.DateTime, nullable=False, default=datetime.datetime.now())
""")
    assert [f[:2] for f in project.findings(select=["MA1", "MA204"])] == [
        ("MA101", "events.token"), ("MA103", "events.stamp")]
