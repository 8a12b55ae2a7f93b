"""The gate's three reports, written on every synthesis."""

from __future__ import annotations

import json

import jsonschema
import pytest

from compliance_gate.policies.catalog import RULES
from compliance_gate.policies.evaluation import STATUSES
from tests.gate_cases import GateCases
from tests.support import ROOT


@pytest.fixture(scope="module")
def report(gate_cases: GateCases) -> dict:
    return json.loads((gate_cases.outdir / "compliance" / "report.json").read_text())


def test_json_has_every_rule_for_every_resource(report: dict) -> None:
    resources = {(r["template"], r["logical_id"]) for r in report["results"]}
    assert len(report["results"]) == len(resources) * len(RULES)
    assert report["passed"] is False
    assert set(report["totals"]) == set(STATUSES)
    assert set(report["byRule"]) == {rule.id for rule in RULES}
    assert {"gate-cases-dev", "region-stack-dev"} <= set(report["byStack"])
    assert sum(report["totals"].values()) == len(report["results"])


def test_markdown_starts_with_summary_then_findings_with_fixes(gate_cases: GateCases) -> None:
    markdown = (gate_cases.outdir / "compliance" / "report.md").read_text()
    assert markdown.startswith("# Compliance gate report: FAILED")
    assert markdown.index("| Rule |") < markdown.index("## Violations")
    assert "gate-cases-dev/CMP002-l2/Resource" in markdown
    assert "  - Fix: Set encryption=s3.BucketEncryption.S3_MANAGED" in markdown


def test_sarif_has_one_result_per_finding_and_rule_metadata(gate_cases: GateCases) -> None:
    sarif = json.loads((gate_cases.outdir / "compliance" / "report.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [rule.id for rule in RULES]
    failures = [r for r in gate_cases.run.results if r.status == "fail"]
    assert len(run["results"]) == len(failures)
    names = {loc["logicalLocations"][0]["fullyQualifiedName"] for res in run["results"] for loc in res["locations"]}
    assert "gate-cases-dev/CMP006-raw" in names


SARIF_SCHEMA = ROOT / ".cache" / "sarif-2.1.0.json"


def test_sarif_passes_the_sarif_2_1_0_schema_and_carries_rule_help(gate_cases: GateCases) -> None:
    assert SARIF_SCHEMA.exists(), "run `make .cache/sarif-2.1.0.json` (make test does) for the SARIF schema"
    schema = json.loads(SARIF_SCHEMA.read_text())
    sarif = json.loads((gate_cases.outdir / "compliance" / "report.sarif").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [error.message for error in validator.iter_errors(sarif)] == []
    broken = {**sarif, "runs": [{**sarif["runs"][0], "results": [{"ruleId": "CMP001"}]}]}
    assert list(validator.iter_errors(broken)), "the schema check refuses a result without a message"
    text = json.dumps(sarif)
    assert "example.com" not in text
    (cmp001, *_) = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert cmp001["help"]["text"].startswith(RULES[0].rationale)
    assert f"Fix: {RULES[0].fix}" in cmp001["help"]["text"]
    assert "acknowledge(construct, 'CMP001', reason, owner=..., expires=...)" in cmp001["help"]["markdown"]


def test_markdown_first_screen_says_what_failed_and_where(gate_cases: GateCases) -> None:
    lines = (gate_cases.outdir / "compliance" / "report.md").read_text().splitlines()
    failures = [r for r in gate_cases.run.results if r.status == "fail"]
    assert lines[4] == f"## What failed ({len(failures)})"
    first = failures[0]
    assert first.source.startswith("tests/gate_cases.py:")  # where the case's code created the construct
    assert lines[6] == f"- **{first.rule_id}** `{first.path or first.stack}` ({first.source}): {first.messages[0]}"
    assert lines.index("## Per rule") <= 6 + 15 + 2  # at most FIRST_SCREEN lines, then one "... more"
