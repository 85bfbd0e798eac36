"""The static reader spells the common types and server defaults without
importing SQLAlchemy (sources/plain.py): every spelling must be SQLAlchemy's
own, on the SQLAlchemy installed (CI runs this on 2.0 and on the newest)."""

from __future__ import annotations

import datetime
import decimal
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.sql import sqltypes

from conftest import FIXTURES

from migration_audit.config import Overrides, load_projects
from migration_audit.engine import model_roots
from migration_audit.facts import Location
from migration_audit.sources import plain
from migration_audit.sources.model_ast import static_schema
from migration_audit.sources.models import _dialect, _render, compile_type

DIALECTS = sorted(plain.DIALECTS)

TYPES: list[tuple[str, tuple[object, ...], dict[str, object]]] = [
    ("Integer", (), {}), ("BigInteger", (), {}), ("SmallInteger", (), {}), ("Text", (), {}),
    ("UnicodeText", (), {}), ("Date", (), {}), ("Float", (), {}), ("JSON", (), {}), ("Boolean", (), {}),
    ("LargeBinary", (), {}), ("DateTime", (), {}), ("DateTime", (True,), {}), ("DateTime", (), {"timezone": False}),
    ("DateTime", (), {"timezone": True}), ("Time", (), {}), ("Time", (), {"timezone": True}),
    ("String", (), {}), ("String", (36,), {}), ("String", (), {"length": 255}), ("Unicode", (20,), {}),
    ("Unicode", (), {}), ("Numeric", (), {}), ("Numeric", (10,), {}), ("Numeric", (10, 2), {}),
    ("Numeric", (), {"precision": 12, "scale": 4}), ("Numeric", (8,), {"scale": 3}),
]
# written in ways the table leaves to SQLAlchemy
NOT_SPELLED: list[tuple[str, tuple[object, ...], dict[str, object]]] = [
    ("String", (50,), {"collation": "C"}), ("Integer", (), {"x": 1}), ("Boolean", (), {"create_constraint": True}),
    ("Float", (53,), {}), ("Numeric", (), {"scale": 2}), ("Numeric", (10,), {"precision": 10}),
    ("String", (0,), {}), ("String", (True,), {}), ("DateTime", ("yes",), {}), ("Text", (100,), {}),
    ("Uuid", (), {}), ("Enum", ("a", "b"), {}), ("Interval", (), {}),
]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_type_the_table_spells_is_sqlalchemys_spelling(dialect: str) -> None:
    spelled = 0
    for name, args, kwargs in TYPES:
        ours = plain.type_spelling(name, args, kwargs, dialect)
        theirs = compile_type(getattr(sa, name)(*args, **kwargs), _dialect(dialect))
        if ours is None:
            # only MySQL's VARCHAR without a length is left to SQLAlchemy, which cannot spell it either
            assert (name, args, kwargs, dialect in ("mysql", "mariadb")) in (
                ("String", (), {}, True), ("Unicode", (), {}, True)), (name, args, kwargs)
            continue
        spelled += 1
        assert ours == theirs, (name, args, kwargs)
    assert spelled >= len(TYPES) - 2


@pytest.mark.parametrize("dialect", DIALECTS)
def test_types_written_otherwise_are_left_to_sqlalchemy(dialect: str) -> None:
    assert [plain.type_spelling(name, args, kwargs, dialect) for name, args, kwargs in NOT_SPELLED] == [
        None] * len(NOT_SPELLED)


def test_the_exact_spellings_of_the_common_types() -> None:
    assert plain.type_spelling("String", (36,), {}, "sqlite") == "VARCHAR(36)"
    assert plain.type_spelling("DateTime", (), {"timezone": True}, "postgresql") == "TIMESTAMP WITH TIME ZONE"
    assert plain.type_spelling("DateTime", (), {}, "postgresql") == "TIMESTAMP WITHOUT TIME ZONE"
    assert plain.type_spelling("Boolean", (), {}, "mariadb") == "BOOL"
    assert plain.type_spelling("Numeric", (10, 2), {}, "mysql") == "NUMERIC(10, 2)"
    # dialects the table does not know are SQLAlchemy's to spell
    assert plain.type_spelling("Integer", (), {}, "mssql") is None
    assert plain.type_spelling("Integer", (), {}, "oracle") is None


