"""The compliant patterns CDK users write pass the gate (issue 20): ordinary constructs from aws-cdk-lib,
used the way their documentation shows, with the organisation's policies followed. A gate that refuses
them gets switched off; each one here once was, or could be, mistaken for a violation."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr

from compliance_gate import apply_gate
from compliance_gate.aspects import GateRun
from compliance_gate.policies.evaluation import FAIL

SUFFIX = "dev"
ACCOUNT = "111111111111"
DESTROY = cdk.RemovalPolicy.DESTROY


def _bucket(stack: cdk.Stack) -> s3.Bucket:
    return s3.Bucket(
        stack,
        "Site",
        bucket_name=f"site-bucket-{SUFFIX}",
        encryption=s3.BucketEncryption.S3_MANAGED,
        versioned=True,
        lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(90))],
        removal_policy=DESTROY,
        auto_delete_objects=True,
        enforce_ssl=True,
    )


def _roles(stack: cdk.Stack) -> None:
    """A role only this account can assume (a condition on the caller's account), and a role another account
    assumes whose permissions boundary carries the TerminateInstances deny."""
    own = iam.Role(
        stack,
        "OwnAccountRole",
        role_name=f"own-role-{SUFFIX}",
        assumed_by=iam.AnyPrincipal().with_conditions({"StringEquals": {"aws:PrincipalAccount": cdk.Aws.ACCOUNT_ID}}),
    )
    own.apply_removal_policy(DESTROY)
    boundary = iam.ManagedPolicy(
        stack,
        "Boundary",
        managed_policy_name=f"boundary-policy-{SUFFIX}",
        statements=[
            iam.PolicyStatement(effect=iam.Effect.DENY, actions=["ec2:TerminateInstances"], resources=["*"]),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"arn:aws:s3:::site-bucket-{SUFFIX}/*"]),
        ],
    )
    iam.Role(
        stack,
        "PartnerRole",
        role_name=f"partner-role-{SUFFIX}",
        assumed_by=iam.AccountPrincipal("222222222222").with_conditions(
            {"StringEquals": {"sts:ExternalId": "orders-partner"}}
        ),
        permissions_boundary=boundary,
    )


def _service_role(stack: cdk.Stack, construct_id: str, service: str) -> iam.Role:
    kind = service.split(".")[0]
    return iam.Role(
        stack, construct_id, role_name=f"orders-{kind}-role-{SUFFIX}", assumed_by=iam.ServicePrincipal(service)
    )


def _functions(stack: cdk.Stack, secret: secretsmanager.Secret) -> None:
    """A function with its own log group and the secret's ARN (not its value) in its environment, and log
    retention set by CDK's LogRetention construct (a singleton provider CDK names itself)."""
    log_group = logs.LogGroup(
        stack,
        "Logs",
        log_group_name=f"/orders/worker-logs-{SUFFIX}",
        retention=logs.RetentionDays.ONE_MONTH,
        removal_policy=DESTROY,
    )
    lambda_.Function(
        stack,
        "Worker",
        function_name=f"orders-worker-{SUFFIX}",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        log_group=log_group,
        role=_service_role(stack, "WorkerRole", "lambda.amazonaws.com"),
        environment={
            "DB_SECRET_ARN": secret.secret_arn,
            "TOKEN_HEADER": "Authorization",
            "PASSWORD_MIN_LENGTH": "16",
            "SESSION_TTL": "3600s",
            "AUTH_ENDPOINT": "https://auth.example.com/token",
        },
    )
    logs.LogRetention(
        stack, "AuditRetention", log_group_name=f"/orders/audit-logs-{SUFFIX}", retention=logs.RetentionDays.ONE_WEEK
    )


def _project(stack: cdk.Stack) -> None:
    """A build that reads the registry password from Secrets Manager and logs in with it from stdin."""
    codebuild.Project(
        stack,
        "Build",
        project_name=f"orders-build-{SUFFIX}",
        role=_service_role(stack, "BuildRole", "codebuild.amazonaws.com"),
        environment=codebuild.BuildEnvironment(compute_type=codebuild.ComputeType.SMALL),
        environment_variables={
            "REGISTRY_PASSWORD": codebuild.BuildEnvironmentVariable(
                type=codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER, value=f"orders-db-secret-{SUFFIX}:password"
            )
        },
        build_spec=codebuild.BuildSpec.from_object(
            {
                "version": "0.2",
                "phases": {
                    "build": {
                        "commands": [
                            'echo "$REGISTRY_PASSWORD" | docker login --username bot --password-stdin example.com',
                            "mkdir -p reports && python -m pytest -p no:cacheprovider",
                        ]
                    }
                },
            }
        ),
    )


def _sdk_call(stack: cdk.Stack) -> None:
    """An SDK call that sets a log group's retention: a retention of events, no protection of anything."""
    call = cr.AwsSdkCall(
        service="CloudWatchLogs",
        action="putRetentionPolicy",
        parameters={"logGroupName": f"/orders/worker-logs-{SUFFIX}", "retentionInDays": 30},
        physical_resource_id=cr.PhysicalResourceId.of("worker-logs-retention"),
    )
    cr.AwsCustomResource(
        stack,
        "Retention",
        on_create=call,
        on_update=call,
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(
            resources=[f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/orders/worker-logs-{SUFFIX}:*"]
        ),
        install_latest_aws_sdk=False,
    )


@pytest.fixture(scope="module")
def patterns(tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("patterns")))
    run = apply_gate(app, suffix=SUFFIX)
    stack = cdk.Stack(
        app, "Patterns", stack_name=f"orders-stack-{SUFFIX}", env=cdk.Environment(account=ACCOUNT, region="us-east-1")
    )
    bucket = _bucket(stack)
    s3_deployment.BucketDeployment(
        stack, "Deploy", sources=[s3_deployment.Source.data("index.html", "<p>orders</p>")], destination_bucket=bucket
    )
    secret = secretsmanager.Secret(
        stack,
        "Secret",
        secret_name=f"orders-db-secret-{SUFFIX}",
        generate_secret_string=secretsmanager.SecretStringGenerator(
            secret_string_template='{"username": "orders"}', generate_string_key="password"
        ),
        removal_policy=DESTROY,
    )
    _roles(stack)
    _functions(stack, secret)
    _project(stack)
    _sdk_call(stack)
    sqs.Queue(stack, "Queue", queue_name=f"orders-{cdk.Aws.STACK_NAME}", removal_policy=DESTROY)
    app.synth()  # raises on any violation
    return run


def test_the_ordinary_compliant_constructs_pass_the_gate(patterns: GateRun) -> None:
    failed = [(r.rule_id, r.path, r.messages) for r in patterns.results if r.status == FAIL]
    assert failed == [] and patterns.annotated == set()
    assert len({r.logical_id for r in patterns.results}) > 25
