"""The gate's reports: report.json (every verdict), report.md (for reviewers), report.sarif (SARIF 2.1.0)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from compliance_gate.policies.evaluation import ACKNOWLEDGED, EXEMPT, FAIL, STATUSES, Result
from compliance_gate.policies.model import Rule

TOOL = "compliance-gate"
VERSION = "1.0.0"
"""The package's version (pyproject.toml), recorded in every report."""
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "error", "LOW": "warning"}
SECURITY_SEVERITY = {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "3.0"}
"""GitHub code scanning ranks findings by `security-severity` (critical 9.0+, high 7.0-8.9, medium
4.0-6.9, low 0.1-3.9)."""
FINGERPRINT = "complianceGateFinding/v1"


REPORTS = ("report.json", "report.md", "report.sarif")


def discard_reports(directory: Path) -> None:
    """Remove an earlier run's reports: a run that stops before judging (exit 2) must not leave them for
    CI to upload as if they were its own."""
    for name in REPORTS:
        (directory / name).unlink(missing_ok=True)


def write_reports(
    directory: Path, results: list[Result], rules: tuple[Rule, ...], suffix: str, region: str
) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    document = report_document(results, rules, suffix, region)
    outputs = {
        "report.json": json.dumps(document),  # compact: the C encoder; indenting is several times slower
        "report.md": markdown(document),
        "report.sarif": json.dumps(sarif(results, rules)),
    }
    paths = []
    for name, content in outputs.items():
        path = directory / name
        path.write_text(content + "\n")
        paths.append(path)
    return paths


def _totals(results: list[Result]) -> dict[str, int]:
    counts = Counter(result.status for result in results)
    return {status: counts.get(status, 0) for status in STATUSES}


def report_document(results: list[Result], rules: tuple[Rule, ...], suffix: str, region: str) -> dict[str, Any]:
    stacks = sorted({result.stack for result in results})
    return {
        "tool": TOOL,
        "environmentSuffix": suffix,
        "region": region,
        "passed": not any(result.status == FAIL for result in results),
        "totals": _totals(results),
        "byRule": {rule.id: _totals([r for r in results if r.rule_id == rule.id]) for rule in rules},
        "byStack": {stack: _totals([r for r in results if r.stack == stack]) for stack in stacks},
        "rules": [
            {key: value for key, value in asdict(rule).items() if key not in ("check", "exempt", "resource_types")}
            | {"resourceTypes": sorted(rule.resource_types) if rule.resource_types else "all"}
            for rule in rules
        ],
        "results": [vars(result) for result in results],
    }


FIRST_SCREEN = 15
"""Violations listed before the tables, one line each; the rest follow them."""


def _first_screen(results: list[dict[str, Any]], rules: dict[str, dict[str, Any]]) -> list[str]:
    """What failed and where, one line per violation, before any table."""
    failed = [result for result in results if result["status"] == FAIL]
    if not failed:
        return ["Nothing failed.", ""]
    lines = [f"## What failed ({len(failed)})", ""]
    for result in failed[:FIRST_SCREEN]:
        message = result["messages"][0] if result["messages"] else rules[result["rule_id"]]["title"]
        source = f" ({result['source']})" if result.get("source") else ""
        lines.append(f"- **{result['rule_id']}** `{result['path'] or result['stack']}`{source}: {message}")
    if len(failed) > FIRST_SCREEN:
        lines.append(f"- ... and {len(failed) - FIRST_SCREEN} more under Violations below")
    return [*lines, ""]


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def markdown(document: dict[str, Any]) -> str:
    rules = {rule["id"]: rule for rule in document["rules"]}
    results = document["results"]
    verdict = "PASSED" if document["passed"] else "FAILED"
    lines = [
        f"# Compliance gate report: {verdict}",
        "",
        f"environmentSuffix `{document['environmentSuffix']}`, region `{document['region']}`",
        "",
        *_first_screen(results, rules),
        "## Per rule",
        "",
    ]
    lines += _table(
        ["Rule", "Title", "Severity", *STATUSES],
        [
            [rule_id, rules[rule_id]["title"], rules[rule_id]["severity"], *totals.values()]
            for rule_id, totals in document["byRule"].items()
        ]
        + [["**all**", "", "", *document["totals"].values()]],
    )
    lines += ["", "## Per stack", ""]
    lines += _table(["Stack", *STATUSES], [[stack, *totals.values()] for stack, totals in document["byStack"].items()])
    for title, status in (("Violations", FAIL), ("Acknowledged exceptions", ACKNOWLEDGED), ("Exempt", EXEMPT)):
        chosen = [result for result in results if result["status"] == status]
        lines += ["", f"## {title} ({len(chosen)})", ""]
        for result in chosen:
            rule = rules[result["rule_id"]]
            path, logical_id = result["path"] or result["stack"], result["logical_id"]
            created = f", created at `{result['source']}`" if result.get("source") else ""
            where = f"`{path}` (logical ID `{logical_id}`, {result['resource_type']}{created})"
            lines.append(f"- **{rule['id']}** {rule['title']}: {where}")
            lines += [f"  - {message}" for message in result["messages"]]
            if status == FAIL:
                lines.append(f"  - Fix: {rule['fix']}")
            if result["reason"]:
                expiry = f" (expires {result['expires']})" if result["expires"] else ""
                owner = f", owner {result['owner']}" if result.get("owner") else ""
                lines.append(f"  - Reason{expiry}{owner}: {result['reason']}")
            if result.get("scope"):
                lines.append(f"  - Acknowledged on `{result['scope']}` and everything below it")
        if not chosen:
            lines.append("None.")
    lines += ["", "## Rules", ""]
    for rule in document["rules"]:
        lines += [
            f"### {rule['id']}: {rule['title']} ({rule['severity']})",
            "",
            rule["rationale"],
            "",
            f"Fix: {rule['fix']}",
            "",
        ]
    return "\n".join(lines)


