"""Property-based fuzzing: generated migration files and model modules,
valid and broken, never crash the audit or print a traceback.

Each example is a small Alembic project on disk, audited in this process:
- statically (``import-models = false``), which reads the migrations and the
  models with ``ast``;
- when the generated models really import, also as the Alembic hooks do
  (``metadata_objects``), which walks the imported ``MetaData``. (Importing
  in child interpreters is what ``test_isolation`` covers; it is too slow to
  fuzz.)
Every reporter then renders the result.

The default run is a short pass. The long run:

    MIGRATION_AUDIT_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz.py -q

Inputs that ever crashed the audit are kept in ``tests/data/fuzz/`` and
replayed on every run (``test_regressions``)."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import string
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ENV_PY

from migration_audit.config import Overrides, UsageError
from migration_audit.engine import AuditResult, audit
from migration_audit.reporters import REPORTERS

EXAMPLES = int(os.environ.get("MIGRATION_AUDIT_FUZZ_EXAMPLES", "100"))
REGRESSIONS = Path(__file__).parent / "data" / "fuzz"
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])

# -- the pieces ------------------------------------------------------------------

GOOD_IDS = st.sampled_from(["'a1b2c3d4e5f6'", "'0f9e8d7c6b5a'", "'3f2a9c1b7d4e'", "'5d6e7f8a9b0c'", "'c0ffee000001'"])
IDS = st.sampled_from(["a1b2c3d4e5f6", "0f9e8d7c6b5a", "3f2a9c1b7d4e", "abcd", "a1", "", "x y", "é1"])
TABLES = st.sampled_from(["users", "orders", "items", "Users", "public.users", "t", ""])
COLUMNS = st.sampled_from(["id", "email", "status", "created_at", "token", "price", "data", "ID", "select"])
TYPES = st.sampled_from([
    "sa.Integer()", "sa.String(36)", "sa.String()", "sa.String(length=3)", "sa.Text()", "sa.Boolean()",
    "sa.DateTime()", "sa.DateTime(timezone=True)", "sa.Date()", "sa.Uuid()", "sa.JSON()", "sa.Numeric(10, 2)",
    "sa.Enum('a', 'b', name='e')", "sa.LargeBinary()", "sa.Float()", "postgresql.UUID(as_uuid=True)",
    "postgresql.JSONB()", "mysql.TINYINT(1)", "MyType()", "sa.ARRAY(sa.Integer())", "sa.Interval()",
    "sa.String", "sa.Integer", "42", "None",
])
LITERALS = st.sampled_from([
    "'x'", "'active'", "''", "'0'", "'1'", "'true'", "'now'", "'3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'",
    "'2024-01-01 12:00:00'", "'9f86d081884c7d659a2feaa0c55ad015'", "'{\"a\": 1}'", "'it''s'", "\"it's\"",
    "0", "1", "-1", "1.5", "True", "False", "None", "b'x'", "'\\x00'", "'é'", "'" + "x" * 300 + "'",
])
SERVER_DEFAULTS = st.one_of(LITERALS, st.sampled_from([
    "sa.text('0')", "sa.text('now()')", "sa.text(\"'x'\")", "sa.text('gen_random_uuid()')", "sa.func.now()",
    "sa.text('CURRENT_TIMESTAMP')", "sa.FetchedValue()", "sa.text('')", "sa.text(')')", "sa.literal('x')",
    "sa.text(\"'3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'\")", "sa.Identity()", "make_default()", "DEFAULT",
]))
SQL = st.one_of(
    st.builds(lambda t, c, v: f"UPDATE {t} SET {c} = {v}", TABLES, COLUMNS, LITERALS),
    st.builds(lambda t, c, v: f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {v}", TABLES, COLUMNS, LITERALS),
    st.builds(lambda t, c: f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT", TABLES, COLUMNS),
    st.builds(lambda t, c: f"ALTER TABLE {t} ADD COLUMN {c} VARCHAR(3) NOT NULL DEFAULT 'x'", TABLES, COLUMNS),
    st.builds(lambda t, c, v: f"INSERT INTO {t} ({c}) VALUES ({v})", TABLES, COLUMNS, LITERALS),
    st.builds(lambda t: f"CREATE TABLE {t} (id INT PRIMARY KEY, s TEXT DEFAULT 'a')", TABLES),
    st.text(alphabet=string.printable + "éß'\"();", max_size=60),
)


def _column(name: str, type_: str, kwargs: list[str]) -> str:
    return f"sa.Column({name!r}, {type_}{''.join(', ' + k for k in kwargs)})"


COLUMN_KWARGS = st.lists(st.one_of(
    st.builds(lambda v: f"server_default={v}", SERVER_DEFAULTS),
    st.builds(lambda v: f"nullable={v}", st.sampled_from(["True", "False", "NULLABLE"])),
    st.builds(lambda v: f"primary_key={v}", st.sampled_from(["True", "False"])),
    st.builds(lambda v: f"unique={v}", st.sampled_from(["True", "False"])),
    st.builds(lambda v: f"default={v}", LITERALS),
    st.just("autoincrement=True"), st.just("comment='c'"), st.just("*extra"), st.just("**kw"),
), max_size=4)
COLUMN = st.builds(_column, COLUMNS, TYPES, COLUMN_KWARGS)

OPS = st.one_of(
    st.builds(lambda t, cols: f"op.create_table({t!r}, {', '.join(cols)})", TABLES, st.lists(COLUMN, max_size=4)),
    st.builds(lambda t, c: f"op.add_column({t!r}, {c})", TABLES, COLUMN),
    st.builds(lambda t, c, kw: f"op.alter_column({t!r}, {c!r}{''.join(', ' + k for k in kw)})", TABLES, COLUMNS,
              st.lists(st.one_of(
                  st.builds(lambda v: f"server_default={v}", SERVER_DEFAULTS),
                  st.builds(lambda v: f"nullable={v}", st.sampled_from(["True", "False"])),
                  st.builds(lambda v: f"type_={v}", TYPES),
                  st.builds(lambda v: f"existing_type={v}", TYPES),
                  st.builds(lambda v: f"new_column_name={v!r}", COLUMNS)), max_size=3)),
    st.builds(lambda t, c: f"op.drop_column({t!r}, {c!r})", TABLES, COLUMNS),
    st.builds(lambda t: f"op.drop_table({t!r})", TABLES),
    st.builds(lambda t, u: f"op.rename_table({t!r}, {u!r})", TABLES, TABLES),
    st.builds(lambda s: f"op.execute({s!r})", SQL),
    st.builds(lambda s: f"op.execute(sa.text({s!r}))", SQL),
    st.builds(lambda t, c: f"op.create_unique_constraint('uq', {t!r}, [{c!r}])", TABLES, COLUMNS),
    st.builds(lambda t, c: f"op.create_index('ix', {t!r}, [{c!r}], unique=True)", TABLES, COLUMNS),
    st.builds(lambda t, c: f"op.create_primary_key('pk', {t!r}, [{c!r}])", TABLES, COLUMNS),
    st.builds(lambda t, c, d: f"with op.batch_alter_table({t!r}) as batch_op:\n    batch_op.add_column({d})\n"
                              f"    batch_op.alter_column({c!r}, nullable=False)", TABLES, COLUMNS, COLUMN),
    st.builds(lambda t: f"if context.is_offline_mode():\n    op.drop_table({t!r})", TABLES),
    st.builds(lambda t: f"for name in ['a', 'b']:\n    op.add_column({t!r}, sa.Column(name, sa.String()))", TABLES),
    st.just("helper()"), st.just("op.execute(build_sql())"), st.just("pass"), st.just("return"),
    st.just("op.bulk_insert(tbl, [{'id': 1}])"), st.just("conn = op.get_bind()\nconn.execute(sa.text('SELECT 1'))"),
)


HEADER_VALUE = st.one_of(
    IDS.map(repr), st.just("None"), st.tuples(IDS, IDS).map(repr), st.lists(IDS, max_size=3).map(repr),
    st.just("REV"), st.just("make_id()"), st.just("()"), st.just("3"), st.just("('a1b2c3d4e5f6', None)"),
)


@st.composite
def migration(draw: st.DrawFn) -> str:
    """A revision file, most often in the layout `alembic revision` writes."""
    lines = []
    if draw(st.booleans()):
        lines.append(f'"""{draw(st.text(max_size=20))}\n\nRevision ID: x\nCreate Date: '
                     f'{draw(st.sampled_from(["2024-01-01 12:00:00.000000", "garbage", "2024-13-45 99:99:99"]))}\n"""')
    lines += ["from alembic import op", "import sqlalchemy as sa", "from sqlalchemy.dialects import postgresql, mysql"]
    if draw(st.booleans()):
        lines.append(f"REV = {draw(IDS)!r}")
    for name in ("revision", "down_revision", "branch_labels", "depends_on"):
        if draw(st.integers(0, 9)) == 0:
            continue  # missing
        if draw(st.integers(0, 3)):  # mostly what `alembic revision` writes
            value = {"revision": draw(GOOD_IDS), "down_revision": draw(st.one_of(st.just("None"), GOOD_IDS)),
                     "branch_labels": "None", "depends_on": "None"}[name]
        else:
            value = draw(HEADER_VALUE)
        spelling = draw(st.sampled_from(["{n} = {v}", "{n}: str = {v}", "if True:\n    {n} = {v}"]))
        lines.append(spelling.format(n=name, v=value))
    ops = draw(st.lists(OPS, max_size=6))
    body = "\n".join(ops) or "pass"
    lines.append("\n\ndef upgrade():\n" + textwrap.indent(body, "    "))
    if draw(st.booleans()):
        lines.append("\n\ndef downgrade():\n    pass")
    return "\n".join(lines) + "\n"