@pytest.mark.parametrize("dialect", DIALECTS)
def test_each_function_default_is_rendered_as_sqlalchemy_renders_it(dialect: str) -> None:
    expressions = {"now": sa.func.now(), "current_timestamp": sa.func.current_timestamp(),
                   "current_date": sa.func.current_date(), "true": sa.true(), "false": sa.false()}
    for name, expr in expressions.items():
        assert plain.function_sql(name, dialect) == _render(expr, _dialect(dialect)), name
    assert plain.function_sql("gen_random_uuid", dialect) is None
    assert plain.function_sql("NOW", dialect) is None


def test_the_ansi_functions_are_sqlalchemys_own() -> None:
    """The migration reader writes `sa.func.current_date()` as SQLAlchemy's
    compiler does (its FUNCTIONS table, without a dialect of its own), in
    any case of the name."""
    from sqlalchemy.sql import functions
    from sqlalchemy.sql.compiler import FUNCTIONS

    ansi = {cls.__name__: spelled for cls, spelled in FUNCTIONS.items()
            if issubclass(cls, functions.AnsiFunction)}
    assert plain.ANSI_FUNCTIONS == ansi
    for name, spelled in plain.ANSI_FUNCTIONS.items():
        for written in (name, name.upper()):
            assert str(getattr(sa.func, written)().compile()) == spelled, written


@pytest.mark.parametrize("dialect", DIALECTS)
def test_annotation_types_are_sqlalchemys_default_type_map(dialect: str) -> None:
    python = {"int": int, "bool": bool, "str": str, "datetime.datetime": datetime.datetime,
              "datetime.date": datetime.date, "decimal.Decimal": decimal.Decimal}
    assert set(plain.ANNOTATION_TYPES) == set(python)
    for annotation, py in python.items():
        ours = plain.type_spelling(plain.ANNOTATION_TYPES[annotation], (), {}, dialect)
        if ours is not None:
            assert ours == compile_type(sqltypes._type_map[py], _dialect(dialect)), annotation


def test_names_are_sqlalchemys_only_under_its_own_modules() -> None:
    assert plain.type_name("sqlalchemy.String") == "String"
    assert plain.type_name("sqlalchemy.types.String") == "String"
    assert plain.type_name("sqlalchemy.sql.sqltypes.Integer") == "Integer"
    assert plain.type_name("app.types.String") is None
    assert plain.type_name("String") is None  # a name no import binds: left to the reader
    assert plain.type_name("sqlalchemy.dialects.postgresql.JSONB") is None
    assert plain.function_name("sqlalchemy.func.now") == "now"
    assert plain.function_name("sqlalchemy.sql.expression.func.current_date") == "current_date"
    assert plain.function_name("sqlalchemy.false") == "false"
    assert plain.function_name("sqlalchemy.text") is None
    assert plain.function_name("app.func.now") is None
    assert plain.text_name("sqlalchemy.sql.text") and not plain.text_name("app.text")


MODELS = '''\
import datetime
import decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Numeric


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id = sa.Column(sa.String(36), primary_key=True, default=lambda: "x")
    n = sa.Column(sa.Integer, server_default=sa.text("0"), default=5)
    big = sa.Column(sa.BigInteger(), default=7, onupdate=8)
    at = sa.Column(sa.DateTime(timezone=True), server_default=func.now(), onupdate=func.now())
    day = sa.Column(sa.Date, server_default=func.current_date())
    price = sa.Column(Numeric(10, 2), server_default="1.50")
    flag = sa.Column(sa.Boolean, server_default=sa.false(), default=True)
    on = sa.Column(sa.Boolean(), server_default=sa.true())
    label = sa.Column(sa.String(length=20), server_default=text("'it''s'"), default="it's")
    code = sa.Column(sa.String(8), default=text("'x' || 'y'"), onupdate=sa.text("upper(code)"))
    note = sa.Column(sa.Text, server_default=sa.text("(lower('X'))"), server_onupdate=sa.text("1"))
    stamp = sa.Column(sa.DateTime, server_default=sa.func.current_timestamp())
    ratio = sa.Column(sa.Float, default=0.5)


class Typed(Base):
    __tablename__ = "typed"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), server_default="anon")
    born: Mapped[Optional[datetime.date]]
    seen: Mapped[datetime.datetime] = mapped_column(server_default=func.now())
    ok: Mapped[bool] = mapped_column(default=False)
    amount: Mapped[decimal.Decimal]
    title: Mapped[str]
'''
# near misses that SQLAlchemy must spell: a type the table does not know,
# arguments that are not literals, a function it does not know
SQLALCHEMY_NEEDED = [
    "    e = sa.Column(sa.Enum('a', 'b', name='e'))\n",
    "    w = sa.Column(sa.String(WIDTH))\n",
    "    u = sa.Column(sa.String(36), server_default=func.gen_random_uuid())\n",
    "    s = sa.Column(sa.Integer, sa.Identity())\n",
    "    t = sa.Column(sa.Integer, server_default=sa.text(ONE))\n",
    "    m = sa.Column(sa.Integer, default=(1, 2))\n",
]