def _pascal(title: str) -> str:
    """SARIF's rule name: an identifier-like form of the title."""
    return "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))


def _help(rule: Rule, *, markdown: bool = False) -> str:
    """What a reviewer needs to act on a finding: why the rule exists, the fix, and how to accept it."""
    accept = (
        f"To accept a finding, call acknowledge(construct, {rule.id!r}, reason, owner=..., expires=...) "
        "with a reason of a sentence or more; it shows in the report with its owner and expiry."
    )
    if markdown:
        return f"**{rule.title}**\n\n{rule.rationale}\n\n**Fix:** {rule.fix}\n\n{accept}"
    return f"{rule.rationale} Fix: {rule.fix} {accept}"


def _location(result: Result) -> dict[str, Any]:
    """The user's line that created the construct (repository-relative), else the synthesized template."""
    if result.source and result.source_region:
        line, end_line, column, end_column = result.source_region
        return {
            "artifactLocation": {"uri": result.source.rpartition(":")[0], "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column},
        }
    return {"artifactLocation": {"uri": Path(result.template).name or result.stack}, "region": {"startLine": 1}}


def _fingerprint(result: Result) -> str:
    """Stable across unrelated edits: the rule, the stack and the construct, never a line number."""
    return hashlib.sha256(f"{result.rule_id}|{result.stack}|{result.path}|{result.logical_id}".encode()).hexdigest()


def _suppression(result: Result) -> dict[str, Any]:
    notes = [f"owner {result.owner}"] if result.owner else []
    notes += [f"expires {result.expires}"] if result.expires else []
    return {
        "kind": "external",
        "status": "accepted",
        "justification": result.reason + (f" ({', '.join(notes)})" if notes else ""),
        "properties": {"owner": result.owner, "expires": result.expires, "scope": result.scope},
    }


def _sarif_result(result: Result, rule: Rule, index: int) -> dict[str, Any]:
    where = result.path or result.stack
    entry: dict[str, Any] = {
        "ruleId": rule.id,
        "ruleIndex": index,
        "level": _SARIF_LEVEL.get(rule.severity, "error"),
        "message": {
            "text": f"{'; '.join(result.messages)} (construct {where}, logical ID {result.logical_id}). Fix: {rule.fix}"
        },
        "locations": [
            {
                "physicalLocation": _location(result),
                "logicalLocations": [{"name": result.logical_id, "fullyQualifiedName": where, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {FINGERPRINT: _fingerprint(result)},
        "properties": {
            "stack": result.stack,
            "resourceType": result.resource_type,
            "template": Path(result.template).name,
            "security-severity": SECURITY_SEVERITY.get(rule.severity, "5.5"),
        },
    }
    if result.status == ACKNOWLEDGED:
        entry["suppressions"] = [_suppression(result)]
    return entry


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": _pascal(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": _help(rule), "markdown": _help(rule, markdown=True)},
        "defaultConfiguration": {"level": _SARIF_LEVEL.get(rule.severity, "error")},
        "properties": {
            "severity": rule.severity,
            "security-severity": SECURITY_SEVERITY.get(rule.severity, "5.5"),
            "tags": ["security", "compliance", "cloudformation"],
        },
    }


def sarif(results: list[Result], rules: tuple[Rule, ...]) -> dict[str, Any]:
    index = {rule.id: position for position, rule in enumerate(rules)}
    reported = [result for result in results if result.status in (FAIL, ACKNOWLEDGED)]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL,
                        "version": VERSION,
                        "semanticVersion": VERSION,
                        "informationUri": Path(__file__).resolve().parents[1].as_uri(),
                        "rules": [_sarif_rule(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository's root."}}},
                "results": [_sarif_result(r, rules[index[r.rule_id]], index[r.rule_id]) for r in reported],
            }
        ],
    }
