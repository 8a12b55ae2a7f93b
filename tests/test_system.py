"""The whole system as `make synth` builds it: every stack passes the gate and cdk-nag."""

from __future__ import annotations

from cdk_nag import AwsSolutionsChecks

from compliance_gate.policies.evaluation import FAIL
from tests.support import Synthesized


def test_synthesis_passes(system: Synthesized) -> None:
    assert system.error == ""


def test_gate_passes_every_resource_of_every_stack(system: Synthesized) -> None:
    assert [system.gate.describe(r) for r in system.gate.results if r.status == FAIL] == []
    evaluated = {r.stack for r in system.gate.results}
    assert evaluated == set(system.stack_names)


def test_no_unacknowledged_cdk_nag_finding_in_any_stack(system: Synthesized) -> None:
    """The pack run on each stack (the validation report leaves out a plugin that found nothing)."""
    for stack in system.stacks:
        report = AwsSolutionsChecks().validate_scope(stack)
        assert [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations] == []
        assert report.success, stack.stack_name


def test_every_stack_is_named_with_the_suffix_in_us_east_1(system: Synthesized) -> None:
    for stack in system.stacks:
        assert stack.stack_name.split("-")[-1] == "dev"
        assert stack.region == "us-east-1"


def test_reports_are_written(system: Synthesized) -> None:
    for name in ("report.json", "report.md", "report.sarif"):
        assert (system.outdir / "compliance" / name).stat().st_size > 0
