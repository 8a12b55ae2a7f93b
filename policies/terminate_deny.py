"""CMP006: roles another account can assume explicitly deny ec2:TerminateInstances."""

from __future__ import annotations

from fnmatch import fnmatchcase

from policies.cfn_values import as_list, principal_accounts
from policies.model import Resource, Rule, StackContext

ACTION = "ec2:TerminateInstances"


def foreign_principals(resource: Resource, stack: StackContext) -> set[str]:
    """Accounts other than the stack's own that the trust policy admits (`*` for anyone)."""
    document = resource.properties.get("AssumeRolePolicyDocument") or {}
    own = {"${AWS::AccountId}", stack.account}
    found = set()
    for statement in as_list(document.get("Statement")):
        if isinstance(statement, dict) and statement.get("Effect") == "Allow":
            found |= {account for account in principal_accounts(statement.get("Principal")) if account not in own}
    return found


def _denies_terminate(statement: dict) -> bool:
    actions = [action for action in as_list(statement.get("Action")) if isinstance(action, str)]
    return (
        statement.get("Effect") == "Deny"
        and "Condition" not in statement
        and any(fnmatchcase(ACTION.lower(), action.lower()) for action in actions)
        and "*" in as_list(statement.get("Resource"))
    )


def check(resource: Resource, stack: StackContext) -> list[str]:
    foreign = foreign_principals(resource, stack)
    if not foreign:
        return []
    for policy in as_list(resource.properties.get("Policies")):
        statements = as_list(((policy or {}).get("PolicyDocument") or {}).get("Statement"))
        if any(isinstance(statement, dict) and _denies_terminate(statement) for statement in statements):
            return []
    return [
        f"trust policy admits {', '.join(sorted(foreign))} but no inline policy has an unconditional "
        f"Deny of {ACTION} on Resource '*'"
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
