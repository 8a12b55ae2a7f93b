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

from stacks.naming import Names
from stacks.pipeline.roles import function_role
from stacks.scanner_suppressions import skip_handler_checks

PROVIDER_ID = "SdkCallProvider"
SINGLETON_ID = "AWS679f53fac002430cb0da5b7982bd2287"
"""The construct ID CDK gives AwsCustomResource's singleton function."""
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
    resource = cr.AwsCustomResource(
        scope,
        construct_id,
        function_name=_function_name(scope, names, environment),
        role=role,
        log_group=log_group,
        install_latest_aws_sdk=False,
        on_create=call,
        on_update=call if on_update else None,
        policy=cr.AwsCustomResourcePolicy.from_statements(statements),
        timeout=cdk.Duration.minutes(2),
    )
    handler = cdk.Stack.of(scope).node.find_child(SINGLETON_ID)
    if not (handler.node.default_child.get_metadata("checkov") or {}).get("skip"):
        skip_handler_checks(handler, "makes this stack's deploy-time AWS API calls (AwsCustomResource)")
    return resource


def _kind(scope: Construct, names: Names, environment: str) -> str:
    """`<stack kind>-sdk-calls`, the stack's name without its environment and suffix (`cicd-foundation`,
    `cicd-<app>`): each stack of one account and environment gets its own."""
    tokens = cdk.Stack.of(scope).stack_name.removesuffix(f"-{names.suffix}").split("-")
    tokens.remove(environment)
    return f"{'-'.join(tokens)}-sdk-calls"


def _function_name(scope: Construct, names: Names, environment: str) -> str:
    return names(_kind(scope, names, environment), environment, "AWS::Lambda::Function")


def _provider(scope: Construct, names: Names, environment: str) -> tuple[iam.Role, logs.LogGroup]:
    """The provider function's role and log group, made once per stack."""
    stack = cdk.Stack.of(scope)
    existing = stack.node.try_find_child(PROVIDER_ID)
    if existing is not None:
        return existing.node.find_child("Role"), existing.node.find_child("Logs")
    holder = Construct(stack, PROVIDER_ID)
    return function_role(
        holder,
        function_name=_function_name(scope, names, environment),
        role_name=names(f"{_kind(scope, names, environment)}-role", environment, "AWS::IAM::Role"),
        description="Makes the AWS API calls CloudFormation needs while deploying this stack",
        retention=LOG_RETENTION,
    )
