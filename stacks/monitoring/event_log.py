"""The pipeline account's delivery event log: pipeline and deployment events, kept and counted."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.monitoring.events import (
    ACTION_EXECUTION,
    EXECUTION_OUTCOMES,
    PIPELINE_EXECUTION,
    STAGE_EXECUTION,
    deployment_events,
    pipeline_events,
)
from stacks.monitoring.metrics import COUNTED_EVENTS, NAMESPACE
from stacks.monitoring.targets import log_group_target
from stacks.monitoring.watched import Endings
from stacks.naming import PIPELINE, Names

EVENT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
"""Enough for the dashboard's recent-failures query; the counts live on as metrics (15 months)."""


def event_log_group_name(names: Names) -> str:
    """The log group every application's dashboard queries (EventBridge writes only under /aws/events/)."""
    return names("/aws/events/delivery-events", PIPELINE, "AWS::Logs::LogGroup")


class DeliveryEventLog(Construct):
    """EventBridge rules write the events to a log group whose metric filters count them.

    Pipeline executions (and their stages and actions) come from the account's default bus;
    deployments from `event_bus`, where every environment forwards its CodeDeploy events. Counting
    with metric filters keeps the path native: no function to run, patch or pay for.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, names: Names, endings: Endings, event_bus: events.IEventBus
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=event_log_group_name(names),
            retention=EVENT_LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        self.resource_policy = logs.ResourcePolicy(
            self,
            "ResourcePolicy",
            resource_policy_name=names("delivery-events-log-policy", PIPELINE),
            policy_statements=[
                # EventBridge documents no source condition for log delivery: the grant is scoped by
                # resource instead, to this one log group, which only these two rules target.
                iam.PolicyStatement(
                    sid="EventBridgeWritesDeliveryEvents",
                    principals=[
                        iam.ServicePrincipal("events.amazonaws.com"),
                        iam.ServicePrincipal("delivery.logs.amazonaws.com"),
                    ],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[self.log_group.log_group_arn],
                )
            ],
        )
        self.pipeline_rule = events.Rule(
            self,
            "PipelineEventsRule",
            rule_name=names("pipeline-events-log-rule", PIPELINE, "AWS::Events::Rule"),
            description="Logs the outcome of every execution, stage and action of this system's pipelines",
            event_pattern=pipeline_events(
                [PIPELINE_EXECUTION, STAGE_EXECUTION, ACTION_EXECUTION],
                endings.pipelines(),
                EXECUTION_OUTCOMES,
            ),
            targets=[log_group_target(self.log_group)],
        )
        self.deployment_rule = events.Rule(
            self,
            "DeploymentEventsRule",
            rule_name=names("deployment-events-log-rule", PIPELINE, "AWS::Events::Rule"),
            description="Logs the outcome of every deployment the environments forward to this bus",
            event_bus=event_bus,
            event_pattern=deployment_events(endings.deployment_groups()),
            targets=[log_group_target(self.log_group)],
        )
        for rule in (self.pipeline_rule, self.deployment_rule):
            rule.node.add_dependency(self.resource_policy)
        self.metric_filters = {
            counted.metric_name: logs.MetricFilter(
                self,
                f"{counted.metric_name}Filter",
                log_group=self.log_group,
                filter_name=names(f"{counted.kind}-filter", PIPELINE, "AWS::Logs::MetricFilter"),
                filter_pattern=counted.filter_pattern(),
                metric_namespace=NAMESPACE,
                metric_name=counted.metric_name,
                metric_value="1",
                dimensions={counted.dimension: counted.dimension_path},
            )
            for counted in COUNTED_EVENTS
        }
