"""The AWS service events monitoring listens to: sources, detail types, states and event patterns.

Field names and values follow the services' EventBridge events (CodePipeline pipeline, stage and action
execution state changes; CodeBuild build state changes; CodeDeploy deployment state-change notifications).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_events as events

CODEPIPELINE = "aws.codepipeline"
CODEBUILD = "aws.codebuild"
CODEDEPLOY = "aws.codedeploy"

PIPELINE_EXECUTION = "CodePipeline Pipeline Execution State Change"
STAGE_EXECUTION = "CodePipeline Stage Execution State Change"
ACTION_EXECUTION = "CodePipeline Action Execution State Change"
BUILD_STATE = "CodeBuild Build State Change"
DEPLOYMENT_STATE = "CodeDeploy Deployment State-change Notification"

EXECUTION_OUTCOMES = ("SUCCEEDED", "FAILED", "STOPPED", "SUPERSEDED", "CANCELED")
"""Final states of pipeline, stage and action executions: what the event log keeps."""
BUILD_FAILURES = ("FAILED", "FAULT", "TIMED_OUT")
"""Build statuses that mean the build did not do its job (FAULT: CodeBuild's own error)."""
DEPLOYMENT_SUCCEEDED = ("SUCCESS",)
DEPLOYMENT_ROLLED_BACK = ("FAILURE", "STOP")
"""The deployment groups roll back every failed and every stopped deployment (alarms stop them)."""
DEPLOYMENT_OUTCOMES = DEPLOYMENT_SUCCEEDED + DEPLOYMENT_ROLLED_BACK


NameMatchers = Sequence[str | dict[str, str]]
"""Names, or matchers of names (`{"suffix": ...}`: every application's, see `Endings`)."""


def pipeline_events(
    detail_types: Sequence[str], pipelines: NameMatchers, states: Sequence[str], **detail: Sequence[str] | dict
) -> events.EventPattern:
    """Execution state changes of `pipelines` (only ours: accounts are shared) in one of `states`."""
    return events.EventPattern(
        source=[CODEPIPELINE],
        detail_type=list(detail_types),
        detail={"pipeline": list(pipelines), "state": list(states), **detail},
    )


def build_events(projects: NameMatchers, statuses: Sequence[str]) -> events.EventPattern:
    return events.EventPattern(
        source=[CODEBUILD],
        detail_type=[BUILD_STATE],
        detail={"project-name": list(projects), "build-status": list(statuses)},
    )


def deployment_events(deployment_groups: NameMatchers) -> events.EventPattern:
    """Final state changes (success, failure, stop) of `deployment_groups`' deployments."""
    return events.EventPattern(
        source=[CODEDEPLOY],
        detail_type=[DEPLOYMENT_STATE],
        detail={"deploymentGroup": list(deployment_groups), "state": list(DEPLOYMENT_OUTCOMES)},
    )
