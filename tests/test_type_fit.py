"""MA205: a literal server default that does not fit the column type; and
PostgreSQL's 'now' input as a date/time default (MA105)."""

from __future__ import annotations

import pytest
from conftest import Project

from migration_audit.findings import Severity

HEADER = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
"""
M = "app/models.py"


def test_ma205_literals_that_do_not_fit(project: Project) -> None:
    project.models(HEADER + """
class Job(Base):
    __tablename__ = "jobs"
    id = sa.Column(sa.Integer, primary_key=True)
    retries = sa.Column(sa.Integer, server_default="three")
    active = sa.Column(sa.Boolean, server_default=sa.text("1"))
    ref = sa.Column(sa.Uuid, server_default="not-a-uuid")
    meta = sa.Column(sa.JSON, server_default="{oops")
    code = sa.Column(sa.String(3), server_default="ABCDEF")
    due = sa.Column(sa.DateTime, server_default="next week")
""")
    project.revision("a1", None, """
op.create_table("jobs", sa.Column("id", sa.Integer, primary_key=True))
op.add_column("jobs", sa.Column("weight", sa.Numeric(5, 2), server_default="heavy"))
""")
    result = project.audit(select=["MA205"], dialect="postgresql")
    got = [(f.object, f.location.path.name, f.location.line, f.severity) for f in result.findings]
    assert got == [
        ("jobs.retries", "models.py", project.line_of(M, "retries ="), Severity.ERROR),
        ("jobs.active", "models.py", project.line_of(M, "active ="), Severity.ERROR),
        ("jobs.ref", "models.py", project.line_of(M, "ref ="), Severity.ERROR),
        ("jobs.meta", "models.py", project.line_of(M, "meta ="), Severity.ERROR),
        ("jobs.code", "models.py", project.line_of(M, "code ="), Severity.ERROR),
        ("jobs.due", "models.py", project.line_of(M, "due ="), Severity.ERROR),
        ("jobs.weight", "a1.py", project.line_of("migrations/versions/a1.py", "heavy"), Severity.ERROR),
    ]
    messages = [f.message for f in result.findings]
    assert messages[0] == ("jobs.retries: the model's server default \"three\" does not fit INTEGER on PostgreSQL: "
                           "'three' is not an integer")
    assert messages[1].endswith("PostgreSQL refuses the number 1 as a boolean default (write true/false, or the "
                                "string '1')")
    assert messages[4].endswith("'ABCDEF' is 6 characters, longer than the column's 3")
    assert messages[6] == ("jobs.weight: migration a1's server default \"heavy\" does not fit Numeric(5, 2) on "
                           "PostgreSQL: 'heavy' is not a number")


def test_ma205_values_that_fit_stay_silent(project: Project) -> None:
    project.models(HEADER + """
class Job(Base):
    __tablename__ = "jobs"
    id = sa.Column(sa.Integer, primary_key=True)
    retries = sa.Column(sa.Integer, server_default="3")
    neg = sa.Column(sa.BigInteger, server_default=sa.text("-1"))
    active = sa.Column(sa.Boolean, server_default="0")
    on = sa.Column(sa.Boolean, server_default=sa.true())
    ref = sa.Column(sa.Uuid, server_default="6f1c1f0e-6a43-4c3b-9a57-2f0f3a3e2b1c")
    gen = sa.Column(sa.Uuid, server_default=sa.text("gen_random_uuid()"))
    meta = sa.Column(sa.JSON, server_default="{}")
    code = sa.Column(sa.String(3), server_default="ABC")
    due = sa.Column(sa.DateTime, server_default="2020-01-01 00:00:00")
    day = sa.Column(sa.Date, server_default="infinity")
    rate = sa.Column(sa.Numeric(5, 2), server_default="1.5")
    span = sa.Column(sa.Interval, server_default="1 day")
    note = sa.Column(sa.Text, server_default="anything at all")
