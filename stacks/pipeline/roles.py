"""IAM roles of the pipeline account: one per service identity, each carrying the TerminateInstances deny."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.guardrails import deny_terminate_instances


def service_role(scope: Construct, construct_id: str, *, role_name: str, service: str, description: str) -> iam.Role:
    """A role assumed by one AWS service, with the deny inline; grants are added by its users."""
    return iam.Role(
        scope,
        construct_id,
        role_name=role_name,
        assumed_by=iam.ServicePrincipal(service),
        description=description,
        inline_policies=deny_terminate_instances(),
    )


def role_arn(scope: Construct, *, account: str, role_name: str) -> str:
    """The ARN of a role known by name, possibly in another account and not created yet."""
    return cdk.Stack.of(scope).format_arn(
        service="iam", region="", account=account, resource="role", resource_name=role_name
    )
