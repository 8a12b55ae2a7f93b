"""CodeBuild projects of the pipelines, all made the same way: small compute, the private build image,
their own role, log group and (optionally) cache prefix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.pipeline.findings import default_policy
from stacks.pipeline.roles import service_role
from stacks.scanner_suppressions import acknowledge_nag, ref, skip_checkov, wildcard_resource

LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
DEFAULT_TIMEOUT = cdk.Duration.minutes(30)

MANAGED_S3_KEY = (
    "CodeBuild encrypts the project's artifacts with the AWS managed aws/s3 key (CDK sets EncryptionKey "
    "alias/aws/s3 for CodePipeline projects). A customer managed key is deliberately not used: artifacts never "
    "leave the pipeline account and its buckets are SSE-S3 by policy (DEVELOPERS.md, architecture)."
)
TOOLS_IMAGE = (
    "The build image lives in this account's private ECR tools repository (the seed asks for ECR-hosted build "
    "images): docker:27-dind pinned by digest plus bash, Python and the AWS CLI, built at deploy time by the "
    "foundation stack's bootstrap project under a tag derived from its Dockerfile (stacks/foundation/build_image), "
    "so builds depend on no public registry and the image changes only through a reviewed Dockerfile change."
)
LOGS_UNENCRYPTED = (
    "CloudWatch Logs encrypts log data at rest with its service key; build logs carry no secrets (registry "
    "credentials arrive as Secrets Manager variables, which CodeBuild masks), so a KMS key would add cost and "
    "key management for nothing."
)


@dataclass(frozen=True)
class ProjectDefaults:
    """What every project of the pipeline account shares; the cache bucket is imported by its literal name."""

    build_image: codebuild.IBuildImage
    cache_bucket: s3.IBucket


class BuildProject(Construct):
    """A CodePipeline-driven CodeBuild project with its role and log group (`standalone`: one started
    by an API call instead, with no source and no artifacts).

    With `cache=True` the project caches the buildspec's cache paths under its own prefix of the
    shared cache bucket, and may read and write only that prefix, so no project can poison another's
    cache.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        project_name: str,
        role_name: str,
        description: str,
        build_spec: dict[str, Any],
        defaults: ProjectDefaults,
        privileged: bool = False,
        cache: bool = True,
        standalone: bool = False,
        build_image: codebuild.IBuildImage | None = None,
        environment_variables: dict[str, str] | None = None,
        timeout: cdk.Duration = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = service_role(
            self, "Role", role_name=role_name, service="codebuild.amazonaws.com", description=description
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/codebuild/{project_name}",
            retention=LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        project_class = codebuild.Project if standalone else codebuild.PipelineProject
        self.project = project_class(
            self,
            "Project",
            project_name=project_name,
            description=description,
            role=self.role,
            environment=codebuild.BuildEnvironment(
                build_image=build_image or defaults.build_image,
                compute_type=codebuild.ComputeType.SMALL,
                privileged=privileged,
            ),
            build_spec=codebuild.BuildSpec.from_object(build_spec),
            environment_variables={
                name: codebuild.BuildEnvironmentVariable(value=value)
                for name, value in (environment_variables or {}).items()
            },
            logging=codebuild.LoggingOptions(cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.log_group)),
            timeout=timeout,
            grant_report_group_permissions=False,
        )
        if cache:
            self._cache_in(defaults.cache_bucket, prefix=project_name)
        self._acknowledge_findings(custom_image=build_image is None)

    def _acknowledge_findings(self, *, custom_image: bool) -> None:
        stack, policy = cdk.Stack.of(self), default_policy(self.role)
        acknowledge_nag(self.project, "AwsSolutions-CB4", MANAGED_S3_KEY)
        if custom_image:
            acknowledge_nag(self.project, "AwsSolutions-CB5", TOOLS_IMAGE)
        acknowledge_nag(
            policy,
            wildcard_resource("*"),
            "Only ecr:GetAuthorizationToken (to pull and push images) is granted on '*': ECR's authorization "
            "token API has no resource-level permissions.",
        )
        project_logs = f"arn:aws:logs:{stack.region}:{stack.account}:log-group:/aws/codebuild/{ref(self.project)}:*"
        acknowledge_nag(
            policy,
            wildcard_resource(project_logs),
            "CDK's default CodeBuild logging grant: the log streams of this project's own log group, which "
            "CodeBuild names per build.",
        )
        skip_checkov(self.log_group, "CKV_AWS_158", LOGS_UNENCRYPTED)

    def _cache_in(self, bucket: s3.IBucket, *, prefix: str) -> None:
        # Set on the L1 project: codebuild.Cache.bucket() grants read/write on the whole bucket.
        # The bucket is known by its literal name (ProjectDefaults), so the ARNs are literal too.
        project = self.project.node.default_child
        project.cache = codebuild.CfnProject.ProjectCacheProperty(type="S3", location=f"{bucket.bucket_name}/{prefix}")
        objects = f"arn:{cdk.Aws.PARTITION}:s3:::{bucket.bucket_name}/{prefix}/*"
        self.role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=[objects]))
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketAcl", "s3:GetBucketLocation"],
                resources=[f"arn:{cdk.Aws.PARTITION}:s3:::{bucket.bucket_name}"],
            )
        )
        acknowledge_nag(
            default_policy(self.role),
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket.bucket_name}/{prefix}/*]",
            "Cache objects under this project's own prefix of the cache bucket; CodeBuild names the objects.",
        )