""")
    assert project.findings(select=["MA205"], dialect="postgresql") == []


def test_ma205_numbers_past_the_precision_and_times_past_the_clock(project: Project) -> None:
    project.models(HEADER + """
class Job(Base):
    __tablename__ = "jobs"
    id = sa.Column(sa.Integer, primary_key=True)
    rate = sa.Column(sa.Numeric(4, 2), server_default="123.45")
    rounded = sa.Column(sa.Numeric(4, 2), server_default="99.995")
    at = sa.Column(sa.Time, server_default="25:99")
""")
    project.revision("a1", None, """
op.create_table("jobs", sa.Column("id", sa.Integer, primary_key=True))
op.add_column("jobs", sa.Column("cap", sa.Numeric(precision=4, scale=2), server_default=sa.text("100")))
""")
    result = project.audit(select=["MA205"], dialect="postgresql")
    assert [(f.object, f.location.path.name, f.location.line, f.message) for f in result.findings] == [
        ("jobs.rate", "models.py", project.line_of(M, "rate ="),
         "jobs.rate: the model's server default \"123.45\" does not fit NUMERIC(4, 2) on PostgreSQL: '123.45' has 3 "
         "digits before the decimal point, and the column holds 2 (precision 4, scale 2)"),
        ("jobs.rounded", "models.py", project.line_of(M, "rounded ="),
         "jobs.rounded: the model's server default \"99.995\" does not fit NUMERIC(4, 2) on PostgreSQL: '99.995' "
         "has 3 digits before the decimal point once rounded to 2 after it, and the column holds 2 (precision 4, "
         "scale 2)"),
        ("jobs.at", "models.py", project.line_of(M, "at ="),
         "jobs.at: the model's server default \"25:99\" does not fit TIME WITHOUT TIME ZONE on PostgreSQL: '25:99' "
         "is not a time of day"),
        ("jobs.cap", "a1.py", project.line_of("migrations/versions/a1.py", "cap"),
         "jobs.cap: migration a1's server default sa.text(\"100\") does not fit Numeric(precision=4, scale=2) on "
         "PostgreSQL: 100 has 3 digits before the decimal point, and the column holds 2 (precision 4, scale 2)"),
    ]


def test_ma205_near_misses_of_precision_clock_and_arrays_stay_silent(project: Project) -> None:
    project.models(HEADER + """
from sqlalchemy.dialects import postgresql


class Job(Base):
    __tablename__ = "jobs"
    id = sa.Column(sa.Integer, primary_key=True)
    rate = sa.Column(sa.Numeric(4, 2), server_default="-12.345")  # rounded: more digits after the point
    big = sa.Column(sa.Numeric(10), server_default="1234567890")
    whole = sa.Column(sa.Numeric(4, 2), server_default="0012.5")
    at = sa.Column(sa.Time, server_default="24:00:00")
    leap = sa.Column(sa.Time, server_default="23:59:60")
    ids = sa.Column(postgresql.ARRAY(sa.Integer), server_default="{}")
    more = sa.Column(postgresql.ARRAY(sa.Integer), server_default="{1,2}")
""")
    assert project.findings(select=["MA205"], dialect="postgresql") == []


def test_ma205_time_past_24_hours_is_a_duration_on_mysql(project: Project) -> None:
    project.models(HEADER + """
class Job(Base):
    __tablename__ = "jobs"
    id = sa.Column(sa.Integer, primary_key=True)
    span = sa.Column(sa.Time, server_default="25:00:00")
    bad = sa.Column(sa.Time, server_default="25:61:00")
""")
    result = project.audit(select=["MA205"], dialect="mysql")
    assert [(f.object, f.message.split(": ", 2)[-1]) for f in result.findings] == [
        ("jobs.bad", "'25:61:00' is not a time")]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_ma205_enum_default_that_is_not_a_value(project: Project, dialect: str) -> None:
    """PostgreSQL refuses the column (invalid input value for enum), MySQL
    and MariaDB too (Invalid default value); the compiled type of a model
    (`ab` on PostgreSQL) does not show the values, the fact carries them."""
    project.models(HEADER + """
