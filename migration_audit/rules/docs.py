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

# Where a block's code goes, from its info string (``python model``); the
# rule-docs test builds a project from them the same way.
PLACES = {
    "model": "in a model class",
    "module": "in the models module",
    "migration": "in a migration's upgrade()",
    "revision": "a revision file's header",
    "env": "in env.py",
    "database": "in the database",
    "toml": "in pyproject.toml",
}
_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass(slots=True)
class RuleDoc:
    summary: str
    sections: dict[str, str] = field(default_factory=dict)

    def blocks(self, section: str) -> list[tuple[str, str]]:
        """The fenced code blocks of a section: (info string, code)."""
        return [(m.group(1).strip(), m.group(2)) for m in _FENCE.finditer(self.sections.get(section, ""))]

    def text(self) -> str:
        """For a terminal: headings as they are, each code block indented
        under a caption saying where it goes."""
        def block(m: re.Match[str]) -> str:
            words = m.group(1).split()
            place = PLACES.get(words[-1]) if len(words) > 1 else PLACES.get(words[0]) if words else None
            code = "".join(f"    {line}" if line.strip() else "\n" for line in m.group(2).splitlines(True))
            return (f"  ({place}:)\n" if place else "") + code.rstrip("\n")

        return "\n\n".join(f"## {title}\n{_FENCE.sub(block, body)}" for title, body in self.sections.items())

    def markdown(self) -> str:
        """Markdown with plain language tags (``python``, ``toml``, ``sql``)."""
        def block(m: re.Match[str]) -> str:
            words = m.group(1).split()
            place = PLACES.get(words[-1]) if len(words) > 1 else None
            return (f"*{place[0].upper()}{place[1:]}:*\n" if place else "") + f"```{words[0] if words else ''}\n" \
                f"{m.group(2)}```"

        return "\n\n".join(f"## {title}\n\n{_FENCE.sub(block, body)}" for title, body in self.sections.items())


def rule_doc(rule: type[Rule]) -> RuleDoc:
    text = inspect.cleandoc(rule.__doc__ or "")
    summary, _, rest = text.partition("\n")
    doc = RuleDoc(summary.strip())
    parts = re.split(r"^## (.+)$", rest, flags=re.M)
    for title, body in zip(parts[1::2], parts[2::2]):
        doc.sections[title.strip()] = body.strip()
    return doc
