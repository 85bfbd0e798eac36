"""MA0xx: inputs migration-audit could not read. Sources record them as
diagnostics while reading; these rules turn them into findings so that they
are selected, ignored and reported like any other."""

from __future__ import annotations

from collections.abc import Iterator

from typing import TYPE_CHECKING

from migration_audit.facts import Facts
from migration_audit.findings import Finding, Severity
from migration_audit.rules.base import Rule

if TYPE_CHECKING:
    from migration_audit.suppress import IgnoreComment


class _ToolRule(Rule):
    def check(self, facts: Facts) -> Iterator[Finding]:
        for d in facts.diagnostics:
            if d.code == self.code:
                yield self.finding(d.message, d.help, d.location, d.object)


class MigrationUnreadable(_ToolRule):
    """A migration file cannot be parsed or has no readable revision id.

    ## What it does
    Reports a file under the version locations that Python cannot parse
    (syntax error, bad encoding, NUL byte) or whose `revision` /
    `down_revision` is not a literal.

    ## Why is this bad?
    Alembic fails to load the whole version directory, and migration-audit
    cannot check what the file does. The rest of the audit still runs.

    ## Example
    ```python revision
    revision = make_id()
    ```

    ## Use instead
    ```python revision
    revision = "8e1d2c3b4a59"
    ```
    """

    code = "MA001"
    name = "migration-unreadable"
    severity = Severity.ERROR


class ModelsImportFailed(_ToolRule):
    """The model metadata could not be imported.

    ## What it does
    Reports the exception raised while importing the module that holds the
    metadata (`target_metadata` in env.py, `--metadata`, or config), at the
    line in your code that raised it.

    ## Why is this bad?
    No model rule can run without the metadata; only migration rules ran.

    ## Example
    ```python module
    from sqlalchemy import Colum   # typo: ImportError when the models are imported
    ```

    ## Use instead
    ```python module
    from sqlalchemy import Column
    ```
    """

    code = "MA002"
    name = "models-import-failed"
    severity = Severity.ERROR


class RevisionGraphBroken(_ToolRule):
    """The revision graph is broken: a missing parent, a duplicate id or a cycle.

    ## What it does
    Checks that every `down_revision` and `depends_on` names a revision that
    exists, that no id is used twice, and that the graph has no cycle.

    ## Why is this bad?
    `alembic upgrade` fails on such a history (`KeyError`/`CycleDetected`),
    usually only once it reaches production.

    ## Example
    ```python revision
    down_revision = "deadbeef0000"   # no file has this revision
    ```

    ## Use instead
    ```python revision
    down_revision = "3f2a9c1b7d4e"   # the previous revision, see `alembic history`
    ```
    """

    code = "MA003"
    name = "revision-graph-broken"
    severity = Severity.ERROR


class MultipleHeads(_ToolRule):
    """The migration chain has more than one head.

    ## What it does
    Reports a history with several heads, from two branches that were never
    merged.

    ## Why is this bad?
    `alembic upgrade head` refuses to run ("Multiple head revisions are
    present"); deployments that use it stop.

    ## Example
    Two revisions with the same parent, merged in two pull requests:
    ```python revision
    revision = "a1b2c3d4e5f6"
    down_revision = "3f2a9c1b7d4e"
    ```
    ```python revision
    revision = "b7c8d9e0f1a2"
    down_revision = "3f2a9c1b7d4e"
    ```

    ## Use instead
    Merge them: `alembic merge -m "merge heads" a1b2c3d4e5f6 b7c8d9e0f1a2` writes
    ```python revision
    revision = "c3d4e5f6a7b8"
    down_revision = ("a1b2c3d4e5f6", "b7c8d9e0f1a2")
    ```
    next to the two:
    ```python revision
    revision = "a1b2c3d4e5f6"
    down_revision = "3f2a9c1b7d4e"
    ```
    ```python revision
    revision = "b7c8d9e0f1a2"
    down_revision = "3f2a9c1b7d4e"
    ```
    """

    code = "MA004"
    name = "multiple-heads"
    severity = Severity.WARNING


class MetadataNotFound(_ToolRule):
    """migration-audit could not determine the model metadata.

    ## What it does
    Reports that `target_metadata` in env.py is missing, `None`, or built in
    a way that cannot be read without running env.py, and that no
    `--metadata` or `metadata` setting was given.

    ## Why is this bad?
    Without the metadata, the model rules (frozen defaults in models, drift
    between model and migrations) cannot run; only migration rules ran.

    ## Example
    ```python env
    target_metadata = create_app().extensions["migrate"].db.metadata
    ```

    ## Use instead
    Keep env.py as it is and name the metadata in pyproject.toml:
    ```python env
    target_metadata = create_app().extensions["migrate"].db.metadata
    ```
    ```toml
    [tool.migration-audit]
    metadata = "app.models:Base.metadata"
    ```
    """

    code = "MA005"
    name = "metadata-not-found"
    severity = Severity.WARNING


