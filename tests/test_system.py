"""The whole system as `make synth` builds it: every stack passes the gate and cdk-nag."""

from __future__ import annotations

from policies.evaluation import FAIL
from tests.support import Synthesized


def test_synthesis_passes(system: Synthesized) -> None:
    assert system.error == ""


def test_gate_passes_every_resource_of_every_stack(system: Synthesized) -> None:
    assert [system.gate.describe(r) for r in system.gate.results if r.status == FAIL] == []
    evaluated = {r.stack for r in system.gate.results}
    assert evaluated == set(system.stack_names)


def test_no_unacknowledged_cdk_nag_finding(system: Synthesized) -> None:
    nag = [p for p in system.validation_report["pluginReports"] if "AwsSolutions" in p["pluginName"]]
    findings = [v["ruleName"] for p in nag for v in p["violations"]]
    assert findings == []


def test_every_stack_is_named_with_the_suffix_in_us_east_1(system: Synthesized) -> None:
    for stack in system.stacks:
        assert stack.stack_name.split("-")[-1] == "dev"
        assert stack.region == "us-east-1"


def test_reports_are_written(system: Synthesized) -> None:
    for name in ("report.json", "report.md", "report.sarif"):
        assert (system.outdir / "compliance" / name).stat().st_size > 0
