"""The pytest plugin, run through pytester on the sample projects."""

from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURES


def _copy(pytester: pytest.Pytester, name: str) -> None:
    shutil.copytree(FIXTURES / name, pytester.path, dirs_exist_ok=True)


def test_fixture_fails_with_the_finding(pytester: pytest.Pytester) -> None:
    _copy(pytester, "incident")
    pytester.makepyfile(test_models="def test_models(migration_audit):\n    migration_audit.assert_clean()\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*migration-audit: 1 finding in*",
                                 "*app/models.py:25:61: MA101 *users.id (primary key)*"])


def test_fixture_passes_on_the_clean_project(pytester: pytest.Pytester) -> None:
    _copy(pytester, "incident_fixed")
    pytester.makepyfile(test_models=(
        "def test_models(migration_audit):\n"
        "    migration_audit.assert_clean(fail_on='warning')\n"
        "    assert migration_audit.findings == []\n"
    ))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_option_adds_one_item_per_project(pytester: pytest.Pytester) -> None:
    for name in ("incident", "incident_fixed"):
        shutil.copytree(FIXTURES / name, pytester.path / name)
    pytester.makeini("[pytest]\nmigration_audit_projects = incident incident_fixed\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--migration-audit", "-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*MA101 *users.id*"])
    # without the option, nothing is added
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes()


def test_assert_clean_rejects_an_unknown_level(pytester: pytest.Pytester) -> None:
    _copy(pytester, "incident_fixed")
    pytester.makepyfile(test_models=(
        "import pytest\n\n"
        "def test_models(migration_audit):\n"
        "    with pytest.raises(ValueError, match='fail_on must be one of error, warning, info'):\n"
        "        migration_audit.assert_clean(fail_on='loud')\n"
    ))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
