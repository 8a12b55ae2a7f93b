"""Enforcement point 2: a validation plugin that runs the catalog over the synthesized templates.

It sees what the Aspect cannot: stacks inside Stages, stacks whose synthesizer cannot render a
template before synthesis, what a synthesizer adds while it synthesizes (the default one's bootstrap
version parameter and rule), and anything else that changes a template after the construct tree is
validated.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import aws_cdk as cdk
import jsii

from compliance_gate.aspects.report import VERSION
from compliance_gate.aspects.template_check import judge_template
from compliance_gate.policies.assembly import stack_context
from compliance_gate.policies.evaluation import Result
from compliance_gate.policies.model import STACK_TYPE

if TYPE_CHECKING:
    from compliance_gate.aspects.gate import GateRun

PLUGIN_NAME = "compliance-gate"
PLUGIN_VERSION = VERSION


@jsii.implements(cdk.IPolicyValidationPlugin)
class CompliancePlugin:
    def __init__(self, run: GateRun) -> None:
        self._run = run

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        return PLUGIN_VERSION

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self._run.evaluator.rules]

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        self._run.paths.tree = context.app_construct
        results: list[Result] = []
        for stack in context.stack_templates:
            results += self._evaluate_stack(stack)
        violations = self._run.record(results, [Path(stack.template_path) for stack in context.stack_templates])
        return cdk.PolicyValidationPluginReport(
            success=not violations,
            violations=[self._violation(result) for result in violations],
            plugin_version=PLUGIN_VERSION,
        )

    def _evaluate_stack(self, stack: cdk.PolicyValidationStack) -> list[Result]:
        template_path = Path(stack.template_path)
        context = stack_context(template_path, self._run.suffix, self._run.region)
        context = replace(context, path=stack.stack_construct_path)
        return judge_template(self._run, template_path, context)

    def _violation(self, result: Result) -> cdk.PolicyViolation:
        rule = self._run.rule(result.rule_id)
        resource = (
            cdk.PolicyViolatingResource(construct_path=result.path or result.stack, locations=["(stack)"])
            if result.resource_type == STACK_TYPE and result.logical_id == result.stack
            else cdk.PolicyViolatingResource(
                resource_logical_id=result.logical_id, template_path=result.template, locations=["Properties"]
            )
        )
        return cdk.PolicyViolation(
            rule_name=rule.id,
            description=self._run.describe(result, with_fix=False),  # CDK prints the fix on its own line
            fix=rule.fix,
            severity=rule.severity,
            violating_resources=[resource],
        )
