"""Monitoring: failure alerts, delivery metrics from events, alarms and dashboards.

The pipeline account's shared part is composed by `stacks.monitoring_stack`; each application's
pipeline stack adds `ApplicationMonitoring`, each environment stack `EnvironmentMonitoring`, each
service stack a `ServiceDashboard`.
"""

from stacks.monitoring.alerts import FailureAlerts
from stacks.monitoring.dashboards import OverviewDashboard
from stacks.monitoring.event_bus import DeploymentEventBus, DeploymentEventForwarder
from stacks.monitoring.event_log import DeliveryEventLog
from stacks.monitoring.topic import AlertsTopic

__all__ = [
    "AlertsTopic",
    "DeliveryEventLog",
    "DeploymentEventBus",
    "DeploymentEventForwarder",
    "FailureAlerts",
    "OverviewDashboard",
]
