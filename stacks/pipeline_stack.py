"""The pipeline account: one delivery pipeline per configured application, and what they share."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.config import AppConfig
from stacks.foundation import BUILD_IMAGE, BUILDKIT
from stacks.named_stack import NamedStack
from stacks.naming import PIPELINE, Names
from stacks.pipeline.application import ApplicationPipeline
from stacks.pipeline.credentials import RegistryCredentials
from stacks.pipeline.projects import ProjectDefaults
from stacks.pipeline.source import SampleSource, source_key
from stacks.pipeline.storage import AUTO_DELETE_PROVIDER, PipelineBuckets
from stacks.scanner_suppressions import skip_checkov, skip_provider_handler_checks


class PipelineStack(NamedStack):
    """Shared: the source bucket, the Docker registry credentials with their rotation and the
    approvals topic. Per application: an ECR repository, an artifact bucket, build/test/deploy
    projects and a Source, Build, Test, Deploy pipeline. The foundation stack's buckets and tools
    repository (build image, BuildKit) are found by name.

    With the S3 source, each application's source key is seeded with the sample application before
    its pipeline is created, so the run CodePipeline starts on creation ships the sample through
    dev, staging and prod instead of failing on an empty bucket.

    Nothing here is shared with the environment accounts except images (pulled by their task
    execution roles) and deploy-role sessions (assumed by the deploy projects).
    """

    def __init__(self, scope: Construct, *, config: AppConfig, names: Names) -> None:
        super().__init__(
            scope,
            kind="cicd",
            environment=PIPELINE,
            account=config.pipeline_account,
            config=config,
            names=names,
            description=f"CI/CD pipelines for {', '.join(app.name for app in config.applications)}",
        )
        self.buckets = PipelineBuckets(
            self, "Buckets", names=names, account=config.pipeline_account, with_source=config.source is None
        )
        tools = ecr.Repository.from_repository_name(self, "ToolsRepository", names.tools_repository())
        self.registry_credentials = RegistryCredentials(self, "RegistryCredentials", names=names)
        self.approvals_topic = sns.Topic(
            self,
            "ApprovalsTopic",
            topic_name=names("approvals-topic", PIPELINE, "AWS::SNS::Topic"),
            display_name="Release approvals",
            enforce_ssl=True,
        )
        skip_checkov(
            self.approvals_topic,
            "CKV_AWS_26",
            "Approval notices carry only an application name, a commit ID and an environment name, and go out as "
            "e-mail anyway; encrypting the topic needs a KMS key policy for CodePipeline, against the project's "
            "no-customer-keys policy, for no confidentiality gain.",
        )
        for email in config.approval_emails:
            self.approvals_topic.add_subscription(subscriptions.EmailSubscription(email))

        defaults = ProjectDefaults(
            build_image=codebuild.LinuxBuildImage.from_ecr_repository(tools, BUILD_IMAGE.tag),
            cache_bucket=self.buckets.cache,
        )
        self.pipelines = {
            app.name: ApplicationPipeline(
                self,
                f"App-{app.name}",
                application=app,
                config=config,
                names=names,
                buckets=self.buckets,
                defaults=defaults,
                registry_credentials=self.registry_credentials.secret,
                approvals_topic=self.approvals_topic,
                buildkit_image=tools.repository_uri_for_tag(BUILDKIT.tag),
            )
            for app in config.applications
        }
        skip_provider_handler_checks(
            self, AUTO_DELETE_PROVIDER, "empties the pipeline account's buckets before CloudFormation deletes them"
        )
        if self.buckets.source is not None:
            sample = SampleSource(self, "SampleSource", names=names, bucket=self.buckets.source)
            for app, pipeline in self.pipelines.items():
                pipeline.pipeline.node.add_dependency(sample.seed(app))
            keys = ", ".join(source_key(app.name) for app in config.applications)
            cdk.CfnOutput(
                self,
                "SourceBucketName",
                value=self.buckets.source.bucket_name,
                description=f"Upload `make source-bundle` zips here, one key per application: {keys}",
            )
