"""The pipeline account's monitoring: alerts, the deployment event bus, the event log, the overview."""

from __future__ import annotations

from constructs import Construct

from stacks.config import AppConfig
from stacks.monitoring import AlertsTopic, DeliveryEventLog, DeploymentEventBus, FailureAlerts, OverviewDashboard
from stacks.monitoring.alarms import alarm_arn_patterns
from stacks.monitoring.watched import Endings
from stacks.named_stack import NamedStack
from stacks.naming import PIPELINE, Names


class MonitoringStack(NamedStack):
    """Watches every application's pipelines, projects and deployments by how their names end, and
    receives every environment's deployment events; the applications' own alarms and dashboards
    live in their pipeline stacks. Adding an application never changes this stack.

    A stack of its own, deployed first: the event bus must accept the environments' events before
    their forwarding rules exist, and alerting stays up, and changes, independently of the
    pipelines it watches. Nothing ties it to another stack but names.
    """

    def __init__(self, scope: Construct, *, config: AppConfig, names: Names) -> None:
        super().__init__(
            scope,
            kind="cicd-monitoring",
            environment=PIPELINE,
            account=config.pipeline_account,
            config=config,
            names=names,
            description="CI/CD monitoring: failure alerts, deployment events, delivery metrics, overview dashboard",
        )
        endings = Endings(names, config.environment_names)
        self.alerts = AlertsTopic(self, "Alerts", names=names, emails=config.alert_emails)
        self.alerts.allow(
            "AlarmsPublish",
            "cloudwatch.amazonaws.com",
            alarm_arn_patterns(self, names, config.environment_names),
            like=True,
        )
        self.event_bus = DeploymentEventBus(self, "DeploymentEventBus", names=names, config=config)
        self.event_log = DeliveryEventLog(
            self, "DeliveryEventLog", names=names, endings=endings, event_bus=self.event_bus.bus
        )
        self.failure_alerts = FailureAlerts(self, "FailureAlerts", names=names, endings=endings, alerts=self.alerts)
        self.dashboard = OverviewDashboard(
            self,
            "Dashboard",
            names=names,
            event_log_group=self.event_log.log_group.log_group_name,
        ).dashboard
