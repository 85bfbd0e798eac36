"""Layouts and patterns found in public Alembic projects (each was a crash, a
false alarm or a silent miss before)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ENV_PY, FIXTURES, Project, revision_file

from migration_audit.cli import main
from migration_audit.config import Overrides, UsageError, load_project, load_projects
from migration_audit.engine import audit

MODEL = '''\
import uuid
import sqlalchemy as sa
from {base} import Base


class Widget(Base):
    __tablename__ = "widgets"
    id = sa.Column(sa.String(36), primary_key=True, default=str(uuid.uuid4()))
'''
BASE = "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"


def test_models_registered_by_a_side_effect_import_in_env_py(project: Project) -> None:
    project.models(BASE, "app/base.py")
    project.models(MODEL.format(base="app.base"), "app/widgets.py")
    project.models("from app import widgets  # noqa: F401 registers the tables\n", "app/all_models.py")
    project.write("migrations/env.py", ENV_PY.format(
        imports="import app.all_models  # noqa\nfrom app.base import Base", target="Base.metadata"))
    assert project.findings(select=["MA101"]) == [("MA101", "widgets.id", "app/widgets.py", 8)]


def test_empty_metadata_while_migrations_create_tables_is_reported(project: Project) -> None:
    project.models(BASE, "app/base.py")
    project.write("migrations/env.py", ENV_PY.format(imports="from app.base import Base", target="Base.metadata"))
    project.revision("a1", None, "op.create_table('widgets', sa.Column('id', sa.Integer(), primary_key=True))")
    result = project.audit(models_load=False)
    [d] = [f for f in result.findings if f.code == "MA005"]
    assert d.message.startswith("the model metadata app.base:Base.metadata has no tables, while the migrations leave 1")
    assert "import-modules" in d.help
    # and configuring import-modules fixes it
    project.models(MODEL.format(base="app.base"), "app/widgets.py")
    project.write("pyproject.toml", '[tool.migration-audit]\nimport-modules = ["app.widgets"]\n')
    assert project.findings(select=["MA101"]) == [("MA101", "widgets.id", "app/widgets.py", 8)]


def test_import_error_of_uninstalled_package_points_at_env_py(project: Project) -> None:
    project.write("migrations/env.py", ENV_PY.format(imports="from notinstalled.models import Base",
                                                    target="Base.metadata"))
    result = project.audit(models_load=False)
    [d] = [f for f in result.findings if f.code == "MA002"]
    assert (d.location.path.name, d.location.line) == ("env.py", 2)
    assert "ModuleNotFoundError: No module named 'notinstalled' (looked in the project folders " in d.message
    assert d.help.startswith("install the project's dependencies into the Python that runs migration-audit")


def test_non_literal_branch_labels_are_tolerated(project: Project) -> None:
    project.revision("a1", None, "pass")
    project.write("migrations/versions/b2.py", revision_file("b2", "a1", "pass").replace(
        "branch_labels = None", "branch_labels = (cli.EXPAND_BRANCH,)"))
    project.revision("c3", "expand", "pass")  # refers to the label we could not read
    result = project.audit(select=["MA0"], models_load=False)
    assert [f.code for f in result.findings if f.code != "MA002"] == []


def test_labelled_branches_forking_from_one_base_are_intended(project: Project) -> None:
    project.revision("base1", None, "pass")
    for rev, label in (("exp2", "expand"), ("con3", "contract")):
        project.write(f"migrations/versions/{rev}.py", revision_file(rev, "base1", "pass").replace(
            "branch_labels = None", f"branch_labels = ({label!r},)"))
    project.revision("exp4", "exp2", "pass")
    result = project.audit(select=["MA004"], models_load=False)
    assert result.findings == []
    # an unlabelled fork on the same history still is one
    project.revision("oops5", "exp4", "pass")
    project.revision("oops6", "exp4", "pass")
    assert [(f.code, f.location.path.name) for f in project.audit(select=["MA004"], models_load=False).findings] == [
        ("MA004", "oops6.py")
    ]


UUID = "f6a16ff7-4a31-4e82-a8a1-3c4d5e6f7a8b"


def test_temporary_literal_default_for_existing_rows(project: Project) -> None:
    project.revision("a1", None, "op.create_table('logs', sa.Column('id', sa.Integer(), primary_key=True))")
    project.revision("b2", "a1", f"""
        op.add_column('logs', sa.Column('uuid', sa.String(36), nullable=False, server_default='{UUID}'))
        op.alter_column('logs', 'uuid', server_default=None)
        op.add_column('logs', sa.Column('key', sa.String(36), nullable=False, server_default='{UUID}'))
        op.create_unique_constraint('uq_logs_key', 'logs', ['key'])
        op.alter_column('logs', 'key', server_default=None)
        op.add_column('logs', sa.Column('ref', sa.String(36), unique=True, server_default='{UUID}'))
        op.alter_column('logs', 'ref', server_default=None)
    """)
    result = project.audit(select=["MA102"], models_load=False)
    # `uuid`: replaced in the same migration, non-key: silent. `key` becomes
    # unique later in the same migration, and `ref` is unique when the literal
    # lands: either way two existing rows collide.
    assert [(f.object, str(f.severity)) for f in result.findings] == [("logs.key", "error"), ("logs.ref", "error")]


def test_package_script_location(project: Project) -> None:
    project.write("src/pkg/__init__.py", "raise RuntimeError('must not be imported')\n")
    project.write("src/pkg/db/migrations/env.py", "target_metadata = None\n")
    (project.root / "src/pkg/db/migrations/versions").mkdir()
    project.write("alembic.ini", "[alembic]\nscript_location = pkg:db:migrations\nprepend_sys_path = src\n")
    p = load_project(project.root, Overrides())
    assert p.script_location == project.root / "src/pkg/db/migrations"
    project.write("alembic.ini", "[alembic]\nscript_location = pkg:db/migrations\nprepend_sys_path = src\n")
    assert load_project(project.root, Overrides()).script_location == project.root / "src/pkg/db/migrations"
    project.write("alembic.ini", "[alembic]\nscript_location = nopkg:migrations\n")
    with pytest.raises(UsageError, match="cannot find package 'nopkg'"):
        load_project(project.root, Overrides())


def test_named_sections(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("alembic.ini", "[core]\nscript_location = migrations\n\n[tenant]\nscript_location = tenant\n")
    project.write("tenant/env.py", "target_metadata = None\n")
    assert load_project(project.root, Overrides(name="tenant")).script_location == project.root / "tenant"
    assert main(["check", str(project.root), "--name", "tenant"]) == 1  # MA005 only
    out = capsys.readouterr().out
    assert out.startswith("tenant/env.py:1:1: MA005") and "migrations/env.py" not in out
    assert main(["check", str(project.root), "--name", "nope"]) == 2
    assert "no [nope] section; it has [core], [tenant]: pass --name core" in capsys.readouterr().err
    # without --name, every section that names a script directory is audited
    assert [p.section for p in load_projects(project.root, Overrides())] == ["core", "tenant"]
    # sections naming the same directory are read once
    project.write("alembic.ini", "[core]\nscript_location = tenant\n\n[tenant]\nscript_location = tenant\n")
    assert [p.section for p in load_projects(project.root, Overrides())] == ["core"]


def test_several_script_directories_have_their_own_revision_ids() -> None:
    """fixtures/projects/several_dirs: `[core]` (two version_locations) and
    `[tenant]` (`tenants:migrations`, a package folder) both start with
    revision 1a2b3c4d5e6f; that is no duplicate, and each chain is replayed
    on its own."""
    root = FIXTURES / "several_dirs"
    core, tenant = load_projects(root, Overrides())
    assert (core.section, tenant.section) == ("core", "tenant")
    assert core.version_locations == [root / "core" / "versions", root / "core" / "versions_extra"]
    assert tenant.script_location == root / "src" / "tenants" / "migrations"
    result = audit(root, Overrides(), [], [])
    assert [(s.project.section, s.facts.migrations.order) for s in result.sections] == [  # type: ignore[union-attr]
        ("core", ["1a2b3c4d5e6f", "7c8d9e0f1a2b"]), ("tenant", ["1a2b3c4d5e6f", "9f8e7d6c5b4a"])]
    assert result.summary() == {"files": 4, "revisions": 4, "tables": 0, "findings": 4}
    assert [f.code for f in result.findings if f.code == "MA003"] == []
    single = audit(root, Overrides(name="tenant"), [], [])
    assert [(f.code, f.object) for f in single.findings] == [("MA005", None), ("MA301", "projects.owner")]


def test_pending_needs_one_script_directory(capsys: pytest.CaptureFixture[str]) -> None:
    root = FIXTURES / "several_dirs"
    assert main(["check", str(root), "--pending", "--database-url", "sqlite://"]) == 2
    assert ("--pending: alembic.ini names several script directories ([core], [tenant]); pass --name with the "
            "one the database uses") in capsys.readouterr().err


def test_flask_migrate_layout(tmp_path: Path) -> None:
    root = tmp_path / "flaskapp"
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "migrations" / "alembic.ini").write_text("[alembic]\n# template used to generate migration files\n")
    (root / "migrations" / "env.py").write_text(
        "from flask import current_app\n"
        "target_metadata = current_app.extensions['migrate'].db.metadata\n"
    )
    (root / "migrations" / "versions" / "a1.py").write_text(revision_file("a1", None, "pass"))
    p = load_project(root, Overrides())
    assert p.script_location == root / "migrations"
    [d] = p.diagnostics
    assert d.code == "MA005" and (d.location.path.name, d.location.line) == ("env.py", 2)


def test_target_metadata_passed_inline(project: Project) -> None:
    project.write("migrations/env.py", (
        "from alembic import context\nfrom app.orm import get_metadata\n\n\ndef run():\n"
        "    context.configure(url='sqlite://', target_metadata=get_metadata())\n"
    ))
    # a call with no arguments is a metadata spec: `module:callable()`
    p = load_project(project.root, Overrides())
    assert (p.metadata, p.diagnostics) == (["app.orm:get_metadata()"], [])
    project.write("migrations/env.py", (
        "from alembic import context\nfrom app.orm import get_metadata\n\n\ndef run():\n"
        "    context.configure(url='sqlite://', target_metadata=get_metadata('main'))\n"
    ))
    [d] = load_project(project.root, Overrides()).diagnostics
    assert d.message.startswith("env.py sets target_metadata = get_metadata('main'), which cannot be resolved")
    assert (d.location.line, d.location.column) == (6, 56)


def test_duplicate_revision_names_both_paths(project: Project) -> None:
    project.write("alembic.ini", "[alembic]\nscript_location = migrations\nrecursive_version_locations = true\n")
    project.write("migrations/versions/sqlite/a1_x.py", revision_file("a1", None, "pass"))
    project.write("migrations/versions/postgresql/a1_x.py", revision_file("a1", None, "pass"))
    result = project.audit(select=["MA003"], models_load=False)
    assert [f.message for f in result.findings] == [
        "revision id a1 is defined twice: in versions/postgresql/a1_x.py and versions/sqlite/a1_x.py"
    ]


def test_multidb_template(project: Project) -> None:
    project.models(BASE, "app/base.py")
    project.models(MODEL.format(base="app.base"), "app/widgets.py")
    project.write("migrations/env.py", "from app.widgets import Base\n"
                                       "target_metadata = {'engine1': Base.metadata, 'engine2': Base.metadata}\n")
    project.revision("a1", None, """
        globals()[f"upgrade_{engine_name}"]()
    """, header="\n\ndef upgrade_engine1():\n    pass\n\n\ndef upgrade_engine2():\n"
                "    op.create_table('things', sa.Column('id', sa.String(36), primary_key=True,\n"
                "                    server_default='3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'))\n")
    assert load_project(project.root, Overrides()).metadata == ["app.widgets:Base.metadata"] * 2
    got = [(f.code, f.object) for f in project.audit(select=["MA101", "MA102"]).findings]
    assert sorted(got) == [("MA101", "widgets.id"), ("MA102", "things.id")]


def _copy_fixture(name: str, tmp_path: Path) -> Path:
    import shutil

    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


def test_flask_migrate_env_py_says_what_to_configure_and_runs_migration_rules(tmp_path: Path) -> None:
    root = _copy_fixture("flask_factory", tmp_path)
    (root / "pyproject.toml").unlink()
    result = audit(root, Overrides(), [], [])
    assert [(f.code, f.object, f.location.path.name, f.location.line) for f in result.findings] == [
        ("MA005", None, "env.py", 5), ("MA301", "coupons.redeemed", "8d2e4f6a1b3c_add_redeemed.py", 19)]
    d = result.findings[0]
    assert d.message == (
        "env.py takes target_metadata from the running Flask app (current_app.extensions[\"migrate\"].db.metadata), "
        "which exists only inside `flask db`; model rules did not run, only migration rules")
    assert d.help.startswith('name the Flask-SQLAlchemy object or the app factory: `metadata = "shop.models:db"` '
                             "(shop/models.py defines it) or `metadata = \"yourapp:create_app\"`")


@pytest.mark.parametrize("spec", ["shop:create_app", "shop.models:db", "shop.models:db.metadata", "shop.models:db.Model",
                                  "shop:create_app()"])
def test_metadata_spec_forms_for_flask(spec: str) -> None:
    result = audit(FIXTURES / "flask_factory", Overrides(metadata=[spec]), ["MA101"], [])
    assert [(f.code, f.object) for f in result.findings] == [("MA101", "coupons.code")], spec


def test_metadata_callable_returning_something_else(project: Project) -> None:
    project.models("def make():\n    return 42\n", "app/factory.py")
    result = project.audit(metadata=["app.factory:make"], models_load=False)
    [d] = [d for d in result.facts.diagnostics if d.code == "MA002" and "app.factory" in d.message]
    assert d.message.endswith("TypeError: app.factory:make returned an object of type int, not a MetaData, a declarative base, "
                              "a Flask-SQLAlchemy db or a Flask app that has one")


def _shown(result, root: Path) -> list[tuple[str, str | None, str, int, str]]:  # type: ignore[no-untyped-def]
    return [(f.code, f.object, f.location.shown_path(root), f.location.line, str(f.severity)) for f in result.findings]


def test_create_all_and_stamp_baseline_is_info_once_per_table() -> None:
    """fixtures/projects/stamp_baseline: the first revision is empty (the
    tables came from create_all + stamp); the chain only adds contacts.plan
    and sets contacts.score's default. teams and contacts are reported once,
    as info; only contacts.plan, which the chain defines, is drift."""
    root = FIXTURES / "stamp_baseline"
    result = audit(root, Overrides(), [], [])
    assert _shown(result, root) == [
        ("MA020", "teams", "crm/models.py", 11, "info"),
        ("MA020", "contacts", "crm/models.py", 17, "info"),
        ("MA201", "contacts.plan", "crm/models.py", 19, "warning"),
    ]
    assert result.findings[1].message == (
        "contacts: no migration creates this table; the migrations only alter it (plan, score), so it was made "
        "another way, such as `metadata.create_all()` followed by `alembic stamp`; only the columns they define are "
        "compared with the model")


def test_table_created_then_renamed_or_dropped_is_not_a_baseline_table(project: Project) -> None:
    project.models(BASE + "\n\nimport sqlalchemy as sa\n\n\nclass Team(Base):\n    __tablename__ = 'teams'\n"
                   "    id = sa.Column(sa.Integer, primary_key=True)\n", "app/models.py")
    project.write("migrations/env.py", ENV_PY.format(imports="from app.models import Base", target="Base.metadata"))
    project.revision("a1", None, "op.create_table('teams', sa.Column('id', sa.Integer(), primary_key=True))")
    assert project.findings(select=["MA020"]) == []
    project.revision("b2", "a1", "op.rename_table('teams', 'squads')")
    assert project.findings(select=["MA020"]) == []
    project.revision("c3", "b2", "op.create_table('other', sa.Column('id', sa.Integer(), primary_key=True))")
    (project.root / "migrations/versions/a1.py").write_text(revision_file("a1", None, "pass"))
    assert project.findings(select=["MA020"]) == [("MA020", "teams", "app/models.py", 13)]


def test_project_helper_calls_are_info_and_their_tables_are_not_guessed() -> None:
    """fixtures/projects/helper_calls: create_audited_table() and
    add_timestamps() from shop.migration_utils (which raises if imported).
    refunds.reason really differs ('other' / 'unknown'), but add_timestamps
    may change refunds: it is left out rather than guessed."""
    root = FIXTURES / "helper_calls"
    result = audit(root, Overrides(), [], [])
    assert _shown(result, root) == [
        ("MA021", "shop.migration_utils", "migrations/versions/1f2e3d4c5b6a_orders.py", 20, "info")]
    assert result.findings[0].message == (
        "revision 1f2e3d4c5b6a calls create_audited_table() and add_timestamps() (3 calls) from shop.migration_utils, "
        "which migration-audit does not import or read: what they do to the schema was not analysed; orders, refunds "
        "are left out of the drift comparison")


@pytest.mark.parametrize(("call", "reported"), [
    ("helpers.add_audit_columns('users')", True),  # import app.helpers as helpers
    ("add_audit_columns('users')", True),
    ("result = add_audit_columns('users')", False),  # called for its value: a settings or lookup function
    ("inspector.get_columns('users')", False),  # a local object
    ("logging.getLogger('x')", False),  # standard library
    ("sa.Table('users', sa.MetaData())", False),
    ("op.get_bind().execute(sa.text('SELECT 1'))", False),
    ("local_helper()", False),  # defined in the migration: read inline
    ("print('x')", False),
])
def test_which_calls_are_project_helpers(project: Project, call: str, reported: bool) -> None:
    header = ("\nimport logging\nimport app.helpers as helpers\nfrom app.helpers import add_audit_columns\n\n\n"
              "def local_helper():\n    pass\n")
    project.revision("a1", None, call, header=header)
    got = [f.object for f in project.audit(select=["MA021"], models_load=False).findings]
    assert got == (["app.helpers"] if reported else [])


def test_orm_classes_inside_migrations_are_not_models_but_a_frozen_backfill_is() -> None:
    """fixtures/projects/orm_in_migration: the ORM snapshot in revision
    2a3b4c5d6e7f has `default=datetime.utcnow()` and
    `default=secrets.token_hex(16)` and is silent; revision 3c4d5e6f7a8b writes
    one `str(uuid.uuid4())` into the unique public_id of every row (MA302),
    and one datetime.utcnow() into imported_at, which is no key (silent)."""
    root = FIXTURES / "orm_in_migration"
    result = audit(root, Overrides(), [], [])
    assert _shown(result, root) == [
        ("MA302", "orders.public_id", "migrations/versions/3c4d5e6f7a8b_import_batch.py", 23, "error")]
    assert result.findings[0].message.startswith(
        "orders.public_id (unique): migration 3c4d5e6f7a8b writes batch, computed once (it calls uuid.uuid4() one "
        "time), into every existing row")


@pytest.mark.parametrize(("body", "reported"), [
    ("t = sa.table('orders', sa.column('ref'))\nop.execute(t.update().values(ref=str(uuid.uuid4())))", True),
    ("op.execute(sa.table('orders', sa.column('ref')).update().values(ref='x'))", True),
    ("t = sa.table('orders', sa.column('ref'))\nop.execute(t.update().where(t.c.id == 1).values(ref='x'))", False),
    ("t = sa.table('orders', sa.column('ref'))\nop.execute(t.update().values(ref=sa.func.gen_random_uuid()))", False),
    ("t = sa.table('orders', sa.column('note'))\nop.execute(t.update().values(note=str(uuid.uuid4())))", False),
])
def test_update_values_backfill(project: Project, body: str, reported: bool) -> None:
    project.revision("a1", None, "op.create_table('orders', sa.Column('id', sa.Integer(), primary_key=True), "
                     "sa.Column('ref', sa.String(36), unique=True), sa.Column('note', sa.String(36)))")
    project.revision("b2", "a1", body, header="\nimport uuid\n")
    got = [f.object for f in project.audit(select=["MA302"], models_load=False).findings]
    assert got == (["orders.ref"] if reported else [])


def test_revision_ids_come_from_the_files_not_their_names() -> None:
    """fixtures/projects/revision_files: `2019_05_01_initial.py` is
    3e5c1a2b9d7f, `0002_contacts.py` is 0002, a dated template, a legacy
    file named by its id with no `revision =`, an `__init__.py` (skipped,
    as Alembic does) and `_helpers.py` (no revision: Alembic refuses the
    directory, MA001)."""
    root = FIXTURES / "revision_files"
    result = audit(root, Overrides(), [], [])
    assert result.facts.migrations.order == ["3e5c1a2b9d7f", "0002", "a1b2c3d4e5f6", "4f5e6d7c8b9a"]  # type: ignore[union-attr]
    assert _shown(result, root) == [("MA001", None, "migrations/versions/_helpers.py", 1, "error")]


def test_syntax_newer_than_this_python_names_the_construct(tmp_path: Path) -> None:
    import sys

    from migration_audit.sources.syntax import newer_syntax

    assert newer_syntax('    except ValueError, TypeError:') == (
        ("`except A, B:` without parentheses", "3.14") if sys.version_info < (3, 14) else None)
    assert newer_syntax('x = f"{d["k"]}"') == (
        ("an f-string that reuses its quote inside `{...}`", "3.12") if sys.version_info < (3, 12) else None)
    assert newer_syntax("type Rows = list[int]") == (
        ("the `type` statement", "3.12") if sys.version_info < (3, 12) else None)
    assert newer_syntax("def first[T](xs: list[T]) -> T:") == (
        ("a generic function (`def name[T](...)`)", "3.12") if sys.version_info < (3, 12) else None)
    assert newer_syntax("x = = 1") is None
    if sys.version_info >= (3, 14):
        return
    root = FIXTURES / "newer_syntax"
    result = audit(root, Overrides(), [], [])
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert [(f.code, f.location.shown_path(root), f.location.line, f.message) for f in result.findings] == [
        ("MA002", "crm/models.py", 15, "cannot load model metadata crm.models:Base.metadata: models.py uses a "
         f"template string (`t\"...\"`), syntax of Python 3.14, and this is Python {here}"),
        ("MA001", "migrations/versions/6b7c8d9e0f1a_contact_name.py", 19, "cannot read migration "
         f"6b7c8d9e0f1a_contact_name.py: it uses `except A, B:` without parentheses, syntax of Python 3.14, and this "
         f"is Python {here}"),
        ("MA301", "migrations/versions/7c8d9e0f1a2b_contact_email.py", 13, result.findings[2].message),
    ]
    # the unreadable revision keeps its place: its child is no orphan (no MA003)
    assert result.facts.migrations.order == ["5a6b7c8d9e0f", "6b7c8d9e0f1a", "7c8d9e0f1a2b"]  # type: ignore[union-attr]


def test_schema_qualified_tables_and_env_py_filters() -> None:
    """fixtures/projects/schemas_filters: billing.invoices drifts; users is
    `public.users` in the model and `users` in the chain (the same table);
    celery_* and the reporting schema are left out by exclude-tables and
    include-schemas, as env.py's include_object/include_name do."""
    root = FIXTURES / "schemas_filters"
    result = audit(root, Overrides(), [], [])
    assert _shown(result, root) == [
        ("MA201", "billing.invoices.status", "ledger/models.py", 20, "warning"),
        ("MA020", "settings", "ledger/models.py", 37, "info"),
    ]