import enum


class Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"


class Job(Base):
    __tablename__ = "jobs"
    id = sa.Column(sa.Integer, primary_key=True)
    state = sa.Column(sa.Enum("a", "b", name="ab"), server_default="c")
    color = sa.Column(sa.Enum(Color), server_default="red")
    # near misses: a value, and a member's name (what SQLAlchemy stores)
    state_ok = sa.Column(sa.Enum("a", "b", name="ab"), server_default="b")
    color_ok = sa.Column(sa.Enum(Color), server_default="RED")
""")
    project.revision("a1", None, """
op.create_table("jobs", sa.Column("id", sa.Integer, primary_key=True))
op.add_column("jobs", sa.Column("kind", sa.Enum("x", "y", name="kinds"), server_default="z"))
op.add_column("jobs", sa.Column("kind_ok", sa.Enum("x", "y", name="kinds"), server_default="y"))
""")
    result = project.audit(select=["MA205"], dialect=dialect)
    # MySQL compares by the collation, case-insensitive: 'red' is stored as 'RED'
    color = [] if dialect == "mysql" else [("jobs.color", "models.py", project.line_of(M, "color ="),
                                            "'red' is not one of the enum's values ('RED', 'GREEN')")]
    assert [(f.object, f.location.path.name, f.location.line, f.message.split(": ", 2)[-1])
            for f in result.findings] == [
        ("jobs.state", "models.py", project.line_of(M, "state ="), "'c' is not one of the enum's values ('a', 'b')"),
        *color,
        ("jobs.kind", "a1.py", project.line_of("migrations/versions/a1.py", '"kind"'),
         "'z' is not one of the enum's values ('x', 'y')"),
    ]


def test_ma205_booleans_on_mysql(project: Project) -> None:
    project.models(HEADER + """
class Job(Base):
    __tablename__ = "jobs"
    id = sa.Column(sa.Integer, primary_key=True)
    a = sa.Column(sa.Boolean, server_default="true")
    b = sa.Column(sa.Boolean, server_default="1")
    c = sa.Column(sa.Boolean, server_default=sa.text("0"))
""")
    result = project.audit(select=["MA205"], dialect="mysql")
    assert [(f.object, f.message.split(": ", 2)[-1]) for f in result.findings] == [
        ("jobs.a", "MySQL stores booleans as integers: 'true' is not one (write 0 or 1)")]


def test_ma105_postgresql_now_input_is_frozen_at_create_table(project: Project) -> None:
    project.models(HEADER + """
class Job(Base):
    __tablename__ = "jobs"
    id = sa.Column(sa.Integer, primary_key=True)
    created = sa.Column(sa.DateTime, server_default="now")
    day = sa.Column(sa.Date, server_default=sa.text("'today'"))
    ok = sa.Column(sa.DateTime, server_default=sa.func.now())
    word = sa.Column(sa.String(10), server_default="now")
""")
    project.revision("a1", None, """
op.create_table("jobs", sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("created", sa.DateTime(), server_default="now"))
""")
    result = project.audit(select=["MA105", "MA205"], dialect="postgresql")
    assert [(f.code, f.object, f.location.path.name, f.severity) for f in result.findings] == [
        ("MA105", "jobs.created", "models.py", Severity.WARNING),
        ("MA105", "jobs.day", "models.py", Severity.WARNING),
        ("MA105", "jobs.created", "a1.py", Severity.WARNING),
    ]
    assert result.findings[0].message == (
        "jobs.created: the model's server default is 'now', which PostgreSQL turns into a constant when it "
        "creates the table (the moment the migration ran); every row inserted without a value gets that one value")
    assert result.findings[0].help == "let the database compute it per row: `server_default=sa.func.now()`"