def _read(root: Path, dialect: str) -> tuple[object, list[object]]:
    return static_schema(["app.models:Base.metadata"], {}, [root], dialect, Location(root / "alembic.ini", 1, 1))


def _without_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLAlchemy spells everything, as before the table existed."""
    monkeypatch.setattr(plain, "ENABLED", False)


def _models(tmp_path: Path, text: str) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(text)
    return tmp_path


@pytest.mark.parametrize("dialect", DIALECTS)
def test_static_facts_are_the_same_with_and_without_the_table(dialect: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    extra = "".join(SQLALCHEMY_NEEDED).replace("    e =", "    id = sa.Column(sa.Integer, primary_key=True)\n    e =")
    root = _models(tmp_path, MODELS.replace("class Base", "WIDTH = 12\nONE = '1'\n\n\nclass Base")
                   + "\n\nclass Other(Base):\n    __tablename__ = 'other'\n" + extra)
    fast = _read(root, dialect)
    _without_table(monkeypatch)
    slow = _read(root, dialect)
    assert fast == slow
    schema, diagnostics = fast
    assert diagnostics == []
    orders = schema.tables["orders"].columns  # type: ignore[attr-defined]
    assert orders["at"].type == ("TIMESTAMP WITH TIME ZONE" if dialect == "postgresql" else "DATETIME")
    assert (orders["label"].server_default.kind.value, orders["label"].server_default.value) == ("constant", "it's")
    label = orders["label"].server_default.location
    assert (label.line, label.column) == (29, 60)


def test_the_common_models_are_read_without_importing_sqlalchemy(tmp_path: Path) -> None:
    root = _models(tmp_path, MODELS)
    probe = (
        "import json, sys\nfrom pathlib import Path\n"
        "from migration_audit.sources.model_ast import static_schema\n"
        "from migration_audit.facts import Location\n"
        "root = Path(sys.argv[1])\n"
        "schema, diagnostics = static_schema(['app.models:Base.metadata'], {}, [root], sys.argv[2],\n"
        "                                    Location(root / 'alembic.ini', 1, 1))\n"
        "print(json.dumps(['sqlalchemy' in sys.modules, sorted(schema.tables), len(diagnostics)]))\n"
    )
    for dialect in ("sqlite", "postgresql"):
        out = subprocess.run([sys.executable, "-P", "-c", probe, str(root), dialect], capture_output=True,
                             text=True, check=True).stdout
        assert json.loads(out) == [False, ["orders", "typed"], 0]
    # each near miss needs SQLAlchemy, and the reader imports it for that one column
    for line in SQLALCHEMY_NEEDED:
        (root / "app" / "models.py").write_text(
            MODELS.replace("class Base", "WIDTH = 12\nONE = '1'\n\n\nclass Base") + "\n\nclass Other(Base):\n"
            "    __tablename__ = 'other'\n    id = sa.Column(sa.Integer, primary_key=True)\n" + line)
        out = subprocess.run([sys.executable, "-P", "-c", probe, str(root), "sqlite"], capture_output=True,
                             text=True, check=True).stdout
        assert json.loads(out) == [True, ["orders", "other", "typed"], 0], line
    # a dialect the table does not know: SQLAlchemy spells every type
    (root / "app" / "models.py").write_text(MODELS)
    out = subprocess.run([sys.executable, "-P", "-c", probe, str(root), "mssql"], capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out) == [True, ["orders", "typed"], 0]


STATIC_FIXTURES = [p.name for p in sorted(FIXTURES.iterdir())
                   if (p / "alembic.ini").is_file() and p.name not in ("app_factory", "sqlmodel_app")]


@pytest.mark.parametrize("name", STATIC_FIXTURES)
def test_the_fixture_projects_read_the_same_with_and_without_the_table(name: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for project in load_projects(FIXTURES / name, Overrides()):
        if not project.metadata:
            continue
        search = list(dict.fromkeys(p.resolve() for p in [*project.sys_paths, *model_roots(project)]))
        fallback = Location(project.root / "alembic.ini", 1, 1)
        for dialect in DIALECTS:
            with monkeypatch.context() as m:
                fast = static_schema(project.metadata, project.import_modules, search, dialect, fallback)
                _without_table(m)
                slow = static_schema(project.metadata, project.import_modules, search, dialect, fallback)
            assert fast == slow, (name, dialect)
