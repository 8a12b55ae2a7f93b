"""Every rule catches its violation through every route, names the construct, and fails synthesis."""

from __future__ import annotations

import pytest

from compliance_gate.aspects import GATE_FAILED
from compliance_gate.policies.evaluation import FAIL, PASS
from tests.gate_cases import RESOURCE_CASES, GateCases

CASES = [(case.rule_id, route) for case in RESOURCE_CASES for route in case.routes]
PLUGIN_ONLY = {"stage", "property_override", "add_override", "raw"}
"""Routes the Aspects cannot see: a Stage's stacks (Aspects stop at a Stage; it is synthesized, and judged by
the plugin, with its stacks), overrides (kept apart from an L1's properties, where no public member shows
them) and a raw CfnResource's properties (only a subclass can read them). An L1, an L2, a CfnInclude'd
template (made of L1s) and a nested stack the Aspects judge."""


def caught_by_the_aspect(rule_id: str, route: str) -> bool:
    """Every other route: the Aspects judge each L1 resource and each stack they visit."""
    return route not in PLUGIN_ONLY


def _reported(gate_cases: GateCases, rule_id: str, marker: str) -> list[str]:
    """Descriptions of the violations shown to the user whose construct path is the case's."""
    found = []
    for plugin in gate_cases.validation_report["pluginReports"]:
        for violation in plugin["violations"]:
            paths = [c["constructPath"] for c in violation["violatingConstructs"]]
            if violation["description"].startswith(f"[{rule_id}]") and any(f"/{marker}/" in f"/{p}/" for p in paths):
                found.append(violation["description"])
    return found


def test_synthesis_fails(gate_cases: GateCases) -> None:
    assert GATE_FAILED in gate_cases.error


@pytest.mark.parametrize(("rule_id", "route"), CASES)
def test_route_is_caught_by_the_aspect_where_it_can_see_it(gate_cases: GateCases, rule_id: str, route: str) -> None:
    """Enforcement point 1: the Aspect annotated the construct (checkov's point: tests/test_checkov_checks.py)."""
    marker = f"{rule_id}-{route}"
    annotated = [path for path, rule in gate_cases.run.annotated if rule == rule_id and f"/{marker}" in f"/{path}/"]
    assert bool(annotated) == caught_by_the_aspect(rule_id, route), f"{marker}: {annotated}"


@pytest.mark.parametrize(("rule_id", "route"), CASES)
def test_route_is_caught_by_the_plugin_and_reported(gate_cases: GateCases, rule_id: str, route: str) -> None:
    """Enforcement point 2: the validation plugin's verdict on the synthesized template, as the user reads it."""
    marker = f"{rule_id}-{route}"
    verdicts = gate_cases.results(rule_id, marker)
    assert any(result.status == FAIL for result in verdicts), f"{marker}: {verdicts}"
    messages = _reported(gate_cases, rule_id, marker)
    assert messages, f"{marker} is not in the synthesis output"
    failures = [result for result in verdicts if result.status == FAIL]
    run = gate_cases.run
    # The Aspect's annotation (CDK prints the path) or the plugin's violation (CDK prints the fix)
    described = {run.describe(r, with_path=False) for r in failures} | {
        run.describe(r, with_fix=False) for r in failures
    }
    assert set(messages) <= described, "the report words a violation otherwise than the gate describes it"


@pytest.mark.parametrize("rule_id", [case.rule_id for case in RESOURCE_CASES])
def test_compliant_case_passes_every_rule(gate_cases: GateCases, rule_id: str) -> None:
    marker = f"{rule_id}-good"
    verdicts = [r for r in gate_cases.run.results if f"/{marker}/" in f"/{r.path}/"]
    assert any(r.rule_id == rule_id and r.status == PASS for r in verdicts)
    assert [r for r in verdicts if r.status == FAIL] == []


@pytest.mark.parametrize("marker", ["CMP007-l2", "CMP007-agnostic", "CMP007-stage"])
def test_stack_outside_us_east_1_fails(gate_cases: GateCases, marker: str) -> None:
    path = f"{marker}/in-stage-dev" if marker.endswith("stage") else marker
    assert gate_cases.stack_result("CMP007", path).status == FAIL


def test_stack_in_us_east_1_passes(gate_cases: GateCases) -> None:
    assert gate_cases.stack_result("CMP007", "CMP007-good").status == PASS


def test_termination_protection_fails(gate_cases: GateCases) -> None:
    result = gate_cases.stack_result("CMP001", "CMP001-protected")
    assert result.status == FAIL and "TerminationProtection" in result.messages[0]


def test_stack_name_without_suffix_fails(gate_cases: GateCases) -> None:
    result = gate_cases.stack_result("CMP005", "CMP005-stack")
    assert result.status == FAIL and "stack-without-suffix" in result.messages[0]


def test_nested_stack_resource_is_listed_as_exempt_from_naming(gate_cases: GateCases) -> None:
    exempt = [r for r in gate_cases.run.results if r.status == "exempt"]
    nested = [r for r in exempt if r.resource_type == "AWS::CloudFormation::Stack"]
    assert nested and all(r.reason.startswith("nested stack: ") for r in nested)
    others = {r.reason for r in exempt if r not in nested}  # the buckets' auto-delete providers
    assert others == {"CDK-internal provider resource: CDK offers no way to name it"}


def test_plugin_does_not_repeat_what_the_aspect_annotated(gate_cases: GateCases) -> None:
    plugin = next(p for p in gate_cases.validation_report["pluginReports"] if p["pluginName"] == "compliance-gate")
    repeated = [
        v["description"]
        for v in plugin["violations"]
        if (v["violatingConstructs"][0]["constructPath"], v["ruleName"]) in gate_cases.run.annotated
    ]
    assert repeated == []


@pytest.mark.parametrize("rule_id", [case.rule_id for case in RESOURCE_CASES])
def test_the_aspect_and_the_plugin_print_a_violation_the_same_way(gate_cases: GateCases, rule_id: str) -> None:
    """One spelling per violation: CloudFormation's property names at both points (the L1 route)."""
    marker = f"{rule_id}-l1"
    (plugin,) = [r for r in gate_cases.results(rule_id, marker) if r.status == FAIL]
    aspect = gate_cases.run.annotated_messages[(plugin.path, rule_id)]
    assert aspect == plugin.messages
