"""``--format junit``: JUnit XML for CI systems that show test reports
(GitLab, Jenkins, Azure). One test case per rule per file with findings
(failed, listing them), and one passing case per enabled rule that found
nothing, so the report also shows what was checked."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from migration_audit.engine import AuditResult
from migration_audit.findings import Finding
from migration_audit.reporters.common import format_finding
from migration_audit.rules import RULES


def render_junit(result: AuditResult, color: bool = False) -> str:
    root = result.project.root
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in result.findings:
        groups[(f.code, f.location.shown_path(root))].append(f)
    cases: list[ET.Element] = []
    for (code, path), found in groups.items():
        case = ET.Element("testcase", classname=f"migration-audit.{code}", name=f"{code} {RULES[code].name}: {path}",
                          file=path, line=str(found[0].location.line))
        failure = ET.SubElement(case, "failure", type=code,
                                message=f"{len(found)} finding{'s' if len(found) != 1 else ''}: {found[0].message}")
        failure.text = "\n".join(format_finding(f, root) for f in found)
        cases.append(case)
    flagged = {code for code, _ in groups}
    for code in result.rules:
        if code not in flagged:
            cases.append(ET.Element("testcase", classname=f"migration-audit.{code}",
                                    name=f"{code} {RULES[code].name}: all files"))
    suites = ET.Element("testsuites", name="migration-audit", tests=str(len(cases)), failures=str(len(groups)))
    suite = ET.SubElement(suites, "testsuite", name="migration-audit", tests=str(len(cases)),
                          failures=str(len(groups)), errors="0", skipped="0")
    suite.extend(cases)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
