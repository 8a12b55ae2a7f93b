"""AWS API calls CloudFormation makes while deploying (CDK's AwsCustomResource), one provider per stack.

The provider's singleton Lambda function gets a name, a role and a log group of this project's own,
so it follows the naming convention, carries the TerminateInstances deny and is granted exactly the
calls each custom resource makes.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.exceptions import skip_checkov
from stacks.naming import Names
from stacks.pipeline.roles import service_role

PROVIDER_ID = "SdkCallProvider"
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


def sdk_call(
    scope: Construct,
    construct_id: str,
    *,
    names: Names,
    environment: str,
    call: cr.AwsSdkCall,
    statements: list[iam.PolicyStatement],
    on_update: bool = True,
) -> cr.AwsCustomResource:
    """Make `call` when the resource is created (and updated, with `on_update`), never on delete."""
    role, log_group = _provider(scope, names, environment)
    return cr.AwsCustomResource(
        scope,
        construct_id,
        function_name=names("sdk-calls", environment, "AWS::Lambda::Function"),
        role=role,
        log_group=log_group,
        install_latest_aws_sdk=False,
        on_create=call,
        on_update=call if on_update else None,
        policy=cr.AwsCustomResourcePolicy.from_statements(statements),
        timeout=cdk.Duration.minutes(2),
    )


def _provider(scope: Construct, names: Names, environment: str) -> tuple[iam.Role, logs.LogGroup]:
    """The provider function's role and log group, made once per stack."""
    stack = cdk.Stack.of(scope)
    existing = stack.node.try_find_child(PROVIDER_ID)
    if existing is not None:
        return existing.node.find_child("Role"), existing.node.find_child("Logs")
    holder = Construct(stack, PROVIDER_ID)
    function_name = names("sdk-calls", environment, "AWS::Lambda::Function")
    log_group = logs.LogGroup(
        holder,
        "Logs",
        log_group_name=f"/aws/lambda/{function_name}",
        retention=LOG_RETENTION,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    role = service_role(
        holder,
        "Role",
        role_name=names("sdk-calls-role", environment, "AWS::IAM::Role"),
        service="lambda.amazonaws.com",
        description="Makes the AWS API calls CloudFormation needs while deploying this stack",
    )
    log_group.grant_write(role)
    skip_checkov(
        log_group, "CKV_AWS_158", "CloudWatch Logs encrypts at rest by default; the calls it logs carry no secrets."
    )
    return role, log_group