def test_table_filter() -> None:
    from migration_audit.facts import TableFilter

    f = TableFilter(("celery_*", "audit.*", "spatial_ref_sys"), ("public", "billing"))
    assert [f.compares(n, s) for n, s in [
        ("celery_taskmeta", None), ("log", "audit"), ("spatial_ref_sys", "public"), ("users", None),
        ("users", "public"), ("invoices", "billing"), ("daily", "reporting")]] == [
        False, False, False, True, True, True, False]
    assert TableFilter().compares("anything", "any_schema")


def test_filter_settings_must_be_strings(project: Project) -> None:
    project.write("pyproject.toml", "[tool.migration-audit]\nexclude-tables = [1]\n")
    with pytest.raises(UsageError, match="exclude-tables must be a string or a list of strings"):
        load_project(project.root, Overrides())
    project.write("pyproject.toml", '[tool.migration-audit]\nexclude-tables = "celery_*"\ninclude-schemas = []\n')
    p = load_project(project.root, Overrides())
    assert (p.exclude_tables, p.include_schemas) == (["celery_*"], [])


def test_large_history_with_squashed_base_branches_and_merges(project: Project) -> None:
    """600 revisions: a squashed initial migration creating 40 tables, then
    a chain in which every 50th revision forks into two branches that the
    next one merges; one planted literal UUID server default and one model
    change, and nothing else."""
    import time

    tables = [f"t{i:02d}" for i in range(40)]
    cols = ", ".join(f"sa.Column('c{j}', sa.String(40), server_default='v{j}')" for j in range(5))
    squashed = "\n".join(f"op.create_table({t!r}, sa.Column('id', sa.Integer(), primary_key=True), {cols})"
                         for t in tables)
    project.revision("r0000", None, squashed, name="r0000_squashed_initial")
    prev = "r0000"
    n = 1
    while n < 600:
        rev = f"r{n:04d}"
        table = tables[n % 40]
        if n % 50 == 0:
            a, b, merge = f"{rev}a", f"{rev}b", f"{rev}m"
            project.revision(a, prev, f"op.add_column({table!r}, sa.Column('x{n}', sa.Integer()))")
            project.revision(b, prev, f"op.add_column({table!r}, sa.Column('y{n}', sa.Integer()))")
            project.revision(merge, (a, b), "pass")
            prev, n = merge, n + 3
            continue
        body = f"op.alter_column({table!r}, 'c{n % 5}', server_default='v{n % 5}')"
        if n == 457:
            body = f"op.alter_column({table!r}, 'c1', server_default='0b0c6f9e-3d1f-4c5e-9a3b-7f1e2d3c4b5a')"
        project.revision(rev, prev, body)
        prev, n = rev, n + 1
    model_cols = "\n".join(f"    c{j} = sa.Column(sa.String(40), server_default='v{j}')" for j in range(5))
    project.models(BASE + "\n\nimport sqlalchemy as sa\n\n" + "".join(
        f"\n\nclass T{t}(Base):\n    __tablename__ = {t!r}\n    id = sa.Column(sa.Integer, primary_key=True)\n"
        + model_cols.replace("server_default='v3'", "server_default='changed'" if t == "t07" else "server_default='v3'")
        + "\n" for t in tables), "app/models.py")
    started = time.perf_counter()
    result = project.audit(select=["MA0", "MA1", "MA2", "MA3"])
    took = time.perf_counter() - started
    history = result.facts.migrations
    assert history is not None and len(history.revisions) == 600 and len(history.heads) == 1
    # t17.c1: the literal UUID (MA102, in the migration) also differs from the model's 'v1' (MA201)
    assert [(f.code, f.object) for f in result.findings] == [
        ("MA201", "t07.c3"), ("MA201", "t17.c1"), ("MA102", "t17.c1")]
    assert took < 60, f"{took:.1f}s for 600 revisions"


