"""Reporters render findings; the CLI picks one by name. The one-line
summary is separate (:func:`.common.summary_line`): it goes to stderr, so a
report written to stdout or a file is only the report.

Each reporter is imported when it is asked for: one run uses one of them, and
some import much (JUnit's XML library, SARIF's rule documentation)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

NAMES = ("text", "json", "sarif", "github", "junit", "gcc")


class _Reporters(Mapping[str, Callable[..., str]]):
    """name → ``render_<name>`` of ``migration_audit.reporters.<name>``."""

    def __getitem__(self, name: str) -> Callable[..., str]:
        if name not in NAMES:
            raise KeyError(name)
        module: Any = importlib.import_module(f"migration_audit.reporters.{name}")
        return getattr(module, f"render_{name}")  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)


REPORTERS: Mapping[str, Callable[..., str]] = _Reporters()
