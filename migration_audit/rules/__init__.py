"""The rule registry: every rule, in code order. Codes are permanent."""

from __future__ import annotations

import difflib
import re

from migration_audit.rules.base import Rule
from migration_audit.rules.ma0xx_tool import (
    MetadataNotFound,
    MigrationUnreadable,
    ModelsImportFailed,
    MultipleHeads,
    NotReadStatically,
    ReplayFailed,
    RevisionGraphBroken,
    RevisionsNotRead,
    UnusedIgnore,
)
from migration_audit.rules.ma020_table_not_created_by_migrations import TableNotCreatedByMigrations
from migration_audit.rules.ma021_migration_call_not_analysed import MigrationCallNotAnalysed
from migration_audit.rules.ma101_constant_default_on_key import ConstantDefaultOnKey
from migration_audit.rules.ma102_literal_uuid_server_default import LiteralUuidServerDefault
from migration_audit.rules.ma103_frozen_per_row_value import FrozenPerRowValue
from migration_audit.rules.ma104_mutable_shared_default import MutableSharedDefault
from migration_audit.rules.ma105_frozen_literal_server_default import FrozenLiteralServerDefault
from migration_audit.rules.ma106_import_time_nondeterminism import ImportTimeNondeterminism
from migration_audit.rules.ma190_proven_duplicate_key import ProvenDuplicateKey
from migration_audit.rules.ma201_server_default_drift import ServerDefaultDrift
from migration_audit.rules.ma202_database_default_drift import DatabaseDefaultDrift
from migration_audit.rules.ma203_client_server_default_mismatch import ClientServerDefaultMismatch
from migration_audit.rules.ma204_python_only_default_on_not_null import PythonOnlyDefaultOnNotNull
from migration_audit.rules.ma205_server_default_type_mismatch import ServerDefaultTypeMismatch
from migration_audit.rules.ma206_server_default_function_not_on_dialect import ServerDefaultFunctionNotOnDialect
from migration_audit.rules.ma290_proven_not_null_failure import ProvenNotNullFailure
from migration_audit.rules.ma301_not_null_on_existing_rows import NotNullOnExistingRows
from migration_audit.rules.ma302_constant_backfill_on_key import ConstantBackfillOnKey
from migration_audit.rules.ma901_onupdate_without_server_onupdate import OnupdateWithoutServerOnupdate


def _registry() -> dict[str, type[Rule]]:
    rules: dict[str, type[Rule]] = {}
    for rule in (
        MigrationUnreadable,
        ModelsImportFailed,
        RevisionGraphBroken,
        MultipleHeads,
        MetadataNotFound,
        ReplayFailed,
        UnusedIgnore,
        NotReadStatically,
        TableNotCreatedByMigrations,
        MigrationCallNotAnalysed,
        RevisionsNotRead,
        ConstantDefaultOnKey,
        LiteralUuidServerDefault,
        FrozenPerRowValue,
        MutableSharedDefault,
        FrozenLiteralServerDefault,
        ImportTimeNondeterminism,
        ProvenDuplicateKey,
        ServerDefaultDrift,
        DatabaseDefaultDrift,
        ClientServerDefaultMismatch,
        PythonOnlyDefaultOnNotNull,
        ServerDefaultTypeMismatch,
        ServerDefaultFunctionNotOnDialect,
        ProvenNotNullFailure,
        NotNullOnExistingRows,
        ConstantBackfillOnKey,
        OnupdateWithoutServerOnupdate,
    ):
        if rule.code in rules:
            raise RuntimeError(f"duplicate rule code {rule.code}")
        rules[rule.code] = rule
    return rules


RULES: dict[str, type[Rule]] = _registry()
BY_NAME: dict[str, type[Rule]] = {r.name: r for r in RULES.values()}


class UnknownRule(ValueError):
    pass


def expand(selector: str) -> list[str]:
    """``MA1`` → every MA1xx code; ``MA101`` or ``constant-default-on-key`` → one;
    ``ALL`` → all. Raises UnknownRule naming the closest valid selector."""
    sel = selector.strip()
    if sel.upper() == "ALL":
        return list(RULES)
    if sel in BY_NAME:
        return [BY_NAME[sel].code]
    up = sel.upper()
    matches = [code for code in RULES if code.startswith(up)] if up.startswith("MA") else []
    if matches or re.fullmatch(r"MA\d{1,2}", up):
        return matches  # a family prefix is valid even while it has no rules (MA3, MA9)
    # `ma2O5`: codes in any case, letters that look like digits
    code = up[:2] + up[2:].translate(str.maketrans("OIL", "011")) if up.startswith("MA") else up
    close = [code] if code in RULES else difflib.get_close_matches(code, list(RULES), n=1) or \
        difflib.get_close_matches(sel.lower(), list(BY_NAME), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise UnknownRule(f"unknown rule {selector!r}{hint}; `migration-audit rules` lists them")


def enabled(select: list[str], ignore: list[str], extend: list[str] | None = None) -> list[type[Rule]]:
    chosen = (
        {c for s in select for c in expand(s)}
        if select
        else {code for code, r in RULES.items() if r.enabled_by_default}
    )
    chosen |= {c for s in extend or [] for c in expand(s)}
    for s in ignore:
        chosen -= set(expand(s))
    return [RULES[c] for c in RULES if c in chosen]