DEFAULTS = st.one_of(LITERALS, st.sampled_from([
    "uuid.uuid4", "uuid.uuid4()", "str(uuid.uuid4())", "uuid.uuid4().hex", "lambda: str(uuid.uuid4())",
    "datetime.datetime.now()", "datetime.datetime.now", "datetime.datetime.utcnow()", "datetime.date.today()",
    "time.time()", "secrets.token_hex(16)", "random.random()", "[]", "{}", "list", "dict", "set()",
    "func.now()", "sa.func.now()", "NOW", "TOKEN", "helper()", "helper", "settings.value", "Color.RED",
    "Color.RED.value", "decimal.Decimal('1.5')", "functools.partial(str, 1)", "sa.text('x')",
    "sa.Sequence('s')", "os.environ.get('X')", "lambda ctx: ctx.get_current_parameters()['a']",
]))
MODEL_TYPES = st.sampled_from([
    "sa.Integer", "sa.String(36)", "sa.String", "sa.Text", "sa.Boolean", "sa.DateTime(timezone=True)",
    "sa.Date", "sa.Uuid", "sa.JSON", "sa.Numeric(10, 2)", "sa.Enum('a', 'b', name='e')", "sa.PickleType",
    "sa.String(3)", "MyType", "sa.Float",
])


