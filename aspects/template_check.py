"""Judging a synthesized template and its nested stacks' templates: the validation plugin's work."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from compliance_gate.policies.assembly import NestedTemplates, in_assembly, read_json, template_sections
from compliance_gate.policies.evaluation import Result
from compliance_gate.policies.model import STACK_TYPE, StackContext
from compliance_gate.policies.sam import expanded

if TYPE_CHECKING:
    from compliance_gate.aspects.gate import GateRun


def judge_template(
    run: GateRun,
    template_path: Path,
    context: StackContext,
    nested: NestedTemplates = in_assembly,
    given: dict | None = None,
) -> list[Result]:
    """Every rule over a template and the stack itself and, through `nested`, over its nested stacks'
    templates, whose parameters take the values their parent (`given`) gives."""
    template = run.paths.with_paths(read_json(template_path), context.path)
    template, refusal = expanded(template, context.region or context.approved_region)
    sections = template_sections(template, template_path, nested)
    parameters = {
        name: {**parameter, "AllowedValues": [given[name]]} if given and name in given else parameter
        for name, parameter in sections["parameters"].items()
    }
    context = replace(context, **{**sections, "parameters": parameters, "transforms": sections["transforms"] + refusal})
    results = run.evaluator.template(template, context, str(template_path), known=run.known)
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
