"""One application's part of the pipeline account's monitoring: its alarms and its delivery dashboard."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import AppConfig
from stacks.monitoring.alarms import DeliveryAlarms
from stacks.monitoring.dashboards import DeliveryDashboard
from stacks.monitoring.event_log import event_log_group_name
from stacks.monitoring.watched import Watched
from stacks.naming import Names
from stacks.pipeline.application import ApplicationPipeline


class ApplicationMonitoring(Construct):
    """Alarms on the application's delivery metrics, publishing to the monitoring stack's alerts topic
    (found by name), and the application's dashboard."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AppConfig, names: Names, pipeline: ApplicationPipeline
    ) -> None:
        super().__init__(scope, construct_id)
        watched = Watched.of(config, names, pipeline)
        alerts = sns.Topic.from_topic_arn(
            self, "AlertsTopic", cdk.Stack.of(self).format_arn(service="sns", resource=names.alerts_topic())
        )
        self.alarms = DeliveryAlarms(self, "Alarms", names=names, watched=watched, alerts=alerts)
        self.dashboard = DeliveryDashboard(
            self,
            "Dashboard",
            names=names,
            watched=watched,
            event_log_group=event_log_group_name(names),
            alarms=self.alarms.all,
        ).dashboard
