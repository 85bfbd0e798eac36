"""A rule's documentation is its docstring: a one-line summary, then
``## What it does``, ``## Why is this bad?``, ``## Example`` and
``## Use instead``. This reads it into parts for `explain`, SARIF and the
test that runs every example."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

from migration_audit.rules.base import Rule

SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


@dataclass(slots=True)
class RuleDoc:
    summary: str
    sections: dict[str, str] = field(default_factory=dict)

    def blocks(self, section: str) -> list[tuple[str, str]]:
        """The fenced code blocks of a section: (info string, code)."""
        return [(m.group(1).strip(), m.group(2)) for m in
                re.finditer(r"^```([^\n]*)\n(.*?)^```", self.sections.get(section, ""), re.S | re.M)]


def rule_doc(rule: type[Rule]) -> RuleDoc:
    text = inspect.cleandoc(rule.__doc__ or "")
    summary, _, rest = text.partition("\n")
    doc = RuleDoc(summary.strip())
    parts = re.split(r"^## (.+)$", rest, flags=re.M)
    for title, body in zip(parts[1::2], parts[2::2]):
        doc.sections[title.strip()] = body.strip()
    return doc
