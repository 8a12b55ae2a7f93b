"""checkov with the gate's checks fails the same findings as the gate, the stack's own included: an app
whose stack is named without the suffix (CMP005) and left environment-agnostic (CMP007). Enforcement
point: checkov (the stack's findings reported on each rule's anchor resource)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compliance_gate.policies.catalog import RULES
from tests.support import ROOT
from tests.toolkit.checkov import run_checkov

FIXTURE = ROOT / "tests" / "fixtures" / "web_service"
STACK = "web-service"


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app_dir = Path(shutil.copytree(FIXTURE, tmp_path_factory.mktemp("app") / "web"))
    script = (app_dir / "adopting_app.py").read_text()
    agnostic = 'WebService(app, "web-service-dev", env=cdk.Environment(account="123456789012", region="us-east-1"))'
    assert agnostic in script
    (app_dir / "stack_findings.py").write_text(script.replace(agnostic, f'WebService(app, "{STACK}")'))
    outdir = tmp_path_factory.mktemp("out")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CDK_OUTDIR": str(outdir)}
    run = subprocess.run([sys.executable, "stack_findings.py"], cwd=app_dir, env=env, capture_output=True, text=True)
    assert run.returncode == 1, run.stderr[-2000:]
    return outdir


def gate_failures(cdk_out: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    results = json.loads((cdk_out / "compliance" / "report.json").read_text())["results"]
    return [(r["rule_id"], r["logical_id"], tuple(r["messages"])) for r in results if r["status"] == "fail"]


def checkov_failures(cdk_out: Path, checks: Path) -> set[tuple[str, str]]:
    _, reports = run_checkov(cdk_out, checks)
    return {
        (check["check_id"], check["resource"].split(".", 1)[1])
        for report in reports
        for check in report["results"]["failed_checks"]
    }


def anchor(cdk_out: Path, rule_id: str) -> str:
    """Where checkov reports a stack's finding of `rule_id`: the first resource its check applies to."""
    (rule,) = [rule for rule in RULES if rule.id == rule_id]
    resources = json.loads((cdk_out / f"{STACK}.template.json").read_text())["Resources"]
    return min(
        key for key, body in resources.items() if rule.resource_types is None or body["Type"] in rule.resource_types
    )


def test_the_gate_finds_the_stacks_own_violations(cdk_out: Path) -> None:
    stack_level = {(rule, logical) for rule, logical, _ in gate_failures(cdk_out) if logical == STACK}
    assert stack_level == {("CMP005", STACK), ("CMP007", STACK)}


def test_checkov_fails_every_finding_the_gate_does(cdk_out: Path) -> None:
    failed = checkov_failures(cdk_out, ROOT / "policies" / "checkov")
    expected = {
        (rule, anchor(cdk_out, rule) if logical_id == STACK else logical_id)
        for rule, logical_id, _ in gate_failures(cdk_out)
    }
    assert failed == expected
    assert ("CMP007", anchor(cdk_out, "CMP007")) in failed  # only the stack fails CMP007 here
