"""The pipeline account's monitoring: alerts, the deployment event bus, delivery metrics, alarms, dashboard."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from stacks.config import AppConfig
from stacks.monitoring import (
    AlertsTopic,
    DeliveryAlarms,
    DeliveryDashboard,
    DeliveryEventLog,
    DeploymentEventBus,
    FailureAlerts,
    Watched,
)
from stacks.named_stack import NamedStack
from stacks.naming import PIPELINE, Names
from stacks.pipeline.application import ApplicationPipeline


class MonitoringStack(NamedStack):
    """Watches the pipelines (by name) and receives every environment's deployment events.

    A stack of its own, deployed first: the event bus must accept the environments' events before
    their forwarding rules exist, while the pipeline stack deploys last; and alerting stays up, and
    changes, independently of the pipelines it watches. It refers to the pipelines and projects by
    their physical names only, so no CloudFormation export ties the two stacks together.
    """

    def __init__(
        self, scope: Construct, *, config: AppConfig, names: Names, pipelines: Mapping[str, ApplicationPipeline]
    ) -> None:
        super().__init__(
            scope,
            kind="cicd-monitoring",
            environment=PIPELINE,
            account=config.pipeline_account,
            config=config,
            names=names,
            description="CI/CD monitoring: failure alerts, delivery metrics and alarms, dashboard",
        )
        watched = Watched.of(config, names, pipelines)
        self.alerts = AlertsTopic(self, "Alerts", names=names, emails=config.alert_emails)
        self.event_bus = DeploymentEventBus(self, "DeploymentEventBus", names=names, config=config)
        self.event_log = DeliveryEventLog(
            self, "DeliveryEventLog", names=names, watched=watched, event_bus=self.event_bus.bus
        )
        self.failure_alerts = FailureAlerts(
            self, "FailureAlerts", names=names, pipelines=watched.pipelines, alerts=self.alerts
        )
        self.alarms = DeliveryAlarms(self, "Alarms", names=names, watched=watched, alerts=self.alerts)
        self.dashboard = DeliveryDashboard(
            self,
            "Dashboard",
            names=names,
            watched=watched,
            event_log_group=self.event_log.log_group.log_group_name,
            alarms=self.alarms.all,
        ).dashboard
