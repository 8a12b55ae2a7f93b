"""The gate's reports: report.json (every verdict), report.md (for reviewers), report.sarif (SARIF 2.1.0)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from compliance_gate.policies.evaluation import ACKNOWLEDGED, EXEMPT, FAIL, STATUSES, Result
from compliance_gate.policies.model import Rule

TOOL = "compliance-gate"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "error", "LOW": "warning"}


def write_reports(directory: Path, results: list[Result], rules: tuple[Rule, ...], suffix: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    document = report_document(results, rules, suffix)
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


def report_document(results: list[Result], rules: tuple[Rule, ...], suffix: str) -> dict[str, Any]:
    stacks = sorted({result.stack for result in results})
    return {
        "tool": TOOL,
        "environmentSuffix": suffix,
        "passed": not any(result.status == FAIL for result in results),
        "totals": _totals(results),
        "byRule": {rule.id: _totals([r for r in results if r.rule_id == rule.id]) for rule in rules},
        "byStack": {stack: _totals([r for r in results if r.stack == stack]) for stack in stacks},
        "rules": [
            {
                key: value
                for key, value in asdict(rule).items()
                if key not in ("check", "exempt", "resource_types", "property_types")
            }
            | {"resourceTypes": sorted(rule.resource_types) if rule.resource_types else "all"}
            for rule in rules
        ],
        "results": [vars(result) for result in results],
    }


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def markdown(document: dict[str, Any]) -> str:
    rules = {rule["id"]: rule for rule in document["rules"]}
    results = document["results"]
    verdict = "PASSED" if document["passed"] else "FAILED"
    lines = [f"# Compliance gate report: {verdict}", "", f"environmentSuffix: `{document['environmentSuffix']}`", ""]
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
                lines.append(f"  - Reason{expiry}: {result['reason']}")
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
                        "informationUri": "https://example.com/compliance-gate",
                        "rules": [
                            {
                                "id": rule.id,
                                "name": rule.title,
                                "shortDescription": {"text": rule.title},
                                "fullDescription": {"text": rule.rationale},
                                "help": {"text": rule.fix},
                                "properties": {"severity": rule.severity},
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": sarif_results,
            }
        ],
    }