# Reduced from false positives on public projects (see the README's
# "Tried on public projects").

def test_serial_column_added_in_raw_sql_numbers_existing_rows(project: Project) -> None:
    project.revision("a1", None, "op.create_table('links', sa.Column('case_id', sa.Integer(), nullable=False))")
    project.revision("b2", "a1", """
        op.execute("ALTER TABLE links ADD COLUMN id SERIAL PRIMARY KEY")
        op.execute("ALTER TABLE links ADD COLUMN seq BIGINT NOT NULL AUTO_INCREMENT")
        op.execute("ALTER TABLE links ADD COLUMN n INTEGER NOT NULL")
    """)
    got = [(f.code, f.object) for f in project.audit(select=["MA301"], models_load=False).findings]
    assert got == [("MA301", "links.n")]


def test_not_null_on_a_column_the_chain_never_defined_is_not_guessed(project: Project) -> None:
    """The table came from create_all + stamp: whether the column was
    nullable, or holds NULLs, is unknown."""
    project.revision("a1", None, "op.alter_column('members', 'user_id', existing_type=sa.Integer(), nullable=False)")
    assert project.audit(select=["MA301"], models_load=False).findings == []
    # a column the chain created nullable still is one
    project.revision("b2", "a1", "op.add_column('members', sa.Column('team_id', sa.Integer(), nullable=True))")
    project.revision("c3", "b2", "op.alter_column('members', 'team_id', nullable=False)")
    got = [(f.code, f.object) for f in project.audit(select=["MA301"], models_load=False).findings]
    assert got == [("MA301", "members.team_id")]


