"""Alarms on the delivery metrics: repeated pipeline failures and deployment rollbacks."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from constructs import Construct

from stacks.monitoring.metrics import DEPLOYMENTS_ROLLED_BACK, PIPELINE_FAILED, CountedEvent
from stacks.monitoring.topic import AlertsTopic
from stacks.monitoring.watched import Watched
from stacks.naming import PIPELINE, Names

REPEATED_FAILURES = 2
FAILURE_WINDOW = cdk.Duration.hours(3)
"""A single failed execution is already e-mailed by its rule; two within this window is a pattern."""
ROLLBACK_WINDOW = cdk.Duration.minutes(5)


class DeliveryAlarms(Construct):
    """Per pipeline: REPEATED_FAILURES failed executions within FAILURE_WINDOW. Per application and
    environment: any rolled-back (failed or stopped) deployment. Both notify the alerts topic."""

    def __init__(
        self, scope: Construct, construct_id: str, *, names: Names, watched: Watched, alerts: AlertsTopic
    ) -> None:
        super().__init__(scope, construct_id)
        self._alerts = alerts
        self.pipeline_failures = {
            pipeline.app: self._alarm(
                f"{pipeline.app}PipelineFailures",
                names(f"{pipeline.app}-pipeline-failures-alarm", PIPELINE, "AWS::CloudWatch::Alarm"),
                f"Pipeline {pipeline.pipeline_name} failed {REPEATED_FAILURES} or more times within "
                f"{FAILURE_WINDOW.to_hours()} hours: look for a common cause on the delivery dashboard.",
                PIPELINE_FAILED,
                pipeline.pipeline_name,
                FAILURE_WINDOW,
                REPEATED_FAILURES,
            )
            for pipeline in watched.pipelines
        }
        self.rollbacks = {
            (deployment.app, deployment.environment): self._alarm(
                f"{deployment.app}{deployment.environment.capitalize()}Rollbacks",
                names(f"{deployment.app}-rollback-alarm", deployment.environment, "AWS::CloudWatch::Alarm"),
                f"A deployment of {deployment.app} to {deployment.environment} failed or was stopped and rolled "
                f"back (deployment group {deployment.deployment_group}); the CodeDeploy console names the cause.",
                DEPLOYMENTS_ROLLED_BACK,
                deployment.deployment_group,
                ROLLBACK_WINDOW,
                1,
            )
            for deployment in watched.deployments
        }
        alerts.allow("AlarmsPublish", "cloudwatch.amazonaws.com", [alarm.alarm_arn for alarm in self.all])

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
        alarm.add_alarm_action(actions.SnsAction(self._alerts.topic))
        return alarm

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        return [*self.pipeline_failures.values(), *self.rollbacks.values()]
