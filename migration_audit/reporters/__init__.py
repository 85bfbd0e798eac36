"""Reporters render findings; the CLI picks one by name. The one-line
summary is separate (:func:`.common.summary_line`): it goes to stderr, so a
report written to stdout or a file is only the report."""

from __future__ import annotations

from migration_audit.reporters.gcc import render_gcc
from migration_audit.reporters.github import render_github
from migration_audit.reporters.json import render_json
from migration_audit.reporters.junit import render_junit
from migration_audit.reporters.sarif import render_sarif
from migration_audit.reporters.text import render_text

REPORTERS = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
    "junit": render_junit,
    "gcc": render_gcc,
}