class ReplayFailed(_ToolRule):
    """Applying the migration chain to a scratch database failed (`--replay`).

    ## What it does
    With `--replay`, migration-audit applies every revision to an empty
    scratch database (embedded SQLite, or a database it creates on the
    `--replay-url` server) and reports the revision that fails, at the line
    in it that raised, with the database's error.

    ## Why is this bad?
    A chain that cannot be applied from scratch breaks every new
    environment: CI databases, a developer's machine, disaster recovery. On
    SQLite the failure may be the dialect (PostgreSQL-only SQL): replay on
    the dialect the project uses with `--replay-url`.

    ## Example
    ```python migration
    op.create_index("ix_users_email", "users", ["emial"])   # typo: no such column
    ```

    ## Use instead
    ```python migration
    op.create_index("ix_users_email", "users", ["email"])
    ```
    """

    code = "MA006"
    name = "replay-failed"
    severity = Severity.WARNING


class RevisionsNotRead(_ToolRule):
    """Revision files in subfolders of the version locations were not read.

    ## What it does
    Reports files under subfolders of `versions/` that look like revisions
    (they assign `down_revision`) while `recursive_version_locations` is
    off and `version_locations` does not name their folder. Some projects
    keep one folder per release and let their own command line add them to
    Alembic's configuration at run time.

    ## Why is this bad?
    Neither Alembic (with this configuration) nor migration-audit reads
    them, so the audit covers only part of the history, and children of
    those revisions look like orphans.

    ## Example
    ```python revision
    # in versions/2024.1/
    revision = "7d8e9f0a1b2c"
    ```

    ## Use instead
    ```toml
    [tool.migration-audit]
    recursive-version-locations = true
    ```
    ```python revision
    # in versions/2024.1/
    revision = "7d8e9f0a1b2c"
    ```
    """

    code = "MA022"
    name = "revisions-not-read"
    severity = Severity.WARNING


class NotReadStatically(_ToolRule):
    """With `--static`, part of the models could not be read without running them.

    ## What it does
    With `--static` (or `import-models = false` in `[tool.migration-audit]`)
    the models are read with `ast` and no project code runs. A value only
    the running code knows (a default computed by a project function, a
    `__tablename__` built at import, a column made by a factory, a base
    class from another library) is reported here, at its line, as
    information; the rules that need that value skip it and the rest of the
    audit runs.

    ## Why is this bad?
    It is not a fault in the project: it says where the static audit is
    blind. Import the models (drop `--static`) where the code can be
    trusted, or write the value as a literal.

    ## Example
    ```toml
    [tool.migration-audit]
    import-models = false
    ```
    ```python module
    import os

    def initial_status():
        return os.environ.get("INITIAL_STATUS", "new")
    ```
    ```python model
    status = Column(String(20), default=initial_status())
    ```

    ## Use instead
    ```toml
    [tool.migration-audit]
    import-models = false
    ```
    ```python model
    status = Column(String(20), default="new")
    ```
    """

    code = "MA008"
    name = "not-read-statically"
    severity = Severity.INFO


class UnusedIgnore(Rule):
    """An ignore comment suppresses nothing.

    ## What it does
    Reports a `# migration-audit: ignore[...]` comment (or `ignore-file[...]`)
    whose rules ran but found nothing on its line, the line below it, or in
    its file. Rules that were not selected do not count: their ignores are
    kept. Runs after the other rules, when suppressions are applied.

    ## Why is this bad?
    A stale ignore hides the next real finding on that line, and tells
    readers a problem exists where there is none.

    ## Example
    ```python model
    status = Column(String(20), default="active")  # migration-audit: ignore[MA101]
    ```

    ## Use instead
    ```python model
    status = Column(String(20), default="active")
    ```
    """

    code = "MA007"
    name = "unused-ignore"
    severity = Severity.WARNING

    def check(self, facts: Facts) -> Iterator[Finding]:
        # Which comments matched nothing is known only once the findings of
        # every other rule have been suppressed: see for_comment().
        return iter(())

    @classmethod
    def for_comment(cls, comment: IgnoreComment, idle: list[str]) -> Finding:
        written = f"ignore{'-file' if comment.kind == 'ignore-file' else ''}"
        if comment.selectors:
            written += f"[{', '.join(comment.selectors)}]"
        where = "in this file" if comment.kind == "ignore-file" else "on its line or the next"
        what = f"{', '.join(idle)} found nothing" if idle else "nothing matched"
        return cls.finding(
            f"`# migration-audit: {written}` suppresses no finding: {what} {where}",
            f"remove {'it' if not idle or len(idle) == len(comment.selectors) else ', '.join(idle) + ' from it'}",
            comment.location,
        )
