"""``--format junit``: JUnit XML for CI systems that show test reports
(GitLab, Jenkins, Azure). One test case per rule per file with findings
(failed, listing them; passing, with the findings as its output, when they
are all information), and one passing case per enabled rule that found
nothing, so the report also shows what was checked."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from migration_audit.engine import AuditResult
from migration_audit.findings import Finding, Severity
from migration_audit.reporters.common import format_finding
from migration_audit.rules import RULES


def render_junit(result: AuditResult, color: bool = False) -> str:
    root = result.project.root
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in result.findings:
        groups[(f.code, f.location.shown_path(root))].append(f)
    cases: list[ET.Element] = []
    failures = 0
    for (code, path), found in groups.items():
        case = ET.Element("testcase", classname=f"migration-audit.{code}", name=f"{code} {RULES[code].name}: {path}",
                          file=path, line=str(found[0].location.line))
        text = "\n".join(format_finding(f, root) for f in found)
        if all(f.severity is Severity.INFO for f in found):
            # information never fails a run (nor the exit code): a passing case that says it
            ET.SubElement(case, "system-out").text = text
        else:
            failures += 1
            failure = ET.SubElement(case, "failure", type=code,
                                    message=f"{len(found)} finding{'s' if len(found) != 1 else ''}: {found[0].message}")
            failure.text = text
        cases.append(case)
    flagged = {code for code, _ in groups}
    for code in result.rules:
        if code not in flagged:
            cases.append(ET.Element("testcase", classname=f"migration-audit.{code}",
                                    name=f"{code} {RULES[code].name}: all files"))
    suites = ET.Element("testsuites", name="migration-audit", tests=str(len(cases)), failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name="migration-audit", tests=str(len(cases)),
                          failures=str(failures), errors="0", skipped="0")
    suite.extend(cases)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
