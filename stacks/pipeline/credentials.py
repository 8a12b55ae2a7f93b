"""Docker registry credentials in Secrets Manager, rotated by a Lambda function."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.naming import PIPELINE, Names
from stacks.pipeline.projects import LOG_RETENTION
from stacks.pipeline.roles import function_role
from stacks.scanner_suppressions import acknowledge_nag, skip_checkov

ROTATION_CODE = Path(__file__).parent / "runtime" / "rotation"
ROTATION_DAYS = 30
PLACEHOLDER = {"registry": "docker.io", "username": ""}
"""The generated value: an empty username means "not configured"; builds then pull anonymously and
each scheduled rotation is a logged no-op until the operator stores real credentials."""
ACCOUNT_PLACEHOLDER = {"username": ""}
"""The account secret's generated value: rotation is a logged no-op until the operator stores the account."""


class RegistryCredentials(Construct):
    """The secret builds log in to the Docker registry with, and its rotation.

    Docker Hub issues and deletes access tokens only for a session opened with the account's
    password, so rotation needs the account: it lives in a second secret that only the rotation
    function reads (builds never see the password), and the credentials secret holds the read-only
    access token rotation issues (or one the operator issued by hand, revoked at the first rotation
    only if its `token_id` is stored)."""

    def __init__(self, scope: Construct, construct_id: str, *, names: Names) -> None:
        super().__init__(scope, construct_id)
        secret_name = names.registry_credentials()
        self.secret = self._placeholder(
            "Secret",
            secret_name,
            PLACEHOLDER,
            "Docker Hub credentials for image builds: JSON with registry, username and password (a read-only "
            "personal access token). Created as a placeholder: set the real value with `aws secretsmanager "
            f"put-secret-value --secret-id {secret_name} --secret-string file://credentials.json`. Rotation "
            f"replaces the token every {ROTATION_DAYS} days once the account secret "
            f"{names.registry_account()} holds the account's username and password.",
        )
        skip_checkov(
            self.secret,
            "CKV_AWS_149",
            "Encrypted with the AWS managed aws/secretsmanager key: only this account's build roles and rotation "
            "function read it, so a customer managed key would add key management and no separation.",
        )
        self.account = self._placeholder(
            "Account",
            names.registry_account(),
            ACCOUNT_PLACEHOLDER,
            "The Docker Hub account that owns the build token: JSON with username and password. Only the "
            "rotation function reads it (Docker Hub issues tokens only to a password session). Set it with "
            f"`aws secretsmanager put-secret-value --secret-id {names.registry_account()} --secret-string "
            "file://account.json`; until then rotation keeps the stored token.",
        )
        skip_checkov(
            self.account,
            "CKV_AWS_149",
            "Encrypted with the AWS managed aws/secretsmanager key: only the rotation function reads it.",
        )
        acknowledge_nag(
            self.account.node.default_child,
            "AwsSolutions-SMG4",
            "The account password of the Docker Hub account that owns the build token: Docker Hub has no API that "
            "changes an account's password, so Secrets Manager cannot rotate it; the token builds use, which is "
            "the exposed credential, rotates every 30 days, and only the rotation function can read this secret.",
        )
        self.rotation_function = self._rotation_function(names)
        # L1 schedule: the L2 one also grants secretsmanager:GetRandomPassword on '*', which this
        # rotation never calls (the registry issues the new token).
        permission = lambda_.CfnPermission(
            self,
            "InvokeBySecretsManager",
            action="lambda:InvokeFunction",
            function_name=self.rotation_function.function_arn,
            principal="secretsmanager.amazonaws.com",
            source_account=cdk.Stack.of(self).account,
        )
        schedule = secretsmanager.CfnRotationSchedule(
            self,
            "RotationSchedule",
            secret_id=self.secret.secret_arn,
            rotation_lambda_arn=self.rotation_function.function_arn,
            rotation_rules=secretsmanager.CfnRotationSchedule.RotationRulesProperty(
                schedule_expression=f"rate({ROTATION_DAYS} days)"
            ),
            # Not at creation: the secret starts as a placeholder the operator replaces first.
            rotate_immediately_on_update=False,
        )
        schedule.node.add_dependency(permission)

    def _placeholder(
        self, construct_id: str, name: str, template: dict[str, str], description: str
    ) -> secretsmanager.Secret:
        """A secret created with `template` and a generated password, for the operator to replace."""
        return secretsmanager.Secret(
            self,
            construct_id,
            secret_name=name,
            description=description,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(template),
                generate_string_key="password",
                exclude_punctuation=True,
                password_length=32,
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )

    def _rotation_function(self, names: Names) -> lambda_.Function:
        function_name = names("registry-rotation", PIPELINE, "AWS::Lambda::Function")
        role, log_group = function_role(
            Construct(self, "Rotation"),
            function_name=function_name,
            role_name=names("registry-rotation-role", PIPELINE, "AWS::IAM::Role"),
            description="Rotates the Docker registry credentials secret",
            retention=LOG_RETENTION,
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                resources=[self.secret.secret_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.account.secret_arn])
        )
        function = lambda_.Function(
            self,
            "RotationFunction",
            function_name=function_name,
            description="Secrets Manager rotation of the Docker registry access token",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="registry_rotation.handler",
            code=lambda_.Code.from_asset(str(ROTATION_CODE), exclude=["__pycache__", "*.pyc"]),
            role=role,
            log_group=log_group,
            environment={"ACCOUNT_SECRET_ID": self.account.secret_arn},
            timeout=cdk.Duration.seconds(30),
            memory_size=128,
        )
        skip_checkov(
            function,
            "CKV_AWS_173",
            "Its one environment variable is the account secret's ARN, which names the secret and holds nothing "
            "secret; Lambda encrypts environment variables at rest with its service key.",
        )
        skip_checkov(
            function,
            "CKV_AWS_115",
            f"Secrets Manager invokes it four times every {ROTATION_DAYS} days; reserving concurrency would only take "
            "capacity from the account's pool, and fails to deploy in accounts at the new-account limit of 10.",
        )
        skip_checkov(
            function,
            "CKV_AWS_116",
            "Secrets Manager invokes it synchronously and records and retries failed rotations itself; a dead-letter "
            "queue would hold events nothing can replay.",
        )
        skip_checkov(
            function,
            "CKV_AWS_117",
            "It reaches only public endpoints (Secrets Manager and the Docker registry) and nothing in a VPC; "
            "the pipeline account has no VPC, and one would need NAT for the registry call.",
        )
        return function
