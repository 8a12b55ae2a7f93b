"""checkov runs the catalog's rules too: the same violations fail, the same compliant cases pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.gate_cases import RESOURCE_CASES, GateCases
from tests.support import ROOT
from tests.toolkit.checkov import run_checkov

RESOURCE_ROUTES = ("l2", "l1", "property_override", "add_override", "raw", "include", "nested", "stage")


@pytest.fixture(scope="module")
def checkov(gate_cases: GateCases) -> dict[str, set[tuple[str, str]]]:
    """checkov's verdicts on the gate's cases app: status -> {(check ID, logical ID)}."""
    outdir: Path = gate_cases.outdir
    checks_dir = ROOT / "policies" / "checkov"
    if os.environ.get("GATE_DISABLED_POINT") == "checkov":  # tests/check_enforcement_points.py
        checks_dir = outdir / "no-checks"
        checks_dir.mkdir(exist_ok=True)
    _, reports = run_checkov(outdir, checks_dir)
    verdicts: dict[str, set[tuple[str, str]]] = {"failed": set(), "passed": set(), "skipped": set()}
    for report in reports:
        for status in verdicts:
            for check in report.get("results", {}).get(f"{status}_checks", []):
                verdicts[status].add((check["check_id"], check["resource"].split(".", 1)[1]))
    return verdicts


def _logical_prefix(rule_id: str, route: str) -> str:
    return f"{rule_id}Included" if route == "include" else f"{rule_id}{route.replace('_', '')}"


@pytest.mark.parametrize(("rule_id", "route"), [(c.rule_id, r) for c in RESOURCE_CASES for r in RESOURCE_ROUTES])
def test_checkov_fails_every_route(checkov, rule_id: str, route: str) -> None:
    prefix = _logical_prefix(rule_id, route)
    assert any(check == rule_id and logical.startswith(prefix) for check, logical in checkov["failed"]), prefix


@pytest.mark.parametrize("rule_id", [case.rule_id for case in RESOURCE_CASES])
def test_checkov_passes_the_compliant_case(checkov, rule_id: str) -> None:
    prefix = f"{rule_id}good"
    assert any(check == rule_id and logical.startswith(prefix) for check, logical in checkov["passed"])
    assert [f for f in checkov["failed"] if f[1].startswith(prefix)] == []
