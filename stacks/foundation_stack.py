"""The pipeline account's foundation: what must exist before the environments and the pipelines."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import AppConfig
from stacks.foundation import BUILD_IMAGE, ImageBootstrap
from stacks.named_stack import NamedStack
from stacks.naming import PIPELINE, Names
from stacks.pipeline.projects import ProjectDefaults
from stacks.pipeline.registries import tools_repository
from stacks.pipeline.storage import BUILD_CACHE, SharedBuckets


class FoundationStack(NamedStack):
    """The shared buckets (access logs, build cache), the tools repository and the bootstrap that fills
    it at deploy time: the build image, BuildKit, and the placeholder the environments' services start
    with. Deployed before the environment stacks, whose services pull the placeholder, and the pipeline
    stack, whose projects run on the build image; both find what is here by name.
    """

    def __init__(self, scope: Construct, *, config: AppConfig, names: Names) -> None:
        super().__init__(
            scope,
            kind="cicd-foundation",
            environment=PIPELINE,
            account=config.pipeline_account,
            config=config,
            names=names,
            description="CI/CD foundation: shared buckets, the tools image repository and its bootstrap",
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
        cdk.CfnOutput(
            self,
            "ToolsRepositoryUri",
            value=self.tools_repository.repository_uri,
            description="The build image, BuildKit and the services' placeholder, filled by the image bootstrap",
        )
