"""Where a pipeline's source comes from: the S3 source bucket by default, or a CodeConnections repository."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.config import Source
from stacks.naming import PIPELINE, Names
from stacks.pipeline.bundle import BUNDLE_EXCLUDES, source_key
from stacks.pipeline.roles import service_role
from stacks.sdk_calls import sdk_call

SAMPLE_APP = Path(__file__).resolve().parents[2] / "sample-app"


@dataclass(frozen=True)
class PipelineSource:
    action: codepipeline.IAction
    commit: str
    """Pipeline variable naming what is built: the commit ID, or the S3 object version."""
    commit_label: str
    folder: str = ""
    """Where the application is in the source ("" for its root)."""
    triggers: tuple[codepipeline.TriggerProps, ...] = ()


def pipeline_source(
    *, app: str, source: Source | None, bucket: s3.IBucket, output: codepipeline.Artifact
) -> PipelineSource:
    if source is None:
        # Started by an EventBridge rule (start_on_upload), not by polling.
        s3_action = actions.S3SourceAction(
            action_name="Source",
            bucket=bucket,
            bucket_key=source_key(app),
            output=output,
            trigger=actions.S3Trigger.NONE,
        )
        return PipelineSource(s3_action, s3_action.variables.version_id, "source version")
    owner, repository = source.repository.split("/", 1)
    git_action = actions.CodeStarConnectionsSourceAction(
        action_name="Source",
        connection_arn=source.connection_arn,
        owner=owner,
        repo=repository,
        branch=source.branch,
        output=output,
        trigger_on_push=True,
    )
    # A V2 trigger decides which pushes start the pipeline: its branch and, for an application in a
    # folder, only changes under it (CodePipeline's glob filters: `**` crosses folders).
    push = codepipeline.GitPushFilter(
        branches_includes=[source.branch], file_paths_includes=[f"{source.folder}/**"] if source.folder else None
    )
    trigger = codepipeline.TriggerProps(
        provider_type=codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
        git_configuration=codepipeline.GitConfiguration(source_action=git_action, push_filter=[push]),
    )
    return PipelineSource(git_action, git_action.variables.commit_id, "commit", source.folder, (trigger,))


def grant_connection(role: iam.IRole, source: Source) -> None:
    """IAM matches the connection's own service prefix: CDK grants codestar-connections:UseConnection,
    which does not cover connections created as arn:aws:codeconnections:..."""
    service = source.connection_arn.split(":")[2]
    if service != "codestar-connections":
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=[f"{service}:UseConnection"], resources=[source.connection_arn])
        )


def start_on_upload(
    scope: Construct, construct_id: str, *, pipeline: codepipeline.IPipeline, bucket: s3.IBucket, app: str, names: Names
) -> events.Rule:
    """Start the application's pipeline when a new source bundle lands in the source bucket."""
    role = service_role(
        scope,
        f"{construct_id}Role",
        role_name=names(f"{app}-source-events-role", PIPELINE, "AWS::IAM::Role"),
        service="events.amazonaws.com",
        description=f"Starts the {app} pipeline when its source bundle is uploaded",
    )
    return events.Rule(
        scope,
        construct_id,
        rule_name=names(f"{app}-source-uploaded", PIPELINE, "AWS::Events::Rule"),
        description=f"A new {source_key(app)} in the source bucket starts the {app} pipeline",
        event_pattern=events.EventPattern(
            source=["aws.s3"],
            detail_type=["Object Created"],
            detail={"bucket": {"name": [bucket.bucket_name]}, "object": {"key": [source_key(app)]}},
        ),
        targets=[targets.CodePipeline(pipeline, event_role=role)],
    )


class SampleSource(Construct):
    """The sample application's source bundle (a CDK file asset: the CLI uploads it, no Docker needed),
    copied once, when each application's pipeline is created, to that application's source key.

    Only on create: a later deploy never overwrites a bundle the team uploaded since. The copy is
    an object in the source bucket, which empties with the stack.
    """

    def __init__(self, scope: Construct, construct_id: str, *, names: Names, bucket: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        self._names, self._bucket = names, bucket
        self.bundle = s3_assets.Asset(self, "Bundle", path=str(SAMPLE_APP), exclude=BUNDLE_EXCLUDES)

    def seed(self, app: str) -> cr.AwsCustomResource:
        key = source_key(app)
        return sdk_call(
            self,
            f"Seed-{app}",
            names=self._names,
            environment=PIPELINE,
            call=cr.AwsSdkCall(
                service="S3",
                action="copyObject",
                parameters={
                    "Bucket": self._bucket.bucket_name,
                    "Key": key,
                    "CopySource": f"{self.bundle.s3_bucket_name}/{self.bundle.s3_object_key}",
                },
                physical_resource_id=cr.PhysicalResourceId.of(f"{app}-sample-source"),
            ),
            statements=[
                iam.PolicyStatement(
                    actions=["s3:GetObject"], resources=[self.bundle.bucket.arn_for_objects(self.bundle.s3_object_key)]
                ),
                iam.PolicyStatement(actions=["s3:PutObject"], resources=[self._bucket.arn_for_objects(key)]),
            ],
            on_update=False,
        )
