"""``--format sarif``: SARIF 2.1.0, for GitHub code scanning and other
viewers. Every rule is described (its documentation as help text); each
result has a physical location relative to the project folder
(``%SRCROOT%``), a partial fingerprint that survives line shifts (the
baseline's), and results are in the report's stable order."""

from __future__ import annotations

import json
from pathlib import Path

from migration_audit import __version__
from migration_audit.baseline import fingerprint
from migration_audit.engine import AuditResult
from migration_audit.findings import Severity
from migration_audit.rules import RULES
from migration_audit.rules.docs import rule_doc

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(code: str, index: int) -> dict[str, object]:
    rule = RULES[code]
    doc = rule_doc(rule)
    markdown = doc.markdown()
    text = doc.text()
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.sections.get("What it does", doc.summary)},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": _LEVEL[rule.severity], "enabled": rule.enabled_by_default},
        "properties": {"tags": [code[:3]]},
    }


def _uri(path: Path, root: Path) -> dict[str, str]:
    resolved = path.resolve()
    try:
        return {"uri": resolved.relative_to(root.resolve()).as_posix(), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": resolved.as_uri()}


def render_sarif(result: AuditResult, color: bool = False) -> str:
    root = result.project.root
    codes = list(RULES)
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for f in result.findings:
        item: dict[str, object] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": f"{f.message}\nhelp: {f.help}"},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": _uri(f.location.path, root),
                    "region": {"startLine": max(f.location.line, 1), "startColumn": max(f.location.column, 1)},
                },
                **({"logicalLocations": [{"fullyQualifiedName": f.object, "kind": "member"}]} if f.object else {}),
            }],
            "partialFingerprints": {"migrationAudit/v1": fingerprint(f, root)},
        }
        results.append(item)
    payload = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "migration-audit",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule(code, i) for i, code in enumerate(codes)],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
