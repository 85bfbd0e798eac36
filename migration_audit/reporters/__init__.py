"""Reporters render findings; the CLI picks one by name."""

from __future__ import annotations

from migration_audit.reporters.json import render_json
from migration_audit.reporters.text import render_text

REPORTERS = {"text": render_text, "json": render_json}