def test_package_script_location_puts_the_package_on_the_import_path(tmp_path: Path) -> None:
    """alembic.ini inside the package of a src layout, naming
    `pkg:database/revisions`: Alembic imports pkg, so the models can too."""
    root = tmp_path / "repo" / "src" / "pkg"
    (root / "database" / "revisions" / "versions").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "database" / "__init__.py").write_text("")
    (root / "models.py").write_text(MODEL.format(base="pkg.base"))
    (root / "base.py").write_text(BASE)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = pkg:database/revisions\n")
    (root / "database" / "revisions" / "env.py").write_text(
        ENV_PY.format(imports="from pkg.models import Base", target="Base.metadata"))
    p = load_project(root, Overrides())
    assert p.sys_paths == [root, tmp_path / "repo" / "src"]
    result = audit(root, Overrides(), ["MA101"], [])
    assert [(f.code, f.object) for f in result.findings] == [("MA101", "widgets.id")]


def test_revisions_in_unread_subfolders_are_reported(project: Project) -> None:
    """One folder per release, added to version_locations by the project's
    own command line at run time: say so, and read them when configured."""
    project.revision("base1", None, "pass")
    for folder, rev, down in (("2024.1/expand", "e1", "base1"), ("2024.1/contract", "c1", "base1"),
                              ("2024.2/expand", "e2", "e1")):
        project.write(f"migrations/versions/{folder}/{rev}_x.py", revision_file(rev, down, "pass"))
    project.write("migrations/versions/helpers/util.py", "def f():\n    pass\n")  # not a revision
    result = project.audit(select=["MA0"], models_load=False)
    [d] = [f for f in result.findings if f.code == "MA022"]
    assert d.message == (
        "3 revision files in subfolders of the version location (2024.1/contract, 2024.1/expand, 2024.2/expand) were "
        "not read: Alembic reads subfolders only with recursive_version_locations = true, or when version_locations "
        "names them")
    assert d.location.shown_path(project.root) == "migrations/versions/2024.1/contract/c1_x.py"
    project.write("pyproject.toml", "[tool.migration-audit]\nrecursive-version-locations = true\n")
    result = project.audit(select=["MA0"], models_load=False)
    assert sorted(result.facts.migrations.revisions) == ["base1", "c1", "e1", "e2"]  # type: ignore[union-attr]
    assert [f.code for f in result.findings if f.code == "MA022"] == []
    project.write("pyproject.toml", "[tool.migration-audit]\nrecursive-version-locations = 1\n")
    with pytest.raises(UsageError, match="recursive-version-locations must be true or false"):
        load_project(project.root, Overrides())