@st.composite
def model_column(draw: st.DrawFn) -> str:
    kwargs = []
    for name, values in (("primary_key", st.sampled_from(["True", "False"])),
                         ("unique", st.sampled_from(["True", "False"])),
                         ("nullable", st.sampled_from(["True", "False"])),
                         ("index", st.just("True")),
                         ("default", DEFAULTS), ("insert_default", DEFAULTS), ("onupdate", DEFAULTS),
                         ("server_default", SERVER_DEFAULTS), ("server_onupdate", st.just("sa.FetchedValue()"))):
        if draw(st.integers(0, 3)) == 0:
            kwargs.append(f"{name}={draw(values)}")
    spelling = draw(st.sampled_from(["column", "mapped", "annotated", "core_name"]))
    type_ = draw(MODEL_TYPES)
    args = ", ".join([type_, *kwargs])
    if spelling == "column":
        return f"sa.Column({args})"
    if spelling == "mapped":
        return f"mapped_column({args})"
    if spelling == "annotated":
        inner = draw(st.sampled_from(["int", "str", "Optional[str]", "datetime.datetime", "dict", "uuid.UUID",
                                      "bool", "Decimal", "'str'"]))
        return f"__annotated__{inner}__ mapped_column({', '.join(kwargs)})"
    return f"sa.Column('renamed', {args})"


