"""The pipeline account's foundation: what every application's pipeline uses, deployed before them."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.config import AppConfig
from stacks.foundation import BUILD_IMAGE, ImageBootstrap
from stacks.named_stack import NamedStack
from stacks.naming import PIPELINE, Names
from stacks.pipeline.bundle import source_key
from stacks.pipeline.credentials import RegistryCredentials
from stacks.pipeline.projects import ProjectDefaults
from stacks.pipeline.registries import tools_repository
from stacks.pipeline.storage import BUILD_CACHE, SharedBuckets
from stacks.scanner_suppressions import skip_checkov


class FoundationStack(NamedStack):
    """What the applications' pipelines share: the buckets (access logs, build cache, source uploads),
    the tools repository and the bootstrap that fills it at deploy time (the build image and
    the placeholder the environments' services start with), the Docker registry credentials with
    their rotation, and the approvals topic. Deployed before the environment stacks, whose services
    pull the placeholder, and the pipeline stacks, which find everything here by name: adding an
    application never changes this stack.
    """

    def __init__(self, scope: Construct, *, config: AppConfig, names: Names) -> None:
        super().__init__(
            scope,
            kind="cicd-foundation",
            environment=PIPELINE,
            account=config.pipeline_account,
            config=config,
            names=names,
            description="CI/CD foundation: shared buckets, build image repository, registry credentials, approvals",
        )
        self.buckets = SharedBuckets(self, "Buckets", names=names, account=config.pipeline_account)
        self.tools_repository = tools_repository(self, "ToolsRepository", names=names, config=config)
        defaults = ProjectDefaults(
            build_image=codebuild.LinuxBuildImage.from_ecr_repository(self.tools_repository, BUILD_IMAGE.tag),
            cache_bucket=s3.Bucket.from_bucket_name(
                self, "BuildCacheByName", names.bucket(BUILD_CACHE, PIPELINE, config.pipeline_account)
            ),
        )
        self.bootstrap = ImageBootstrap(
            self, "ImageBootstrap", names=names, repository=self.tools_repository, defaults=defaults
        )
        self.bootstrap.node.add_dependency(self.buckets)
        self.registry_credentials = RegistryCredentials(self, "RegistryCredentials", names=names)
        self.approvals_topic = sns.Topic(
            self,
            "ApprovalsTopic",
            topic_name=names.approvals_topic(),
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
        cdk.CfnOutput(
            self,
            "ToolsRepositoryUri",
            value=self.tools_repository.repository_uri,
            description="The build image and the services' placeholder, filled by the image bootstrap",
        )
        cdk.CfnOutput(
            self,
            "SourceBucketName",
            value=self.buckets.source.bucket_name,
            description=f"Upload `make source-bundle` zips here, one key per application ({source_key('APP')})",
        )
