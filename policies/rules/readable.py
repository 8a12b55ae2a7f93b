"""CMP009: the gate can read everything the stack deploys.

What a template hands to something the gate never sees is refused unless acknowledged: a nested
stack whose template is not in the cloud assembly (a URL), and transforms and macros (the template
CloudFormation deploys is their output: AWS::Include, any macro). SAM templates are expanded by the
validation plugin with AWS's translator and judged as the plain resources they become; one the
translator refuses is reported here with its reason.
"""

from __future__ import annotations

from typing import Any

from compliance_gate.policies.cfn_values import text
from compliance_gate.policies.model import STACK_TYPE, Resource, Rule, StackContext
from compliance_gate.policies.sam import SAM_TRANSFORM
from compliance_gate.policies.sdk_calls import sdk_calls


def _transforms(value: Any, location: str = "") -> list[str]:
    """Locations of Fn::Transform below the properties."""
    if isinstance(value, dict):
        found = [location or "(properties)"] if "Fn::Transform" in value else []
        for key, item in value.items():
            found += _transforms(item, f"{location}.{key}" if location else str(key))
        return found
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _transforms(item, f"{location}[{index}]")]
    return []


ELSEWHERE = {
    "AWS::CloudFormation::StackSet": "a stack set deploys its template (TemplateURL or TemplateBody) into other "
    "accounts or regions, where the gate does not judge it",
    "AWS::ServiceCatalog::CloudFormationProvisionedProduct": "a provisioned product deploys a Service Catalog "
    "product's template, which is not in the cloud assembly",
    "AWS::Serverless::Application": "a SAM application deploys a template from the Serverless Application "
    "Repository or a URL, which is not in the cloud assembly",
}
"""Types that deploy a template the gate never sees (besides nested stacks, judged below)."""


def _sections(stack: StackContext) -> list[str]:
    """The template's Transform, and Fn::Transform in any of its sections."""
    problems = [
        f"the template declares Transform {name!r}: CloudFormation deploys its output, which the gate cannot read"
        for name in stack.transforms
        if name != SAM_TRANSFORM  # expanded by the plugin; a transform it could not expand is named with why
    ]
    sections = {"Parameters": stack.parameters, "Mappings": stack.mappings, "Conditions": stack.conditions}
    sections |= {"Outputs": stack.outputs, "Metadata": stack.metadata}
    return problems + [
        f"{location} is an Fn::Transform (a macro such as AWS::Include): CloudFormation deploys its output, "
        "which the gate cannot read"
        for section, content in sections.items()
        for location in _transforms(dict(content), section)
    ]


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == STACK_TYPE and resource.logical_id == stack.name:
        return _sections(stack)
    problems = [f"{resource.type}: {ELSEWHERE[resource.type]}"] if resource.type in ELSEWHERE else []
    problems += [
        f"{call.phase} is an SDK call whose text the gate cannot read (an intrinsic it cannot evaluate): "
        "what it does cannot be judged"
        for call in sdk_calls(resource.type, resource.properties)
        if not call.readable
    ]
    problems += [
        f"{location} is an Fn::Transform (a macro such as AWS::Include): CloudFormation deploys its output, "
        "which the gate cannot read"
        for location in _transforms(dict(resource.properties))
    ]
    nested = resource.type == STACK_TYPE and resource.logical_id != stack.name
    if nested and stack.readable_nested is not None and resource.logical_id not in stack.readable_nested:
        url = text(resource.properties.get("TemplateURL"))
        problems.append(
            f"the nested stack's template ({url or resource.properties.get('TemplateURL')!r}) is not in the cloud "
            "assembly: the gate cannot read it; define it as a cdk.NestedStack"
        )
    return problems


RULE = Rule(
    id="CMP009",
    title="The gate can read everything the stack deploys",
    severity="HIGH",
    rationale=(
        "A rule that cannot see a resource cannot pass it: nested templates from URLs, transforms and macros "
        "deploy content the gate never reads, so they are refused rather than trusted."
    ),
    fix=(
        "Define nested stacks as cdk.NestedStack (their templates are assets), and the resources of SAM or a "
        "macro as CDK constructs; acknowledge what must stay outside, with a reason and an expiry."
    ),
    check=check,
)
