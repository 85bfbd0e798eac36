"""Static reading of migration files: identifiers, graph, replay."""

from __future__ import annotations

from pathlib import Path

from conftest import Project, revision_file

from migration_audit.facts import DefaultKind, Diagnostic
from migration_audit.sources.migrations import read_history


def history(project: Project):
    diags: list[Diagnostic] = []
    h = read_history(project.root / "migrations", [project.root / "migrations/versions"], False, diags)
    return h, [(d.code, d.location.path.name, d.location.line) for d in diags], diags


def test_replay_autogenerate_spellings(project: Project) -> None:
    project.revision("a1", None, """
        op.create_table('users',
        sa.Column('id', sa.Integer(), sa.Identity(always=False, start=5), nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False),
        sa.Column('created', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=True),
        sa.Column('flag', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('total', sa.Numeric(), sa.Computed('price * 2', persisted=True)),
        sa.Column('at', sa.DateTime(), server_default=sa.func.now()),
        sa.Column('lit', sa.String(), server_default=sa.literal('z')),
        sa.Column('fetched', sa.Integer(), server_default=sa.FetchedValue()),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('email', name='uq_users_email')
        )
    """)
    h, diags, _ = history(project)
    assert diags == []
    users = h.head_schema.tables["users"]
    cols = users.columns
    assert users.primary_key == ("id",)
    assert cols["id"].server_default.kind is DefaultKind.IDENTITY
    assert cols["created"].server_default.sql == "(CURRENT_TIMESTAMP)"
    assert cols["flag"].server_default.sql == "false"
    assert cols["total"].server_default.kind is DefaultKind.COMPUTED
    assert cols["at"].server_default.sql == "now()"
    assert cols["lit"].server_default.value == "z"
    assert cols["fetched"].server_default.kind is DefaultKind.FETCHED
    assert users.is_key_column("email") and users.is_key_column("id") and not users.is_key_column("created")
    # located at the server_default= value
    lines = (project.root / "migrations/versions/a1.py").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "'created'" in text)
    assert cols["created"].server_default.location.line == line
    assert cols["created"].server_default.location.column == lines[line - 1].index("sa.text(") + 1


def test_replay_alter_add_drop_rename_batch(project: Project) -> None:
    project.revision("a1", None, """
        op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True),
                        sa.Column('status', sa.String(), server_default='new'))
    """)
    project.revision("b2", "a1", """
        op.add_column('t', sa.Column('token', sa.String(32), nullable=True))
        op.alter_column('t', 'status', server_default='active', existing_type=sa.String())
        op.create_unique_constraint('uq_t_token', 't', ['token'])
        with op.batch_alter_table('t', schema=None) as batch_op:
            batch_op.alter_column('token', new_column_name='api_token')
            batch_op.add_column(sa.Column('score', sa.Integer(), server_default=sa.text('0'), nullable=False))
            batch_op.drop_column('status')
    """)
    project.revision("c3", "b2", """
        op.rename_table('t', 'things')
        op.create_index(op.f('ix_things_score'), 'things', ['score'], unique=True)
        op.drop_constraint('uq_t_token', 'things', type_='unique')
    """)
    h, diags, _ = history(project)
    assert diags == []
    assert h.order == ["a1", "b2", "c3"] and h.heads == ("c3",)
    assert set(h.head_schema.tables) == {"things"}
    things = h.head_schema.tables["things"]
    assert list(things.columns) == ["id", "api_token", "score"]
    assert things.columns["score"].server_default.sql == "0"
    assert things.is_key_column("score")  # unique index
    assert not things.is_key_column("api_token")  # its unique constraint was dropped
    assert [(e.revision, e.column, e.value.sql) for e in h.server_defaults_set] == [
        ("a1", "status", "'new'"), ("b2", "status", "'active'"), ("b2", "score", "0"),
    ]


def test_alter_column_server_default_none_drops_and_false_keeps(project: Project) -> None:
    project.revision("a1", None, """
        op.create_table('t', sa.Column('a', sa.String(), server_default='x'),
                        sa.Column('b', sa.String(), server_default='y'))
        op.alter_column('t', 'a', server_default=None)
        op.alter_column('t', 'b', server_default=False, nullable=False)
    """)
    h, _, _ = history(project)
    cols = h.head_schema.tables["t"].columns
    assert cols["a"].server_default is None
    assert cols["b"].server_default.value == "y" and cols["b"].nullable is False


