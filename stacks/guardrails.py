"""Policy every role of the system carries, whatever account it lives in."""

from __future__ import annotations

from aws_cdk import aws_iam as iam

DENY_TERMINATE_INSTANCES = iam.PolicyStatement(
    sid="DenyTerminateInstances",
    effect=iam.Effect.DENY,
    actions=["ec2:TerminateInstances"],
    resources=["*"],
)
"""No role here needs EC2, and several can be assumed from another account: the explicit deny travels
with the role, inline, whatever is attached to it later (the gate's rule CMP006)."""


def deny_terminate_instances() -> dict[str, iam.PolicyDocument]:
    """The inline policy to give a role: `iam.Role(inline_policies=deny_terminate_instances())`."""
    return {"DenyTerminateInstances": iam.PolicyDocument(statements=[DENY_TERMINATE_INSTANCES])}
