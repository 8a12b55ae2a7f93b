"""IAM roles of the pipeline account: one per service identity, each carrying the TerminateInstances deny."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

DENY_TERMINATE_INSTANCES = iam.PolicyStatement(
    sid="DenyTerminateInstances",
    effect=iam.Effect.DENY,
    actions=["ec2:TerminateInstances"],
    resources=["*"],
)
"""Policy for every role here: none needs EC2, and several reach into the environment accounts, so the
explicit deny travels with the role whatever is attached to it later."""


def service_role(scope: Construct, construct_id: str, *, role_name: str, service: str, description: str) -> iam.Role:
    """A role assumed by one AWS service, with the deny inline; grants are added by its users."""
    return iam.Role(
        scope,
        construct_id,
        role_name=role_name,
        assumed_by=iam.ServicePrincipal(service),
        description=description,
        inline_policies={"DenyTerminateInstances": iam.PolicyDocument(statements=[DENY_TERMINATE_INSTANCES])},
    )


def role_arn(scope: Construct, *, account: str, role_name: str) -> str:
    """The ARN of a role known by name, possibly in another account and not created yet."""
    return cdk.Stack.of(scope).format_arn(
        service="iam", region="", account=account, resource="role", resource_name=role_name
    )