@pytest.mark.parametrize(("model_default", "migration_default", "reported"), [
    ('default=""', 'server_default=""', False),  # added to fill existing rows: the same value for every writer
    ("default=Method.PASSWORD", 'server_default="PASSWORD"', False),  # an Enum stores the member's name
    ("default=Method.PASSWORD", 'server_default="LDAP"', True),
    ('default="x"', 'server_default=""', True),
    ("", 'server_default=""', True),
])
def test_server_default_that_fills_rows_with_the_models_own_default(
        project: Project, model_default: str, migration_default: str, reported: bool) -> None:
    """Reduced from mealie: `add_column(..., nullable=False, server_default="")`
    with the model's `default=""`."""
    project.models(BASE + "\n\nimport enum\n\nimport sqlalchemy as sa\n\n\nclass Method(enum.Enum):\n"
                   "    PASSWORD = 'password'\n    LDAP = 'ldap'\n\n\nclass User(Base):\n    __tablename__ = 'users'\n"
                   "    id = sa.Column(sa.Integer, primary_key=True)\n"
                   f"    note = sa.Column(sa.String(20), nullable=False, {model_default})\n", "app/models.py")
    project.write("migrations/env.py", ENV_PY.format(imports="from app.models import Base", target="Base.metadata"))
    project.revision("a1", None, "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))")
    project.revision("b2", "a1", f"op.add_column('users', sa.Column('note', sa.String(20), nullable=False, "
                                 f"{migration_default}))")
    assert [f.object for f in project.audit(select=["MA201"]).findings] == (["users.note"] if reported else [])