MODEL_HEADER = """\
import datetime
import decimal
import enum
import functools
import os
import random
import secrets
import time
import uuid
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NOW = datetime.datetime.now()
TOKEN = secrets.token_hex(8)


class Color(enum.Enum):
    RED = "red"


class MyType(sa.types.TypeDecorator):
    impl = sa.String
    cache_ok = True


class Settings:
    value = uuid.uuid4().hex


settings = Settings()


def helper():
    return "x"

"""


@st.composite
def models(draw: st.DrawFn) -> str:
    """A models module: declarative classes, mixins, a Core table."""
    out = [MODEL_HEADER]
    base = draw(st.sampled_from(["class Base(DeclarativeBase):\n    pass\n",
                                 "from sqlalchemy.orm import declarative_base\nBase = declarative_base()\n",
                                 "class Base(DeclarativeBase):\n    type_annotation_map = {str: sa.String(20)}\n"]))
    out.append(base)
    if draw(st.booleans()):
        out.append("class Stamped:\n    created = mapped_column(sa.DateTime, default=datetime.datetime.now())\n")
    tables = draw(st.lists(st.sampled_from(["users", "orders", "items", "t"]), max_size=3, unique=True))
    for n, table in enumerate(tables):
        mixin = "Stamped, " if "class Stamped" in "".join(out) and draw(st.booleans()) else ""
        body = [f"__tablename__ = {table!r}" if draw(st.integers(0, 5)) else
                draw(st.sampled_from(["__tablename__ = os.environ.get('T', 'x')", "pass"]))]
        body.append("id = sa.Column(sa.Integer, primary_key=True)" if draw(st.integers(0, 4)) else
                    "id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))")
        for key in draw(st.lists(st.sampled_from(["a", "b", "email", "created_at", "token", "status"]),
                                 max_size=4, unique=True)):
            column = draw(model_column())
            if column.startswith("__annotated__"):
                inner, _, call = column[len("__annotated__"):].partition("__ ")
                body.append(f"{key}: Mapped[{inner}] = {call}")
            else:
                body.append(f"{key} = {column}")
        if draw(st.integers(0, 3)) == 0:
            body.append("__table_args__ = (sa.UniqueConstraint('a', 'b'), {'comment': 'c'})")
        out.append(f"class Model{n}({mixin}Base):\n" + textwrap.indent("\n".join(body), "    ") + "\n")
    if draw(st.booleans()):
        out.append("core = sa.Table('core', Base.metadata, sa.Column('id', sa.Integer, primary_key=True), "
                   f"sa.Column('v', sa.String, server_default={draw(SERVER_DEFAULTS)}))\n")
    return "\n\n".join(out)


@st.composite
def broken(draw: st.DrawFn, text: st.SearchStrategy[str]) -> bytes:
    """``text``, often damaged: cut, spliced with odd bytes, nested deep."""
    source = draw(text).encode()
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(source)))
        kind = draw(st.sampled_from(["cut", "insert", "delete", "deep", "bom", "latin", "dup"]))
        if kind == "cut":
            source = source[:at]
        elif kind == "insert":
            source = source[:at] + draw(st.sampled_from([b"\x00", b"\xff", b"(", b")", b"'", b'"""', b"\n    ",
                                                          b"\t", b"\r", b"\\", b"#", b"\xe9", b":", b"=", b"\x0c",
                                                          b"lambda", b"\xef\xbb\xbf"])) + source[at:]
        elif kind == "delete":
            source = source[:at] + source[at + draw(st.integers(1, 20)):]
        elif kind == "deep":
            depth = draw(st.sampled_from([50, 200, 1000, 5000]))
            source += b"\nx = " + b"(" * depth + b"1" + b")" * depth + b"\n"
        elif kind == "bom":
            source = b"\xef\xbb\xbf" + source
        elif kind == "latin":
            source = b"# -*- coding: latin-1 -*-\n" + source + b"\n# caf\xe9\n"
        else:
            lines = source.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            source = b"\n".join(lines[: i + 1] + lines[i:])
    return source


# -- running it ---------------------------------------------------------------------


def _project(root: Path, revisions: list[bytes], model_source: bytes, pyproject: str | None) -> None:
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "alembic.ini").write_text("[alembic]\nscript_location = migrations\nprepend_sys_path = .\n"
                                      "sqlalchemy.url = postgresql://u@localhost/db\n")
    (root / "migrations" / "env.py").write_text(ENV_PY.format(imports="from app.models import Base",
                                                              target="Base.metadata"))
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_bytes(model_source)
    for n, text in enumerate(revisions):
        (root / "migrations" / "versions" / f"r{n:02d}.py").write_bytes(text)
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)


