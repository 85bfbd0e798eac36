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