def test_replay_changes_copies_never_the_operations_columns(project: Project) -> None:
    """The schema at head shares each created column with its operation
    until the chain changes it: the change goes to a copy, and the
    operation keeps the facts its revision wrote (MA301 and MA204 read them)."""
    project.revision("a1", None, """
        op.create_table('t', sa.Column('id', sa.Integer(), nullable=True),
                        sa.Column('status', sa.String(), server_default='new', nullable=True))
        op.add_column('t', sa.Column('note', sa.String(), nullable=True))
    """)
    project.revision("b2", "a1", """
        op.alter_column('t', 'status', server_default='active', nullable=False, new_column_name='state')
        op.alter_column('t', 'note', nullable=False)
        op.create_primary_key('pk_t', 't', ['id'])
    """)
    h, diags, _ = history(project)
    assert diags == []
    cols = h.head_schema.tables["t"].columns
    assert [(c.name, c.nullable, c.primary_key, c.server_default.sql if c.server_default else None)
            for c in cols.values()] == [("id", False, True, None), ("note", False, False, None),
                                        ("state", False, False, "'active'")]
    create, add = h.revisions["a1"].ops
    assert [(c.name, c.nullable, c.primary_key, c.server_default.sql if c.server_default else None)
            for c in create.columns] == [("id", True, False, None), ("status", True, False, "'new'")]
    assert (add.column.name, add.column.nullable) == ("note", True)
    assert cols["id"] is not create.columns[0] and cols["note"] is not add.column


def test_execute_sql_is_replayed_with_line_numbers(project: Project) -> None:
    path = project.revision("a1", None, '''
        op.create_table('t', sa.Column('id', sa.String(36), primary_key=True))
        op.execute("""
            ALTER TABLE t
                ALTER COLUMN id SET DEFAULT '3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f'
        """)
        op.execute(sa.text("ALTER TABLE t ADD COLUMN note TEXT DEFAULT 'n/a'"))
    ''')
    h, diags, _ = history(project)
    assert diags == []
    cols = h.head_schema.tables["t"].columns
    assert cols["id"].server_default.value == "3f2a9c1b-7d4e-4c2a-9b1f-0e8d6c5a4b3f"
    assert cols["note"].server_default.value == "n/a"
    lines = path.read_text().splitlines()
    loc = cols["id"].server_default.location
    assert lines[loc.line - 1][loc.column - 1:].startswith("'3f2a9c1b")


def test_helpers_conditionals_and_unreadable_calls(project: Project) -> None:
    project.revision("a1", None, """
        _create()
        if True:
            op.add_column('t', sa.Column('flag', sa.Boolean(), server_default='0'))
        op.execute(some_sql_built_at_runtime())
        op.add_column(TABLE_NAME, sa.Column('x', sa.Integer()))
    """, header="\n\ndef _create():\n    op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))\n")
    h, diags, _ = history(project)
    assert diags == []
    assert list(h.head_schema.tables["t"].columns) == ["id", "flag"]
    assert h.revisions["a1"].ops[-3].what.startswith("execute() of SQL built at run time")
    assert h.revisions["a1"].ops[-2].what == "execute(some_sql_built_at_runtime())"  # may write rows
    assert h.revisions["a1"].ops[-1].what == "add_column on a computed table name"


def test_graph_merge_branch_labels_depends_on(project: Project) -> None:
    project.revision("base1", None, "op.create_table('a', sa.Column('id', sa.Integer()))")
    project.revision("left2", "base1", "pass")
    project.revision("right3", "base1", "pass")
    project.revision("merge4", ("left2", "right3"), "pass")
    project.write("migrations/versions/other5.py", revision_file("other5", None, "pass").replace(
        "branch_labels = None", "branch_labels = ('other',)").replace("depends_on = None", "depends_on = 'merge4'"))
    project.revision("other6", "other", "pass")  # down_revision given as a branch label
    h, diags, _ = history(project)
    assert diags == []
    assert set(h.heads) == {"merge4", "other6"}  # two labelled branches, not an unmerged fork
    assert h.order.index("base1") < h.order.index("left2") < h.order.index("merge4")
    assert h.order.index("merge4") < h.order.index("other5") < h.order.index("other6")


