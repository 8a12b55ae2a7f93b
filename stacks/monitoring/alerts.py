"""Failure and approval alerts: EventBridge rules that e-mail one readable sentence per event.

Each alert's input transformer turns the event into a sentence naming the pipeline, stage or
project, the execution or build and a console link, instead of the event's raw JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import aws_events as events
from constructs import Construct

from stacks.monitoring.events import (
    ACTION_EXECUTION,
    BUILD_FAILURES,
    PIPELINE_EXECUTION,
    STAGE_EXECUTION,
    build_events,
    pipeline_events,
)
from stacks.monitoring.targets import RuleTarget
from stacks.monitoring.topic import AlertsTopic
from stacks.monitoring.watched import Endings
from stacks.naming import PIPELINE, Names

CONSOLE = "https://console.aws.amazon.com/codesuite"


def _field(path: str) -> str:
    return events.EventField.from_path(path)


def _pipeline() -> str:
    return _field("$.detail.pipeline")


def _execution() -> str:
    return _field("$.detail.execution-id")


def _region() -> str:
    return _field("$.region")


def _execution_link() -> str:
    return f"{CONSOLE}/codepipeline/pipelines/{_pipeline()}/executions/{_execution()}/timeline?region={_region()}"


def _pipeline_failed() -> str:
    return (
        f"Pipeline {_pipeline()} failed: execution {_execution()} did not complete. "
        f"The failed stage and action are marked in its timeline: {_execution_link()}"
    )


def _stage_failed() -> str:
    return (
        f"Pipeline {_pipeline()}: stage {_field('$.detail.stage')} failed in execution {_execution()}. "
        f"Details: {_execution_link()}"
    )


def _action_failed() -> str:
    return (
        f"Pipeline {_pipeline()}: action {_field('$.detail.action')} of stage {_field('$.detail.stage')} "
        f"failed in execution {_execution()}. Details: {_execution_link()}"
    )


def _build_failed() -> str:
    project = _field("$.detail.project-name")
    return (
        f"CodeBuild project {project} ended with status {_field('$.detail.build-status')} "
        f"(build {_field('$.detail.build-id')}, started by {_field('$.detail.additional-information.initiator')}). "
        f"Logs and phases: {CONSOLE}/codebuild/projects/{project}/history?region={_region()}"
    )


def _approval_needed() -> str:
    return (
        f"Pipeline {_pipeline()} is waiting for approval {_field('$.detail.action')} in stage "
        f"{_field('$.detail.stage')} (execution {_execution()}). Review it, then approve or reject: "
        f"{CONSOLE}/codepipeline/pipelines/{_pipeline()}/view?region={_region()}"
    )


@dataclass(frozen=True)
class Alert:
    kind: str
    """Names the rule: `<kind>-alert-rule-pipeline-<suffix>`."""
    description: str
    pattern: Callable[[Endings], events.EventPattern]
    sentence: Callable[[], str]


ALERTS = (
    Alert(
        "pipeline-failed",
        "A pipeline execution failed",
        lambda endings: pipeline_events([PIPELINE_EXECUTION], endings.pipelines(), ["FAILED"]),
        _pipeline_failed,
    ),
    Alert(
        "stage-failed",
        "A pipeline stage failed",
        lambda endings: pipeline_events([STAGE_EXECUTION], endings.pipelines(), ["FAILED"]),
        _stage_failed,
    ),
    Alert(
        "action-failed",
        "A pipeline action failed",
        lambda endings: pipeline_events([ACTION_EXECUTION], endings.pipelines(), ["FAILED"]),
        _action_failed,
    ),
    Alert(
        "build-failed",
        "A CodeBuild build of a pipeline failed or timed out",
        lambda endings: build_events(endings.projects(), BUILD_FAILURES),
        _build_failed,
    ),
    Alert(
        "approval-needed",
        "A pipeline waits for a manual approval",
        lambda endings: pipeline_events(
            [ACTION_EXECUTION], endings.pipelines(), ["STARTED"], type={"category": ["Approval"]}
        ),
        _approval_needed,
    ),
)


class FailureAlerts(Construct):
    """One rule per alert of `ALERTS`, on the account's default bus, publishing to the alerts topic.
    The rules match every application's pipelines and projects by how their names end."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        endings: Endings,
        alerts: AlertsTopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.rules = {
            alert.kind: events.Rule(
                self,
                "".join(word.capitalize() for word in alert.kind.split("-")),
                rule_name=names(f"{alert.kind}-alert-rule", PIPELINE, "AWS::Events::Rule"),
                description=f"{alert.description}: e-mails the alerts topic",
                event_pattern=alert.pattern(endings),
                targets=[
                    RuleTarget(alerts.topic.topic_arn, message=events.RuleTargetInput.from_text(alert.sentence()))
                ],
            )
            for alert in ALERTS
        }
        alerts.allow("AlertRulesPublish", "events.amazonaws.com", [rule.rule_arn for rule in self.rules.values()])
