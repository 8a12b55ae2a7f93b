"""Judging a template and its nested stacks' templates: what the Aspect does with the templates the
stacks render before synthesis, and the validation plugin with the synthesized ones."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compliance_gate.policies.assembly import NestedTemplates, in_assembly, read_json, template_sections
from compliance_gate.policies.cfn_values import as_list
from compliance_gate.policies.evaluation import Result
from compliance_gate.policies.model import STACK_TYPE, StackContext
from compliance_gate.policies.sam import SAM_TRANSFORM, NotExpanded, expand

if TYPE_CHECKING:
    from compliance_gate.aspects.gate import GateRun


def judge_template(
    run: GateRun,
    template_path: Path,
    context: StackContext,
    nested: NestedTemplates = in_assembly,
    given: dict | None = None,
    shown_as: Path | None = None,
) -> list[Result]:
    """Every rule over a template (and the stack itself, unless `given` says it is nested) and, through
    `nested`, over its nested stacks' templates, whose parameters take the values their parent gives.
    `shown_as`: the template's path in the results, if not its own (the Aspect's is where CDK will write it)."""
    template = run.paths.with_paths(read_json(template_path), context.path)
    template, refusal = _expanded(template, context)
    sections = template_sections(template, template_path, nested)
    parameters = {
        name: {**parameter, "AllowedValues": [given[name]]} if given and name in given else parameter
        for name, parameter in sections["parameters"].items()
    }
    context = replace(context, **{**sections, "parameters": parameters, "transforms": sections["transforms"] + refusal})
    reusable = given is None and not context.readable_nested  # a stack's own template, with no nested ones
    earlier = run.judged.get(context.path) if reusable else None
    if earlier is not None and earlier.covers(read_json(template_path), context):
        return run.evaluator.stack(template, context, str(template_path)) + earlier.resources(str(template_path))
    results = run.evaluator.template(template, context, str(shown_as or template_path))
    if reusable:
        run.judged[context.path] = Judged(read_json(template_path), context, results)
    for logical_id, body in context.resources.items():
        nested_file = nested(template_path, logical_id, body) if body.get("Type") == STACK_TYPE else None
        if nested_file is not None:
            child = replace(
                context,
                name=f"{context.name}/{logical_id}",
                path=(body.get("Metadata") or {}).get("aws:cdk:path", "").split(".NestedStack/")[0],
                termination_protection=False,
            )
            values = (body.get("Properties") or {}).get("Parameters") or {}
            results += judge_template(run, nested_file, child, nested, values)
    return results


def _expanded(template: dict, context: StackContext) -> tuple[dict, tuple[str, ...]]:
    """A SAM template as the transform will deploy it; if it cannot be expanded, the template as it is
    and the reason, which CMP009 reports with the transform."""
    if SAM_TRANSFORM not in as_list(template.get("Transform")):
        return template, ()
    try:
        return expand(template, context.region or context.approved_region), ()
    except NotExpanded as error:
        return template, (f"{SAM_TRANSFORM} ({error})",)


@dataclass
class Judged:
    """A stack's template as the Aspect judged it (before synthesis), and the verdicts: the plugin takes
    the resources' verdicts for the synthesized template when nothing they depend on changed, and
    judges the stack itself again (the default synthesizer adds a parameter and a rule as it synthesizes)."""

    template: dict[str, Any]
    context: StackContext
    results: list[Result]

    def covers(self, template: dict[str, Any], context: StackContext) -> bool:
        """Whether the resources' verdicts hold for `template`: the same stack, and the same template but
        for parameters nothing in it names and the Rules section (which no rule reads)."""
        if _identity(context) != _identity(self.context) or _outside(template) != _outside(self.template):
            return False
        parameters, earlier = template.get("Parameters") or {}, self.template.get("Parameters") or {}
        if any(parameters.get(name) != parameter for name, parameter in earlier.items()):
            return False
        added = set(parameters) - set(earlier)
        if not added:
            return True
        named = json.dumps([template.get(section) for section in ("Resources", "Conditions", "Mappings")])
        return not any(name in named for name in added)

    def resources(self, template: str) -> list[Result]:
        """The verdicts on the template's resources (not on the stack itself), as results of `template`."""
        return [
            result if result.template == template else replace(result, template=template)
            for result in self.results
            if (result.resource_type, result.logical_id) != (STACK_TYPE, result.stack)
        ]


def _outside(template: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in template.items() if key not in ("Parameters", "Rules")}


def _identity(context: StackContext) -> tuple:
    """What a verdict depends on besides the template."""
    return (
        *(context.name, context.path, context.suffix, context.approved_region),
        *(context.account, context.region, context.termination_protection),
    )
