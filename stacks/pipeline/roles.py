"""IAM roles of the pipeline account: one per service identity, each carrying the TerminateInstances deny."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
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


def function_role(
    scope: Construct, *, function_name: str, role_name: str, description: str, retention: logs.RetentionDays
) -> tuple[iam.Role, logs.LogGroup]:
    """A Lambda function's role (construct "Role") and its log group ("Logs": the name Lambda writes
    to, destroyed with the stack), the role allowed to write there."""
    log_group = logs.LogGroup(
        scope,
        "Logs",
        log_group_name=f"/aws/lambda/{function_name}",
        retention=retention,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    role = service_role(scope, "Role", role_name=role_name, service="lambda.amazonaws.com", description=description)
    log_group.grant_write(role)
    return role, log_group


def role_arn(scope: Construct, *, account: str, role_name: str) -> str:
    """The ARN of a role known by name, possibly in another account and not created yet."""
    return cdk.Stack.of(scope).format_arn(
        service="iam", region="", account=account, resource="role", resource_name=role_name
    )
