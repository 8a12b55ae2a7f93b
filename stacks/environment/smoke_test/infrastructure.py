"""Lambda that CodeDeploy calls after test traffic reaches green, to smoke-test it."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.naming import Names
from stacks.scanner_suppressions import acknowledge_nag, skip_checkov, wildcard_resource

RUNTIME = Path(__file__).parent / "runtime"
PYTHON = lambda_.Runtime.PYTHON_3_14
"""The newest Python runtime CDK knows (cdk-nag L1); the handler uses the standard library only."""
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class SmokeTestHook(Construct):
    """The hook function (named by `Names.smoke_test_function`, which the pipeline's appspec uses),
    its role and its log group. The role may only write its logs and report hook status."""

    def __init__(self, scope: Construct, construct_id: str, *, app: str, env: str, names: Names, test_url: str) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=names(f"{app}-smoke-test-logs", env, "AWS::Logs::LogGroup"),
            retention=LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        permissions = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
                ),
                # codedeploy:PutLifecycleEventHookExecutionStatus has no resource-level permissions:
                # AWS requires '*'. The call only works with a live hook execution ID CodeDeploy issued.
                iam.PolicyStatement(actions=["codedeploy:PutLifecycleEventHookExecutionStatus"], resources=["*"]),
            ]
        )
        role = iam.Role(
            self,
            "Role",
            role_name=names(f"{app}-smoke-test-role", env, "AWS::IAM::Role"),
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{app} smoke-test hook: write its logs, report the hook status to CodeDeploy",
            inline_policies={"SmokeTestHook": permissions},
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=names.smoke_test_function(app, env),
            description=f"AfterAllowTestTraffic hook: GET {app}'s health path through the test listener",
            runtime=PYTHON,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(RUNTIME), exclude=["__pycache__", "*.pyc"]),
            role=role.without_policy_updates(),
            log_group=log_group,
            timeout=cdk.Duration.minutes(2),
            memory_size=128,
            environment={"TEST_URL": test_url},
        )
        acknowledge_nag(
            role.node.default_child,
            wildcard_resource("*"),
            "Only codedeploy:PutLifecycleEventHookExecutionStatus is on '*': CodeDeploy defines no resource "
            "type for it, so AWS accepts no narrower resource. The call only succeeds with the deployment and "
            "hook execution IDs CodeDeploy passes to this function during a live deployment.",
        )
        self._skip_checkov(app)

    def _skip_checkov(self, app: str) -> None:
        skip_checkov(
            self.function,
            "CKV_AWS_115",
            f"Runs once per {app} deployment: it has no resource policy, and the only role this app lets invoke "
            "it is the deployment group's CodeDeploy role. Reserving concurrency would only take capacity from "
            "the account's pool, and fails to deploy in accounts at the new-account concurrency limit of 10.",
        )
        skip_checkov(
            self.function,
            "CKV_AWS_116",
            "A failed or lost invocation already fails the deployment: CodeDeploy waits for the status this "
            "function reports and stops and rolls back the deployment when none arrives in time. A "
            "dead-letter queue could not replay the event, since its hook execution ID is rejected once the "
            "deployment has ended.",
        )
        skip_checkov(
            self.function,
            "CKV_AWS_117",
            "It calls the load balancer's public DNS name (the internet-facing test listener) and the CodeDeploy "
            "API, nothing inside the VPC. Attached to the VPC it would need NAT, or with the endpoints egress "
            "mode could not reach the public listener at all; outside it, it has no network path to the tasks "
            "other than the load balancer every client uses.",
        )
        skip_checkov(
            self.function,
            "CKV_AWS_173",
            "Its only environment variable, TEST_URL, is the test listener's public URL, not a secret; Lambda "
            "encrypts environment variables at rest with its AWS managed key. A customer managed key would add "
            "a key policy to maintain, and survive `cdk destroy` for KMS's 7-30 day deletion window.",
        )
