"""The revision cache: a revision read once is not parsed again, a changed
file is, and a tampered cache file can run no code."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from conftest import Project

from migration_audit import cache
from migration_audit.facts import Diagnostic
from migration_audit.sources import migrations as migrations_source
from migration_audit.sources import pyexpr
from migration_audit.sources.migrations import read_history


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MIGRATION_AUDIT_CACHE_DIR", str(folder))
    monkeypatch.delenv("MIGRATION_AUDIT_NO_CACHE", raising=False)
    return folder


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files parsed from now on."""
    names: list[str] = []
    real = pyexpr.parse_source

    def counting(path: Path, data: bytes) -> pyexpr.SourceFile:
        names.append(path.name)
        return real(path, data)

    monkeypatch.setattr(migrations_source, "parse_source", counting)
    monkeypatch.setattr(pyexpr, "parse_source", counting)
    return names


def _chain(project: Project) -> None:
    project.revision("a1", None, """
        op.create_table('t', sa.Column('id', sa.Integer(), primary_key=True),
                        sa.Column('status', sa.String(), server_default='new'),
                        sa.Column('token', sa.String(36), server_default='6f1c1f0e-6a43-4c3b-9a57-2f0f3a3e2b1c'))
    """)
    project.revision("b2", "a1", """
        op.alter_column('t', 'status', server_default='active', existing_type=sa.String())
        op.alter_column('t', 'token', nullable=False)
    """)


def _read(project: Project) -> tuple[object, list[tuple[str, str, int]]]:
    diags: list[Diagnostic] = []
    h = read_history(project.root / "migrations", [project.root / "migrations/versions"], False, diags)
    return h, [(d.code, d.location.path.name, d.location.line) for d in diags]


def test_second_read_parses_nothing_and_gives_the_same_facts(project: Project, cache_dir: Path,
                                                              parsed: list[str]) -> None:
    _chain(project)
    project.revision("c3", "b2", "op.execute(f'UPDATE t SET status = {x}')")
    first, first_diags = _read(project)
    assert sorted(parsed) == ["a1.py", "b2.py", "c3.py"]
    assert len(list(cache_dir.iterdir())) == 1
    parsed.clear()
    second, second_diags = _read(project)
    assert parsed == []
    assert second_diags == first_diags
    assert second.head_schema == first.head_schema  # type: ignore[attr-defined]
    assert second.server_defaults_set == first.server_defaults_set  # type: ignore[attr-defined]
    # "not given" in alter_column survives the round trip as the same object:
    # b2's `nullable=False` alone left the server default it had.
    t = second.head_schema.tables["t"]  # type: ignore[attr-defined]
    assert t.columns["status"].server_default.value == "active"
    assert t.columns["token"].server_default.value == "6f1c1f0e-6a43-4c3b-9a57-2f0f3a3e2b1c"
    assert t.columns["token"].nullable is False


def test_a_changed_file_is_parsed_again(project: Project, cache_dir: Path, parsed: list[str]) -> None:
    _chain(project)
    _read(project)
    parsed.clear()
    path = project.root / "migrations/versions/b2.py"
    path.write_text(path.read_text().replace("'active'", "'archived'"))
    h, _ = _read(project)
    assert parsed == ["b2.py"]
    assert h.head_schema.tables["t"].columns["status"].server_default.value == "archived"  # type: ignore[attr-defined]


def test_audit_findings_are_the_same_from_the_cache(project: Project, cache_dir: Path) -> None:
    project.models("""
        import sqlalchemy as sa
        from sqlalchemy.orm import DeclarativeBase

        class Base(DeclarativeBase):
            pass

        class T(Base):
            __tablename__ = "t"
            id = sa.Column(sa.Integer, primary_key=True)
            status = sa.Column(sa.String, server_default="new")
            token = sa.Column(sa.String(36), nullable=False, server_default="6f1c1f0e-6a43-4c3b-9a57-2f0f3a3e2b1c")
    """)
    _chain(project)
    first = project.findings()
    assert first == [
        ("MA201", "t.status", "app/models.py", 11),
        ("MA102", "t.token", "app/models.py", 12),
        ("MA102", "t.token", "migrations/versions/a1.py", 20),
        ("MA301", "t.token", "migrations/versions/b2.py", 19),
    ]
    assert project.findings() == first


def test_a_tampered_cache_file_runs_no_code(project: Project, cache_dir: Path, tmp_path: Path) -> None:
    _chain(project)
    _read(project)
    [cache_file] = cache_dir.iterdir()
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return os.system, (f"touch {marker}",)

    fingerprint, entries = pickle.loads(cache_file.read_bytes())
    key = str(project.root / "migrations/versions/a1.py")
    digest, _ = entries[key]
    entries[key] = (digest, pickle.dumps(Evil()))
    cache_file.write_bytes(pickle.dumps((fingerprint, entries)))
    h, diags = _read(project)
    assert not marker.exists()
    assert diags == []
    assert h.head_schema.tables["t"].columns["status"].server_default.value == "active"  # type: ignore[attr-defined]
    # And a whole cache file that is not ours is just an empty cache.
    cache_file.write_bytes(pickle.dumps(Evil()))
    h, _ = _read(project)
    assert not marker.exists() and "t" in h.head_schema.tables  # type: ignore[attr-defined]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_cache_file_that_is_a_device_or_huge_is_not_read(project: Project, cache_dir: Path, parsed: list[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from migration_audit import cache

    _chain(project)
    _read(project)
    [cache_file] = cache_dir.iterdir()
    cache_file.unlink()
    cache_file.symlink_to("/dev/zero")  # read whole, it would fill the memory
    parsed.clear()
    h, diags = _read(project)
    assert diags == [] and "t" in h.head_schema.tables and sorted(parsed) == ["a1.py", "b2.py"]  # type: ignore[attr-defined]
    cache_file.unlink()
    _read(project)  # a real cache file again
    parsed.clear()
    _read(project)
    assert parsed == []  # read from it
    monkeypatch.setattr(cache, "MAX_CACHE_BYTES", 10)
    _read(project)
    assert sorted(parsed) == ["a1.py", "b2.py"]  # too big: not read


def test_no_cache_and_an_unwritable_folder(project: Project, cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                           parsed: list[str]) -> None:
    _chain(project)
    monkeypatch.setenv("MIGRATION_AUDIT_NO_CACHE", "1")
    _read(project)
    _read(project)
    assert not cache_dir.exists() and len(parsed) == 4
    monkeypatch.delenv("MIGRATION_AUDIT_NO_CACHE")
    cache_dir.write_text("a file where the folder should be")
    h, diags = _read(project)
    assert diags == [] and "t" in h.head_schema.tables  # type: ignore[attr-defined]


def test_the_code_fingerprint_names_the_reader() -> None:
    assert cache.code_fingerprint() == cache.code_fingerprint()
    assert len(cache.code_fingerprint()) == 64
