"""The MA1xx fault family as data: each case is a model (and optionally
migrations) and the exact findings it must produce. Near misses list none."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import pytest

from conftest import Project, revision_file

HEADER = '''\
import datetime
import datetime as dt
import decimal
import enum
import functools
import os
import random
import secrets
import time
import uuid
from datetime import date, timezone
from datetime import datetime as DateTime
from uuid import uuid4
from uuid import uuid4 as new_id

import bson
import nanoid
import shortuuid
import sqlalchemy as sa
import ulid
from sqlalchemy import Column, Integer, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app import helpers
from app.helpers import fresh_token, make_status


class Base(DeclarativeBase):
    pass


class Color(enum.Enum):
    RED = "red"


NOW = datetime.datetime.now()
TOKEN = secrets.token_hex(16)
LABEL = "static"


def local_ref():
    return uuid.uuid4().hex


def plain_status():
    return "active"


def frozen_ret():
    return TOKEN


class Local:
    TODAY = date.today()
'''

HELPERS = '''\
import secrets


def fresh_token():
    return "tok_" + secrets.token_urlsafe(16)


def make_status():
    return "pending"


def today():
    import datetime
    return datetime.date.today()
'''

# Third-party per-row sources, stubbed in the project so the models import
# without them installed; the audit knows them by their qualified names.
STUBS = {
    "shortuuid.py": "import uuid\n\ndef uuid():\n    import uuid as u\n    return u.uuid4().hex[:22]\n",
    "nanoid.py": "import secrets\n\ndef generate(size=21):\n    return secrets.token_urlsafe(size)[:size]\n",
    "ulid.py": "import os\n\nclass ULID(str):\n    def __new__(cls):\n        return str.__new__(cls, os.urandom(8).hex())\n\n"
               "def new():\n    return ULID()\n",
    "bson.py": "import os\n\nclass ObjectId(str):\n    def __new__(cls):\n        return str.__new__(cls, os.urandom(12).hex())\n",
}


@dataclass
class Case:
    name: str
    models: str
    expect: list[tuple[str, str, str]] = field(default_factory=list)  # (code, object, text on the line)
    migrations: list[tuple[str, str | None, str]] = field(default_factory=list)  # (revision, down, body)


def t(name: str, body: str) -> str:
    """A mapped class with an integer key and the given column lines."""
    return f"class {name.title().replace('_', '')}(Base):\n    __tablename__ = {name!r}\n    pk = Column(Integer, primary_key=True)\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n"


FIRE = [
    Case("now_call_any_column", t("a1", "created_at = Column(sa.DateTime, default=datetime.datetime.now())"),
         [("MA103", "a1.created_at", "created_at =")]),
    Case("token_urlsafe_unique", t("a2", "token = mapped_column(String(64), unique=True, default=secrets.token_urlsafe(32))"),
         [("MA101", "a2.token", "token =")]),
    Case("uuid4_hex_pk", "class A3(Base):\n    __tablename__ = 'a3'\n    id: Mapped[str] = mapped_column(primary_key=True, default=uuid4().hex)\n",
         [("MA101", "a3.id", "id: Mapped")]),
    Case("shortuuid_unique", t("a5", "ref = Column(String(22), unique=True, default=shortuuid.uuid())"),
         [("MA101", "a5.ref", "ref =")]),
    Case("random_randint_non_unique", t("a6", "seed = Column(Integer, default=random.randint(1, 10**9))"),
         [("MA103", "a6.seed", "seed =")]),
    Case("random_randint_unique", t("a7", "seed = Column(Integer, unique=True, default=random.randint(1, 10**9))"),
         [("MA101", "a7.seed", "seed =")]),
    Case("project_function_constant_on_unique", t("a8", "status = Column(String, unique=True, default=plain_status())"),
         [("MA101", "a8.status", "status =")]),
    Case("fstring_uuid_core_table",
         "events = sa.Table('events', Base.metadata, Column('id', String(36), primary_key=True, default=f\"{uuid.uuid4()}\"))\n",
         [("MA101", "events.id", "events = sa.Table")]),
    Case("alias_new_id_str", t("a9", "ref = Column(String(36), default=str(new_id()))"),
         [("MA103", "a9.ref", "ref =")]),
    Case("dt_alias_utcnow", t("a10", "at = Column(sa.DateTime, default=dt.datetime.utcnow())"),
         [("MA103", "a10.at", "at =")]),
    Case("from_datetime_now_tz", t("a11", "at = Column(sa.DateTime, default=DateTime.now(timezone.utc))"),
         [("MA103", "a11.at", "at =")]),
    Case("date_today", t("a12", "day = Column(sa.Date, default=date.today())"), [("MA103", "a12.day", "day =")]),
    Case("isoformat_chain", t("a13", "stamp = Column(String, default=datetime.datetime.utcnow().isoformat())"),
         [("MA103", "a13.stamp", "stamp =")]),
    Case("int_time_time", t("a14", "epoch = Column(Integer, default=int(time.time()))"), [("MA103", "a14.epoch", "epoch =")]),
    Case("time_monotonic", t("a15", "tick = Column(sa.Float, default=time.monotonic())"), [("MA103", "a15.tick", "tick =")]),
    Case("os_urandom_hex", t("a16", "salt = Column(String, default=os.urandom(16).hex())"), [("MA103", "a16.salt", "salt =")]),
    Case("nanoid", t("a17", "slug = Column(String, default=nanoid.generate())"), [("MA103", "a17.slug", "slug =")]),
    Case("ulid_new_str", t("a18", "sortkey = Column(String, default=str(ulid.new()))"), [("MA103", "a18.sortkey", "sortkey =")]),
    Case("objectid", t("a19", "oid = Column(String, unique=True, default=str(bson.ObjectId()))"), [("MA101", "a19.oid", "oid =")]),
    Case("module_constant_now", t("a20", "created = Column(sa.DateTime, default=NOW)"), [("MA103", "a20.created", "created =")]),
    Case("module_constant_token_unique", t("a21", "api_key = Column(String, unique=True, default=TOKEN)"),
         [("MA101", "a21.api_key", "api_key =")]),
    Case("local_function_returning_uuid", t("a22", "ref = Column(String, default=local_ref())"), [("MA103", "a22.ref", "ref =")]),
    Case("imported_project_function", t("a23", "token = Column(String, default=fresh_token())"), [("MA103", "a23.token", "token =")]),
    Case("onupdate_frozen", t("a24", "updated = Column(sa.DateTime, onupdate=datetime.datetime.now())"),
         [("MA103", "a24.updated", "updated =")]),
    Case("server_default_frozen_timestamp", t("a25", "made = Column(String, server_default=datetime.datetime.now().isoformat())"),
         [("MA103", "a25.made", "made =")]),
    Case("insert_default_uuid_str_pk",
         "class A26(Base):\n    __tablename__ = 'a26'\n    id: Mapped[str] = mapped_column(String(36), primary_key=True, insert_default=str(uuid.uuid4()))\n",
         [("MA101", "a26.id", "id: Mapped")]),
    Case("mixin_used_by_three_models",
         "class Timestamped:\n    created = Column(sa.DateTime, default=dt.datetime.utcnow())\n\n\n"
         + "\n\n".join(t(n, "").replace("(Base)", "(Timestamped, Base)") for n in ("m1", "m2", "m3")),
         [("MA103", "m1.created", "created = Column")]),
    Case("lambda_returning_a_constant", t("b1", "key = Column(String, default=lambda: TOKEN)"), [("MA103", "b1.key", "key =")]),
    Case("lambda_default_argument", t("b2", "ref = Column(String, default=lambda x=uuid.uuid4(): str(x))"),
         [("MA103", "b2.ref", "ref =")]),
    Case("partial_with_frozen_argument", t("b3", "ref = Column(String, default=functools.partial(str, uuid.uuid4()))"),
         [("MA103", "b3.ref", "ref =")]),
    Case("class_attribute_constant", t("b4", "day = Column(sa.Date, default=Local.TODAY)"), [("MA103", "b4.day", "day =")]),
    Case("module_qualified_helper", t("b5", "day = Column(sa.Date, default=helpers.today())"), [("MA103", "b5.day", "day =")]),
    Case("function_returning_a_constant", t("b6", "key = Column(String, default=frozen_ret)"), [("MA103", "b6.key", "key =")]),
    Case("sql_text_of_a_frozen_time", t("b7", "at = Column(String, server_default=sa.text(str(int(time.time()))))"),
         [("MA103", "b7.at", "at =")]),
    Case("mutable_list_default", t("a27", "tags = Column(sa.JSON, default=[])"), [("MA104", "a27.tags", "tags =")]),
    Case("mutable_dict_default", t("a28", "prefs = Column(sa.JSON, default={'theme': 'light'})"), [("MA104", "a28.prefs", "prefs =")]),
    Case("migration_uuid_then_unique", t("orders", "public_id = Column(String(36))"),
         [("MA102", "orders.public_id", "op.add_column")],
         [("r1", None, "op.create_table('orders', sa.Column('pk', sa.Integer(), primary_key=True))"),
          ("r2", "r1", 'op.add_column("orders", sa.Column("public_id", sa.String(36), nullable=False, '
                       'server_default="0b6f4c1e-8a55-4c8e-9d8f-2f0a4b2b7f11"))\n'
                       'op.create_unique_constraint(None, "orders", ["public_id"])')]),
    Case("migration_token_server_default", t("keys", "secret = Column(String)"),
         [("MA105", "keys.secret", "server_default='Xk9")],
         [("r1", None, "op.create_table('keys', sa.Column('pk', sa.Integer(), primary_key=True), "
                       "sa.Column('secret', sa.String(), server_default='Xk9_fQ2mZp7LwR4tBvN8'))")]),
    Case("migration_constant_backfill_unique", t("accounts", "code = Column(String, unique=True)"),
         [("MA302", "accounts.code", "UPDATE accounts")],
         [("r1", None, "op.create_table('accounts', sa.Column('pk', sa.Integer(), primary_key=True))"),
          ("r2", "r1", "op.add_column('accounts', sa.Column('code', sa.String()))\n"
                       "op.execute(\"UPDATE accounts SET code = 'A-1' WHERE code IS NULL\")\n"
                       "op.create_unique_constraint('uq_accounts_code', 'accounts', ['code'])")]),
]

SILENT = [
    Case("callables", t("s1", """
        a = Column(String, default=lambda: str(uuid.uuid4()))
        b = Column(sa.Uuid, unique=True, default=uuid.uuid4)
        c = Column(sa.DateTime, default=datetime.datetime.now)
        d = Column(sa.DateTime, default=datetime.datetime.utcnow)
        e = Column(String, unique=True, default=new_id)
        f = Column(String, unique=True, default=local_ref)
        g = Column(String, default=functools.partial(secrets.token_hex, 16))
    """)),
    Case("sql_expressions", t("s2", """
        a = mapped_column(sa.DateTime, insert_default=func.now())
        b = Column(sa.DateTime, server_default=sa.text("CURRENT_TIMESTAMP"))
        c = Column(String(36), unique=True, server_default=sa.func.gen_random_uuid())
        d = Column(String, server_default=sa.literal("x"))
        e = Column(sa.Boolean, server_default=sa.false())
        f = Column(sa.DateTime, onupdate=func.now())
    """)),
    Case("generators", t("s3", """
        a = Column(Integer, sa.Sequence("s3_a_seq"), unique=True)
        b = Column(Integer, sa.Identity(), unique=True)
    """)),
    Case("plain_constants_non_unique", t("s4", """
        status = Column(String, default="active")
        count = Column(Integer, default=0)
        price = Column(sa.Numeric, default=decimal.Decimal("0"))
        color = Column(String, default=Color.RED.value)
        kind = Column(sa.Enum(Color), default=Color.RED)
        label = Column(String, default=LABEL)
        other = Column(String, default=make_status())
        plain = Column(String, default=plain_status())
    """)),
    Case("factories", t("s5", """
        tags = Column(sa.JSON, default=list)
        prefs = Column(sa.JSON, default=dict)
        meta = Column(sa.JSON, default=lambda: {"a": 1})
    """)),
    Case("callable_onupdate", t("s6", "updated = Column(sa.DateTime, onupdate=datetime.datetime.utcnow)")),
    Case("composite_key_constant",
         "class S7(Base):\n    __tablename__ = 's7'\n    tenant = Column(String, primary_key=True, default='main')\n"
         "    key = Column(String, primary_key=True)\n"),
    Case("nil_uuid_sentinel_non_key", t("s8", "owner = Column(String(36), server_default='00000000-0000-0000-0000-000000000000')")),
    Case("sentinel_timestamp_in_migration", t("s9", "since = Column(sa.DateTime)"), [],
         [("r1", None, "op.create_table('s9', sa.Column('pk', sa.Integer(), primary_key=True), "
                       "sa.Column('since', sa.DateTime(), server_default='1970-01-01 00:00:00'))")]),
    Case("word_defaults_in_migration", t("s10", "state = Column(String)"), [],
         [("r1", None, "op.create_table('s10', sa.Column('pk', sa.Integer(), primary_key=True), "
                       "sa.Column('state', sa.String(), server_default='not_applicable_value'))")]),
    Case("seed_rows_are_data", t("s11", "code = Column(String, unique=True)"), [],
         [("r1", None, "t = op.create_table('s11', sa.Column('pk', sa.Integer(), primary_key=True), "
                       "sa.Column('code', sa.String(), unique=True))\n"
                       "op.bulk_insert(t, [{'code': '3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'}])")]),
    Case("filtered_update_is_not_a_backfill", t("s12", "code = Column(String, unique=True)"), [],
         [("r1", None, "op.create_table('s12', sa.Column('pk', sa.Integer(), primary_key=True), "
                       "sa.Column('code', sa.String(), unique=True))\n"
                       "op.execute(\"UPDATE s12 SET code = 'A-1' WHERE pk = 1\")")]),
    Case("backfill_non_unique", t("s13", "state = Column(String)"), [],
         [("r1", None, "op.create_table('s13', sa.Column('pk', sa.Integer(), primary_key=True), sa.Column('state', sa.String()))\n"
                       "op.execute(\"UPDATE s13 SET state = 'new'\")")]),
    Case("per_row_backfill_on_unique", t("s14", "code = Column(String, unique=True)"), [],
         [("r1", None, "op.create_table('s14', sa.Column('pk', sa.Integer(), primary_key=True), sa.Column('code', sa.String()))\n"
                       "op.execute('UPDATE s14 SET code = gen_random_uuid()')\n"
                       "op.create_unique_constraint('uq', 's14', ['code'])")]),
    Case("temporary_uuid_default_non_key", t("s15", "ref = Column(String(36))"), [],
         [("r1", None, "op.create_table('s15', sa.Column('pk', sa.Integer(), primary_key=True))\n"
                       "op.add_column('s15', sa.Column('ref', sa.String(36), nullable=False, "
                       "server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'))\n"
                       "op.alter_column('s15', 'ref', server_default=None)")]),
    Case("uuid5_is_deterministic", t("s17", "ns = Column(String, default=str(uuid.uuid5(uuid.NAMESPACE_DNS, 'x')))")),
    Case("helpers_callable", t("s18", "day = Column(sa.Date, default=helpers.today)")),
    Case("deterministic_hash_like_words", t("s16", "code = Column(String, default='deadbeefdeadbeef')")),
]


def _build(project: Project, case: Case) -> None:
    for name, text in STUBS.items():
        project.write(name, text)
    project.models(HELPERS, "app/helpers.py")
    project.models(HEADER + "\n\n" + case.models)
    for rev, down, body in case.migrations:
        project.revision(rev, down, body)


def _line(project: Project, case: Case, obj: str, needle: str) -> tuple[str, int]:
    files = ["app/models.py"] + [f"migrations/versions/{r}.py" for r, _, _ in case.migrations]
    for rel in files:
        for i, text in enumerate((project.root / rel).read_text().splitlines(), 1):
            if needle in text:
                return rel, i
    raise AssertionError(f"{needle!r} not found")


@pytest.mark.parametrize("case", FIRE + SILENT, ids=lambda c: c.name)
def test_case(project: Project, case: Case) -> None:
    _build(project, case)
    expected = [(code, obj, *_line(project, case, obj, needle)) for code, obj, needle in case.expect]
    got = project.findings(select=["MA1", "MA302"])
    assert got == expected


def test_case_counts() -> None:
    assert len(FIRE) >= 25 and len(SILENT) >= 15
    assert sum(len(c.expect) for c in FIRE) == len(FIRE)


def test_mixin_finding_names_every_table(project: Project) -> None:
    [case] = [c for c in FIRE if c.name == "mixin_used_by_three_models"]
    _build(project, case)
    [finding] = project.audit(select=["MA103"]).findings
    assert finding.message.startswith(
        "m1.created, and m2.created, m3.created from the same definition: "
        "default=dt.datetime.utcnow() calls dt.datetime.utcnow() once, when the model is defined"
    )


def test_indirection_is_named(project: Project) -> None:
    case = Case("x", t("x1", "created = Column(sa.DateTime, default=NOW)\ntoken = Column(String, default=fresh_token())"))
    _build(project, case)
    messages = [f.message for f in project.audit(select=["MA103"]).findings]
    assert messages[0].startswith("x1.created: default=NOW calls datetime.datetime.now() (through NOW (app/models.py:")
    assert "calls secrets.token_urlsafe(16) (through fresh_token() (app/helpers.py:4))" in messages[1]


def test_sqlmodel_fields(project: Project) -> None:
    pytest.importorskip("sqlmodel")
    for name, text in STUBS.items():
        project.write(name, text)
    project.models(
        "import uuid\nfrom sqlmodel import Field, SQLModel\n\n\n"
        "class Item(SQLModel, table=True):\n"
        "    id: uuid.UUID = Field(default=uuid.uuid4(), primary_key=True)\n\n\n"
        "class Good(SQLModel, table=True):\n"
        "    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)\n"
    )
    project.write("migrations/env.py", "from app.models import SQLModel\ntarget_metadata = SQLModel.metadata\n")
    assert project.findings(select=["MA1"]) == [("MA101", "item.id", "app/models.py", 6)]


def test_per_row_call_in_a_migration_server_default(project: Project) -> None:
    project.models(HELPERS, "app/helpers.py")
    for name, text in STUBS.items():
        project.write(name, text)
    project.models(HEADER + "\n\n" + t("users", "code = Column(String, unique=True)\nnote = Column(String)"))
    path = project.revision("r1", None, """
        op.create_table('users', sa.Column('pk', sa.Integer(), primary_key=True),
                        sa.Column('code', sa.String(), unique=True, server_default=str(uuid.uuid4())),
                        sa.Column('note', sa.String()))
        op.alter_column('users', 'note', server_default=f"{uuid.uuid4()}")
    """, header="import uuid")
    result = project.audit(select=["MA103"])
    lines = path.read_text().splitlines()
    got = [(f.object, str(f.severity), f.location.line) for f in result.findings]
    assert got == [
        ("users.code", "error", next(i for i, x in enumerate(lines, 1) if "'code'" in x)),
        ("users.note", "warning", next(i for i, x in enumerate(lines, 1) if "alter_column" in x)),
    ]
    assert result.findings[0].message.startswith(
        "users.code (unique): migration r1 sets server_default=str(uuid.uuid4()), which calls uuid.uuid4() once")


def test_backfill_of_a_table_created_in_the_same_revision(project: Project) -> None:
    project.models(HELPERS, "app/helpers.py")
    for name, text in STUBS.items():
        project.write(name, text)
    project.models(HEADER + "\n\n" + t("fresh", "code = Column(String, unique=True)"))
    project.revision("r1", None, """
        op.create_table('fresh', sa.Column('pk', sa.Integer(), primary_key=True), sa.Column('code', sa.String(), unique=True))
        op.execute("UPDATE fresh SET code = 'x'")
    """)
    assert project.findings(select=["MA302"]) == []


def test_md5_is_not_a_uuid() -> None:
    from migration_audit.defaults import classify_literal, uuid_literal

    assert uuid_literal("d41d8cd98f00b204e9800998ecf8427e") is None
    assert classify_literal("d41d8cd98f00b204e9800998ecf8427e").kind == "token"
    assert uuid_literal("3f2a9c1b7d4e4c2a9b1f0e8d6c5a4b3f") == "3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f"


def test_ma105_timestamp_written_when_the_migration_was_generated(project: Project) -> None:
    project.models(HELPERS, "app/helpers.py")
    for name, text in STUBS.items():
        project.write(name, text)
    project.models(HEADER + "\n\n" + t("events", "at = Column(String)\nsince = Column(String)"))
    body = ("op.create_table('events', sa.Column('pk', sa.Integer(), primary_key=True),\n"
            "    sa.Column('at', sa.String(), server_default='2026-12-03 17:38:59.120849'),\n"
            "    sa.Column('since', sa.String(), server_default='2020-01-01 00:00:00'))")
    text = revision_file("r1", None, body).replace("Revision ID: r1\n", "Revision ID: r1\nCreate Date: 2026-12-03 17:39:02.5\n")
    path = project.write("migrations/versions/r1.py", text)
    lines = path.read_text().splitlines()
    result = project.audit(select=["MA105"])
    assert [(f.code, f.object, f.location.line, str(f.severity)) for f in result.findings] == [
        ("MA105", "events.at", next(i for i, x in enumerate(lines, 1) if "'at'" in x), "warning")
    ]
    assert result.findings[0].message.startswith(
        "events.at: migration r1 sets the server default to the timestamp '2026-12-03 17:38:59.120849', "
        "written when the migration was generated")
