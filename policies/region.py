"""CMP007: every stack deploys to us-east-1."""

from __future__ import annotations

from policies.model import STACK_TYPE, Resource, Rule, StackContext

REGION = "us-east-1"


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.logical_id != stack.name:
        return []  # a nested stack resource deploys wherever its parent does
    if stack.region == REGION:
        return []
    return [f"stack region is {stack.region or 'unresolved (environment-agnostic)'}, not {REGION}"]


RULE = Rule(
    id="CMP007",
    title="Stacks deploy to us-east-1",
    severity="HIGH",
    rationale="The system is approved for us-east-1 only; data residency and the seeded lookups assume it.",
    fix="Give every stack env=cdk.Environment(account=..., region='us-east-1').",
    check=check,
    resource_types=frozenset({STACK_TYPE}),
)