@contextlib.contextmanager
def _imported_models(root: Path):  # type: ignore[no-untyped-def]
    """The generated models imported in this process, as env.py would, or
    None when they do not import; forgotten afterwards."""
    sys.path.insert(0, str(root))
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy's warnings about the generated classes
            try:
                module = importlib.import_module("app.models")
                metadata = module.Base.metadata
            except BaseException:  # noqa: BLE001 - a generated module that does not import
                metadata = None
        yield metadata
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
            del sys.modules[name]


def _render(result: AuditResult) -> None:
    for name, reporter in REPORTERS.items():
        text = reporter(result, color=name == "text")
        assert isinstance(text, str)


def audit_everything(root: Path) -> list[str]:
    """Audit ``root`` statically and, if its models import, as the hooks do;
    render every format. Returns what went to stderr/stdout meanwhile. A
    UsageError (a one-line message) is an allowed outcome."""
    noise = io.StringIO()
    with mock.patch.dict(os.environ, {"MIGRATION_AUDIT_NO_CACHE": "1"}), \
            contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise):
        try:
            _render(audit(root, Overrides(import_models=False), ["ALL"], []))
        except UsageError as exc:
            assert "\n" not in str(exc).strip(), str(exc)
            return [noise.getvalue()]
        with _imported_models(root) as metadata:
            if metadata is not None:
                _render(audit(root, Overrides(), ["ALL"], [], metadata_objects=[metadata]))
    return [noise.getvalue()]


def _check(revisions: list[bytes], model_source: bytes, pyproject: str | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="ma-fuzz-") as tmp:
        root = Path(tmp) / "proj"
        root.mkdir()
        _project(root, revisions, model_source, pyproject)
        for output in audit_everything(root):
            assert "Traceback" not in output, output


PYPROJECTS = st.one_of(st.none(), st.sampled_from([
    "[tool.migration-audit]\nimport-models = false\n",
    "[tool.migration-audit]\nselect = ['MA1']\n",
    "[tool.migration-audit]\nseverity = { MA101 = 'info' }\n",
    "[tool.migration-audit]\nper-file-ignores = { 'app/*' = ['MA1'] }\n",
    "[tool.migration-audit\n",
    "[tool.migration-audit]\nimport-models = 'yes'\n",
    "[tool.migration-audit]\nmetadata = 'app.models:Nope'\n",
    "[tool.alembic]\nscript_location = 'migrations'\n",
]))


@FUZZ
@given(revisions=st.lists(broken(migration()), max_size=5), model_source=broken(models()), pyproject=PYPROJECTS)
def test_generated_projects_never_crash(revisions: list[bytes], model_source: bytes, pyproject: str | None) -> None:
    _check(revisions, model_source, pyproject)


@FUZZ
@given(revisions=st.lists(migration().map(str.encode), min_size=1, max_size=5), model_source=models().map(str.encode))
def test_valid_projects_never_crash(revisions: list[bytes], model_source: bytes) -> None:
    """Undamaged files: the models really import, so both model sources run."""
    _check(revisions, model_source)


def _regressions() -> list[Path]:
    return sorted(p for p in REGRESSIONS.iterdir() if p.is_dir()) if REGRESSIONS.is_dir() else []


def _steps(case: Path) -> list[Path]:
    """A case is one project (``models.py``, ``r*.py``, an optional
    ``pyproject.toml``), or folders ``1``, ``2``… of projects audited one
    after the other in this process (what an earlier audit left behind
    mattered)."""
    steps = sorted((p for p in case.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
    return steps or [case]


@pytest.mark.parametrize("case", _regressions(), ids=lambda p: p.name)
def test_regressions(case: Path) -> None:
    """Inputs the fuzzer (or a person trying to break the tool) found."""
    for step in _steps(case):
        model = step / "models.py"
        pyproject = step / "pyproject.toml"
        _check([p.read_bytes() for p in sorted(step.glob("r*.py"))], model.read_bytes() if model.exists() else b"",
               pyproject.read_text() if pyproject.exists() else None)
