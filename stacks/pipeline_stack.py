"""One application's delivery in the pipeline account: its pipeline, projects, repository, artifacts
and the alarms and dashboard that watch them."""

from __future__ import annotations

from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import AppConfig, Application
from stacks.foundation import BUILD_IMAGE
from stacks.monitoring.application import ApplicationMonitoring
from stacks.named_stack import ApplicationStack
from stacks.naming import PIPELINE, Names
from stacks.pipeline.application import ApplicationPipeline
from stacks.pipeline.projects import ProjectDefaults
from stacks.pipeline.source import SampleSource
from stacks.pipeline.storage import AUTO_DELETE_PROVIDER, PipelineBuckets
from stacks.scanner_suppressions import skip_provider_handler_checks


class PipelineStack(ApplicationStack):
    """`cicd-pipeline-<app>-<suffix>`: an ECR repository, an artifact bucket, build/test/deploy projects
    and a Source, Build, Test, Deploy pipeline for one application, with its alarms and dashboard.

    Everything shared (buckets, tools repository, registry credentials, approvals topic, alerts
    topic) is found by name, so this stack deploys, changes and is destroyed on its own. With the S3
    source (no `source` for the application), its source key is seeded with the sample application before its pipeline
    is created, so the run CodePipeline starts on creation ships the sample through dev, staging and
    prod instead of failing on an empty bucket.

    Nothing here is shared with the environment accounts except images (pulled by their task
    execution roles) and deploy-role sessions (assumed by the deploy projects).
    """

    def __init__(self, scope: Construct, *, application: Application, config: AppConfig, names: Names) -> None:
        app, environments = application.name, ", ".join(config.environment_names)
        super().__init__(
            scope,
            application=application,
            environment=PIPELINE,
            config=config,
            description=f"CI/CD pipeline of {app}: source, build, test, deploy to {environments}",
        )
        account = config.pipeline_account
        buckets = PipelineBuckets(self, "Buckets", names=names, account=account)
        tools = ecr.Repository.from_repository_name(self, "ToolsRepository", names.tools_repository())
        defaults = ProjectDefaults(
            build_image=codebuild.LinuxBuildImage.from_ecr_repository(tools, BUILD_IMAGE.tag),
            cache_bucket=buckets.cache,
        )
        self.pipeline = ApplicationPipeline(
            self,
            f"App-{app}",
            application=application,
            config=config,
            names=names,
            buckets=buckets,
            defaults=defaults,
            registry_credentials=secretsmanager.Secret.from_secret_name_v2(
                self, "RegistryCredentials", names.registry_credentials()
            ),
            approvals_topic=sns.Topic.from_topic_arn(
                self, "ApprovalsTopic", self.format_arn(service="sns", resource=names.approvals_topic())
            ),
        )
        skip_provider_handler_checks(
            self, AUTO_DELETE_PROVIDER, f"empties {app}'s artifact bucket before CloudFormation deletes it"
        )
        if application.source is None:
            sample = SampleSource(self, "SampleSource", names=names, bucket=buckets.source)
            self.pipeline.pipeline.node.add_dependency(sample.seed(app))
        self.monitoring = ApplicationMonitoring(
            self, f"{app.capitalize()}Monitoring", config=config, names=names, pipeline=self.pipeline
        )
