"""CMP006: roles another account can assume explicitly deny ec2:TerminateInstances."""

from __future__ import annotations

from fnmatch import fnmatchcase

from compliance_gate.policies.cfn_values import OWN_ACCOUNT, as_list, principal_accounts, ref_target
from compliance_gate.policies.model import Resource, Rule, StackContext

ACTION = "ec2:TerminateInstances"
ATTACHABLE = frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"})


def foreign_principals(resource: Resource, stack: StackContext) -> set[str]:
    """Accounts other than the stack's own that the trust policy admits (`*` for anyone)."""
    document = resource.properties.get("AssumeRolePolicyDocument") or {}
    own = {OWN_ACCOUNT, stack.account}
    found = set()
    for statement in as_list(document.get("Statement")):
        if isinstance(statement, dict) and statement.get("Effect") == "Allow":
            admitted = principal_accounts(statement.get("Principal"), stack.resources)
            found |= {account for account in admitted if account not in own}
    return found


def attached_documents(resource: Resource, stack: StackContext) -> list[dict]:
    """The role's inline policies, and the policies of this stack attached to it: AWS::IAM::Policy and
    AWS::IAM::ManagedPolicy naming it in Roles, managed policies it lists in ManagedPolicyArns."""
    documents = [(policy or {}).get("PolicyDocument") for policy in as_list(resource.properties.get("Policies"))]
    listed = {ref_target(arn) for arn in as_list(resource.properties.get("ManagedPolicyArns"))}
    for logical_id, body in stack.resources.items():
        if body.get("Type") not in ATTACHABLE:
            continue
        properties = body.get("Properties") or {}
        roles = {ref_target(role) for role in as_list(properties.get("Roles"))}
        if (resource.logical_id and resource.logical_id in roles) or logical_id in listed:
            documents.append(properties.get("PolicyDocument"))
    return [document for document in documents if isinstance(document, dict)]


def _denies_terminate(statement: dict) -> bool:
    actions = [action for action in as_list(statement.get("Action")) if isinstance(action, str)]
    return (
        statement.get("Effect") == "Deny"
        and "Condition" not in statement
        and any(fnmatchcase(ACTION.lower(), action.lower()) for action in actions)
        and "*" in as_list(statement.get("Resource"))
    )


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type != "AWS::IAM::Role":
        return []  # attached policies are read from their role's check
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
    resource_types=frozenset({"AWS::IAM::Role"}),
)
