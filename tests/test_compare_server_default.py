"""migration_audit.compare_server_default inside Alembic's own comparison, on real databases:
spelling-only differences are no diff, a real change is exactly one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from migration_audit import compare_server_default

# (name, type, spelling in the database, spelling in the model)
FORMS = [
    ("s_plain", sa.String(20), "abc", sa.text("'abc'")),
    ("s_quote", sa.String(20), "it's", "it's"),
    ("s_empty", sa.String(20), "", sa.text("''")),
    ("i_zero", sa.Integer(), "0", sa.text("0")),
    ("n_scale", sa.Numeric(10, 2), sa.text("1.50"), sa.text("1.5")),
    ("t_now", sa.DateTime(), sa.text("now()"), sa.func.now()),
    ("t_current", sa.DateTime(), sa.func.current_timestamp(), sa.func.now()),
    ("f_random", sa.Float(), sa.func.random(), sa.text("(random())")),
    ("b_true", sa.Boolean(), sa.true(), sa.text("true")),
    ("b_false", sa.Boolean(), sa.text("false"), sa.false()),
]
PG_ONLY = [
    ("j_empty", sa.dialects.postgresql.JSONB(), sa.text("'{}'::jsonb"), sa.text("'{}'")),
    ("u_gen", sa.Uuid(), sa.text("gen_random_uuid()"), sa.func.gen_random_uuid()),
    ("a_empty", sa.dialects.postgresql.ARRAY(sa.Text()), sa.text("'{}'::text[]"), sa.text("'{}'")),
]


def _tables(forms: list, side: int, changed: str | None = None) -> sa.MetaData:  # type: ignore[type-arg]
    md = sa.MetaData()
    cols = []
    for name, type_, in_db, in_model in forms:
        value = in_db if side == 0 else in_model
        if name == changed:
            value = "abd"
        cols.append(sa.Column(name, type_, server_default=value))
    sa.Table("defaults", md, sa.Column("id", sa.Integer, primary_key=True), *cols)
    return md


def _diffs(url: object, forms: list, changed: str | None = None) -> list:  # type: ignore[type-arg]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            _tables(forms, 0).create_all(conn)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_server_default": compare_server_default,
                                                         "compare_type": False})
            return [d for d in compare_metadata(ctx, _tables(forms, 1, changed))]
    finally:
        engine.dispose()


def _modified(diffs: list) -> list[str]:  # type: ignore[type-arg]
    out = []
    for d in diffs:
        for item in (d if isinstance(d, list) else [d]):
            if item[0] == "modify_default":
                out.append(item[3])
    return out


@pytest.mark.parametrize("changed", [None, "s_plain", "t_now", "b_true"])
def test_postgresql(pg_url: object, changed: str | None) -> None:
    diffs = _diffs(pg_url, FORMS + PG_ONLY, changed)
    assert _modified(diffs) == ([changed] if changed else [])


def test_mariadb(mysql_url: object) -> None:
    forms = [f for f in FORMS if f[0] not in ("f_random", "t_now", "t_current")] + [
        ("t_mysql", sa.DateTime(), sa.text("CURRENT_TIMESTAMP"), sa.func.now()),
    ]
    assert _modified(_diffs(mysql_url, forms)) == []
    assert _modified(_diffs(mysql_url, forms, "s_plain")) == ["s_plain"]


def test_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    forms = [f for f in FORMS if f[0] not in ("f_random",)]
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert _modified(_diffs(url, forms)) == []
    assert _modified(_diffs(f"sqlite:///{tmp_path / 'y.db'}", forms, "i_zero")) == ["i_zero"]


def test_autogenerate_plugin_comparator(pg_url: object) -> None:
    import alembic

    if tuple(int(x) for x in alembic.__version__.split(".")[:2]) < (1, 18):
        pytest.skip(f"autogenerate plugins arrived in Alembic 1.18; this is {alembic.__version__}")
    forms = FORMS + PG_ONLY
    engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            _tables(forms, 0).create_all(conn)
        for changed in (None, "s_quote"):
            with engine.connect() as conn:
                ctx = MigrationContext.configure(conn, opts={
                    "compare_server_default": True, "compare_type": False,
                    "autogenerate_plugins": ["alembic.autogenerate.*", "migration_audit"],
                })
                diffs = compare_metadata(ctx, _tables(forms, 1, changed))
            assert _modified(diffs) == ([changed] if changed else [])
    finally:
        engine.dispose()