def test_no_alembic_ini_at_the_root_names_what_was_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Alembic configured in code (warehouse), or alembic.ini inside the
    package (dispatch, neutron): the error says where to point the audit."""
    root = tmp_path / "repo"
    (root / "src" / "app" / "migrations" / "versions").mkdir(parents=True)
    (root / "src" / "app" / "migrations" / "env.py").write_text("target_metadata = None\n")
    (root / "node_modules" / "x" / "migrations" / "versions").mkdir(parents=True)
    (root / "node_modules" / "x" / "migrations" / "env.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "repo"]) == 2
    assert capsys.readouterr().err.rstrip().endswith(
        "pass --script-location; found repo/src/app/migrations (pass `repo --script-location repo/src/app/migrations`)")
    (root / "src" / "app" / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    assert main(["check", "repo"]) == 2
    assert capsys.readouterr().err.rstrip().endswith(
        "found repo/src/app/alembic.ini (pass its path), repo/src/app/migrations (pass `repo --script-location "
        "repo/src/app/migrations`)")
    assert main(["check", "repo/src/app/alembic.ini"]) == 1  # MA005 only


def test_import_errors_left_behind_by_a_missing_dependency_are_not_reported_again(project: Project) -> None:
    """Reduced from dispatch: the first import fails on a missing dependency;
    the next one then fails on the partially initialized module it left."""
    project.models("import notinstalled_dep\n", "app/config.py")
    project.models("raise ImportError(\"cannot import name 'LEVEL' from partially initialized module 'app.config'\")\n",
                   "app/logs.py")
    project.models(BASE, "app/base.py")
    project.write("migrations/env.py", ENV_PY.format(
        imports="import app.config\nimport app.logs\nfrom app.base import Base", target="Base.metadata"))
    result = project.audit(models_load=False)
    assert [d.message.split(" (looked")[0] for d in result.facts.diagnostics if d.code == "MA002"] == [
        "cannot import app.config: ModuleNotFoundError: No module named 'notinstalled_dep'"]
    # on its own, such an ImportError is reported
    project.write("app/config.py", "\n")
    result = project.audit(models_load=False)
    assert [d.message for d in result.facts.diagnostics if d.code == "MA002"] == [
        "cannot import app.logs: ImportError: cannot import name 'LEVEL' from partially initialized module 'app.config'"]