def test_graph_problems_are_located_findings(project: Project) -> None:
    project.revision("a1", None, "pass")
    project.revision("b2", "a1", "pass")
    project.revision("c3", "a1", "pass")  # second head
    project.revision("d4", "nowhere", "pass", name="d4_missing_parent")
    project.revision("a1", None, "pass", name="dup_a1")
    project.revision("e5", "f6", "pass")
    project.revision("f6", "e5", "pass")  # cycle
    _, diags, full = history(project)
    assert sorted(diags) == [
        ("MA003", "d4_missing_parent.py", 11),
        ("MA003", "dup_a1.py", 11),
        ("MA003", "e5.py", 11),
        ("MA004", "c3.py", 11),
    ]
    [heads] = [d for d in full if d.code == "MA004"]
    assert heads.message.startswith("the migration chain has 2 heads that no branch label tells apart: b2, c3;")
    cycle = next(d for d in full if "cycle" in d.message)
    assert cycle.message == "revisions e5, f6 form a cycle through down_revision/depends_on"


def test_unreadable_files_are_findings_and_the_rest_still_runs(project: Project) -> None:
    project.revision("a1", None, "op.create_table('ok', sa.Column('id', sa.Integer()))")
    v = project.root / "migrations/versions"
    (v / "bad_syntax.py").write_text("revision = 'x'\ndef upgrade(:\n")
    (v / "nul.py").write_bytes(b"revision = 'y'\n\x00\n")
    # a Latin-1 byte in a string: Python refuses the module (in a comment it
    # would not: it compiles modules from their bytes)
    (v / "latin.py").write_bytes(b"revision = 'z'\nnote = 'caf\xe9'\n")
    (v / "latin_comment.py").write_bytes(b"revision = 'w'\ndown_revision = 'a1'\n# caf\xe9\n")
    (v / "computed.py").write_text("revision = make_id()\ndown_revision = None\n")
    (v / "no_revision.py").write_text("def upgrade():\n    pass\n")
    (v / "__init__.py").write_text("")
    (v / "notes.txt").write_text("not python")
    h, diags, full = history(project)
    assert sorted(diags) == [
        ("MA001", "bad_syntax.py", 2),
        ("MA001", "computed.py", 1),
        ("MA001", "latin.py", 2),
        ("MA001", "no_revision.py", 1),
        ("MA001", "nul.py", 2),
    ]
    assert "syntax error" in next(d.message for d in full if d.location.path.name == "bad_syntax.py")
    assert "not valid utf-8: byte 0xe9" in next(d.message for d in full if d.location.path.name == "latin.py")
    assert "ok" in h.head_schema.tables
    assert set(h.revisions) == {"a1", "w"}


def test_legacy_revision_from_file_name(project: Project) -> None:
    project.write("migrations/versions/abc123.py", "down_revision = None\ndef upgrade():\n    pass\n")
    h, diags, _ = history(project)
    assert diags == [] and list(h.revisions) == ["abc123"]


def test_revision_file_never_executed(project: Project, tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    project.revision("a1", None, "pass", header=f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit(3)")
    h, diags, _ = history(project)
    assert diags == [] and list(h.revisions) == ["a1"]
    assert not marker.exists()


def test_source_of_matches_ast_get_source_segment(tmp_path: Path) -> None:
    import ast

    from conftest import FIXTURES
    from migration_audit.sources.pyexpr import parse_file

    sample = tmp_path / "u.py"
    sample.write_text('x = {"é": ("ü",\n   f"{1}ß")}\r\ny = """a\nb"""  # ω\rz = 3\x0c\n', encoding="utf-8")
    files = [sample, *sorted((FIXTURES / "incident" / "migrations" / "versions").glob("*.py"))]
    for path in files:
        src = parse_file(path)
        for node in ast.walk(src.tree):
            if hasattr(node, "end_col_offset") and node.end_col_offset is not None:
                assert src.source_of(node) == ast.get_source_segment(src.text, node), (path, ast.dump(node))


def test_large_generated_migration_is_read_completely(project: Project) -> None:
    body = "op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True))\n" + "\n".join(
        f"op.add_column('t', sa.Column('c{i}', sa.String(50), server_default='v{i}'))" for i in range(5000)
    )
    project.revision("a1", None, body)
    h, diags, _ = history(project)
    cols = h.head_schema.tables["t"].columns
    assert diags == [] and len(cols) == 5001
    assert cols["c4999"].server_default.value == "v4999"
    assert cols["c4999"].server_default.location.line == 5018
