"""CMP006: roles another account can assume explicitly deny ec2:TerminateInstances."""

from __future__ import annotations

import json

from compliance_gate.policies.cfn_values import OWN_ACCOUNT, as_list, ref_target, text
from compliance_gate.policies.iam_patterns import covers, overlaps
from compliance_gate.policies.model import CUSTOM_RESOURCES, Resource, Rule, StackContext
from compliance_gate.policies.sdk_calls import sdk_calls
from compliance_gate.policies.trust import admitted

ACTION = "ec2:TerminateInstances"
EVERY_INSTANCE = "arn:aws:ec2:*:*:instance/*"
"""The resources ec2:TerminateInstances acts on (the Service Authorization Reference's instance ARN)."""
ATTACHED = {"AWS::IAM::Policy": "Roles", "AWS::IAM::ManagedPolicy": "Roles", "AWS::IAM::RolePolicy": "RoleName"}
"""Policy types of a stack and the property naming the roles they apply to."""


def foreign_principals(resource: Resource, stack: StackContext) -> set[str]:
    """Callers other than the stack's own account that the trust policy admits (policies.trust)."""
    document = resource.properties.get("AssumeRolePolicyDocument") or {}
    own = {OWN_ACCOUNT, stack.account}
    return {caller for caller in admitted(document, stack.resources) if caller not in own}


def attached_documents(resource: Resource, stack: StackContext) -> list[dict]:
    """Every policy of the stack that applies to the role: its inline policies, AWS::IAM::Policy,
    AWS::IAM::RolePolicy and AWS::IAM::ManagedPolicy naming it, the managed policies it lists, and its
    permissions boundary (a Deny there applies like any other)."""
    documents = [(policy or {}).get("PolicyDocument") for policy in as_list(resource.properties.get("Policies"))]
    listed = {ref_target(arn) for arn in as_list(resource.properties.get("ManagedPolicyArns"))}
    listed.add(ref_target(resource.properties.get("PermissionsBoundary")))
    for logical_id, body in stack.resources.items():
        naming = ATTACHED.get(body.get("Type"))
        if naming is None:
            continue
        properties = body.get("Properties") or {}
        roles = {ref_target(role) for role in as_list(properties.get(naming))}
        if (resource.logical_id and resource.logical_id in roles) or logical_id in listed:
            documents.append(properties.get("PolicyDocument"))
    return [document for document in documents if isinstance(document, dict)]


def _denies_terminate(statement: dict) -> bool:
    """An unconditional Deny whose actions (Action, or all but NotAction) include ec2:TerminateInstances and
    whose resources (Resource, or all but NotResource) include every instance."""
    if statement.get("Effect") != "Deny" or "Condition" in statement:
        return False
    action = ACTION.lower()
    if "NotAction" in statement:
        acts = not any(covers(str(item).lower(), action) for item in as_list(statement.get("NotAction")))
    else:
        acts = any(covers(str(item).lower(), action) for item in as_list(statement.get("Action")))
    resources = [
        text(item) or "" for item in as_list(statement.get("Resource" if "Resource" in statement else "NotResource"))
    ]
    if "NotResource" in statement:
        return acts and not any(overlaps(item, EVERY_INSTANCE) for item in resources)
    return acts and any(covers(item, EVERY_INSTANCE) for item in resources)


def _calls(resource: Resource, stack: StackContext) -> list[str]:
    """SDK calls that create a role (`createRole`) or change who can assume one (`updateAssumeRolePolicy`):
    the deny cannot come with the call, so a trust policy admitting another account is refused."""
    problems = []
    for call in sdk_calls(resource.type, resource.properties):
        if call.is_service("iam") and call.action.lower() in ("createrole", "updateassumerolepolicy"):
            document = call.parameters.get("AssumeRolePolicyDocument") or call.parameters.get("PolicyDocument")
            if isinstance(document, str):
                try:
                    document = json.loads(document)
                except ValueError:
                    document = None
            if not isinstance(document, dict):
                problems.append(f"{call.label}: its trust policy cannot be read, so who can assume the role is unknown")
                continue
            own = {OWN_ACCOUNT, stack.account}
            foreign = {caller for caller in admitted(document, stack.resources) if caller not in own}
            if foreign:
                problems.append(
                    f"{call.label} lets {', '.join(sorted(foreign))} assume a role outside the template, where no "
                    f"policy of its stack can deny {ACTION}: define the role as an AWS::IAM::Role with the deny"
                )
    return problems


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type != "AWS::IAM::Role":
        return _calls(resource, stack)  # attached policies are read from their role's check
    foreign = foreign_principals(resource, stack)
    if not foreign:
        return []
    for document in attached_documents(resource, stack):
        statements = as_list(document.get("Statement"))
        if any(isinstance(statement, dict) and _denies_terminate(statement) for statement in statements):
            return []
    return [
        f"trust policy admits {', '.join(sorted(foreign))} but no inline or attached policy of its stack has an "
        f"unconditional Deny of {ACTION} on Resource '*'"
    ]


RULE = Rule(
    id="CMP006",
    title="Cross-account roles deny ec2:TerminateInstances",
    severity="HIGH",
    rationale=(
        "A role another account can assume must never be able to terminate instances, whatever "
        "other policies are attached to it later; an explicit Deny in the role itself wins over any Allow."
    ),
    fix=(
        "Give the role an inline policy (iam.Role(inline_policies=...)) with "
        "{Effect: Deny, Action: ec2:TerminateInstances, Resource: '*'} and no condition."
    ),
    check=check,
    resource_types=frozenset({"AWS::IAM::Role", *CUSTOM_RESOURCES}),
)
