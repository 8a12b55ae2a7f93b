"""Enforcement point 2: a validation plugin that runs the catalog over the synthesized templates.

It sees what the Aspect cannot: property overrides, raw CfnResource, CfnInclude, nested stacks
(through their asset templates) and stacks inside Stages.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import aws_cdk as cdk
import jsii

from compliance_gate.policies.assembly import nested_template, read_json, stack_context, template_sections
from compliance_gate.policies.cfn_values import as_list
from compliance_gate.policies.evaluation import Result
from compliance_gate.policies.model import STACK_TYPE, StackContext
from compliance_gate.policies.sam import SAM_TRANSFORM, NotExpanded, expand

if TYPE_CHECKING:
    from compliance_gate.aspects.gate import GateRun

PLUGIN_NAME = "compliance-gate"
PLUGIN_VERSION = "1.0.0"


def _expanded(template: dict, context: StackContext) -> tuple[dict, tuple[str, ...]]:
    """A SAM template as the transform will deploy it; if it cannot be expanded, the template as it is
    and the reason, which CMP009 reports with the transform."""
    if SAM_TRANSFORM not in as_list(template.get("Transform")):
        return template, ()
    try:
        return expand(template, context.region or context.approved_region), ()
    except NotExpanded as error:
        return template, (f"{SAM_TRANSFORM} ({error})",)


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
        violations = self._run.record(results)
        return cdk.PolicyValidationPluginReport(
            success=not violations,
            violations=[self._violation(result) for result in violations],
            plugin_version=PLUGIN_VERSION,
        )

    def _evaluate_stack(self, stack: cdk.PolicyValidationStack) -> list[Result]:
        template_path = Path(stack.template_path)
        context = stack_context(template_path, self._run.suffix, self._run.region)
        context = replace(context, path=stack.stack_construct_path)
        return self._evaluate_template(template_path, context)

    def _evaluate_template(
        self, template_path: Path, context: StackContext, nested: bool = False, given: dict | None = None
    ) -> list[Result]:
        """A template and, through their asset files, its nested stacks' templates (whose parameters
        take the values their parent gives them)."""
        template = self._run.paths.with_paths(read_json(template_path), context.path)
        template, refusal = _expanded(template, context)
        sections = template_sections(template, template_path.parent)
        parameters = {
            name: {**parameter, "AllowedValues": [given[name]]} if given and name in given else parameter
            for name, parameter in sections["parameters"].items()
        }
        context = replace(
            context, **{**sections, "parameters": parameters, "transforms": sections["transforms"] + refusal}
        )
        results = self._run.evaluator.template(template, context, str(template_path), include_stack=not nested)
        for logical_id, body in context.resources.items():
            nested_file = nested_template(template_path.parent, body) if body.get("Type") == STACK_TYPE else None
            if nested_file is not None:
                child = replace(
                    context,
                    name=f"{context.name}/{logical_id}",
                    path=(body.get("Metadata") or {}).get("aws:cdk:path", "").split(".NestedStack/")[0],
                    termination_protection=False,
                )
                given = (body.get("Properties") or {}).get("Parameters") or {}
                results += self._evaluate_template(nested_file, child, nested=True, given=given)
        return results

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
