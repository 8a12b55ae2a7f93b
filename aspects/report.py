"""The gate's reports: report.json (every verdict), report.md (for reviewers), report.sarif (SARIF 2.1.0)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from compliance_gate.policies.evaluation import ACKNOWLEDGED, EXEMPT, FAIL, STATUSES, Result
from compliance_gate.policies.model import Rule

TOOL = "compliance-gate"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "error", "LOW": "warning"}


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
        lines.append(f"- **{result['rule_id']}** `{result['path'] or result['stack']}`: {message}")
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
            where = f"`{path}` (logical ID `{logical_id}`, {result['resource_type']})"
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


def sarif(results: list[Result], rules: tuple[Rule, ...]) -> dict[str, Any]:
    index = {rule.id: position for position, rule in enumerate(rules)}
    sarif_results = []
    for result in results:
        if result.status not in (FAIL, ACKNOWLEDGED):
            continue
        rule = rules[index[result.rule_id]]
        entry: dict[str, Any] = {
            "ruleId": rule.id,
            "ruleIndex": index[rule.id],
            "level": _SARIF_LEVEL.get(rule.severity, "error"),
            "message": {"text": f"{'; '.join(result.messages)}. Fix: {rule.fix}"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": Path(result.template).name or result.stack}},
                    "logicalLocations": [
                        {
                            "name": result.logical_id,
                            "fullyQualifiedName": result.path or result.stack,
                            "kind": "resource",
                        }
                    ],
                }
            ],
            "properties": {"stack": result.stack, "resourceType": result.resource_type},
        }
        if result.status == ACKNOWLEDGED:
            entry["suppressions"] = [{"kind": "external", "status": "accepted", "justification": result.reason}]
        sarif_results.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL,
                        "rules": [
                            {
                                "id": rule.id,
                                "name": _pascal(rule.title),
                                "shortDescription": {"text": rule.title},
                                "fullDescription": {"text": rule.rationale},
                                "help": {"text": _help(rule), "markdown": _help(rule, markdown=True)},
                                "defaultConfiguration": {"level": _SARIF_LEVEL.get(rule.severity, "error")},
                                "properties": {"severity": rule.severity, "tags": ["compliance", "cloudformation"]},
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": sarif_results,
            }
        ],
    }
