"""Alarms on the delivery metrics: repeated pipeline failures and deployment rollbacks."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.monitoring.metrics import DEPLOYMENTS_ROLLED_BACK, PIPELINE_FAILED, CountedEvent
from stacks.monitoring.watched import Watched
from stacks.naming import PIPELINE, Names

REPEATED_FAILURES = 2
FAILURE_WINDOW = cdk.Duration.hours(3)
"""A single failed execution is already e-mailed by its rule; two within this window is a pattern."""
ROLLBACK_WINDOW = cdk.Duration.minutes(5)
PIPELINE_FAILURES, ROLLBACKS = "pipeline-failures-alarm", "rollback-alarm"
"""Alarm kinds: `<app>-<kind>-<environment>-<suffix>`."""


class DeliveryAlarms(Construct):
    """One application's alarms: REPEATED_FAILURES failed executions of its pipeline within
    FAILURE_WINDOW, and any rolled-back (failed or stopped) deployment in each environment. Both
    notify the monitoring stack's alerts topic, which admits them by `alarm_arn_patterns`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, names: Names, watched: Watched, alerts: sns.ITopic
    ) -> None:
        super().__init__(scope, construct_id)
        self._alerts = alerts
        pipeline = watched.pipeline
        self.pipeline_failures = self._alarm(
            "PipelineFailures",
            names(f"{pipeline.app}-{PIPELINE_FAILURES}", PIPELINE, "AWS::CloudWatch::Alarm"),
            f"Pipeline {pipeline.pipeline_name} failed {REPEATED_FAILURES} or more times within "
            f"{FAILURE_WINDOW.to_hours()} hours: look for a common cause on the delivery dashboard.",
            PIPELINE_FAILED,
            pipeline.pipeline_name,
            FAILURE_WINDOW,
            REPEATED_FAILURES,
        )
        self.rollbacks = {
            deployment.environment: self._alarm(
                f"{deployment.environment.capitalize()}Rollbacks",
                names(f"{deployment.app}-{ROLLBACKS}", deployment.environment, "AWS::CloudWatch::Alarm"),
                f"A deployment of {deployment.app} to {deployment.environment} failed or was stopped and rolled "
                f"back (deployment group {deployment.deployment_group}); the CodeDeploy console names the cause.",
                DEPLOYMENTS_ROLLED_BACK,
                deployment.deployment_group,
                ROLLBACK_WINDOW,
                1,
            )
            for deployment in watched.deployments
        }

    def _alarm(
        self,
        construct_id: str,
        alarm_name: str,
        description: str,
        counted: CountedEvent,
        dimension_value: str,
        period: cdk.Duration,
        threshold: int,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=alarm_name,
            alarm_description=description,
            metric=counted.metric(dimension_value, period=period),
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self._alerts))
        return alarm

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        return [self.pipeline_failures, *self.rollbacks.values()]


def alarm_arn_patterns(stack: cdk.Stack, names: Names, environments: tuple[str, ...]) -> list[str]:
    """Every application's delivery alarms, by how their names end (`*` stands for the application)."""
    endings = [names.ending(PIPELINE_FAILURES, PIPELINE), *(names.ending(ROLLBACKS, env) for env in environments)]
    return [
        stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name=f"*{ending}",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        for ending in endings
    ]
