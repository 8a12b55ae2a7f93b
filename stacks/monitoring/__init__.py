"""Monitoring: failure alerts, delivery metrics from events, alarms and dashboards.

The pipeline account's part is composed by `stacks.monitoring_stack`; each environment stack adds
`EnvironmentMonitoring`.
"""

from stacks.monitoring.alarms import DeliveryAlarms
from stacks.monitoring.alerts import FailureAlerts
from stacks.monitoring.dashboards import DeliveryDashboard, EnvironmentDashboard
from stacks.monitoring.environment import EnvironmentMonitoring
from stacks.monitoring.event_bus import DeploymentEventBus, DeploymentEventForwarder
from stacks.monitoring.event_log import DeliveryEventLog
from stacks.monitoring.topic import AlertsTopic
from stacks.monitoring.watched import Watched

__all__ = [
    "AlertsTopic",
    "DeliveryAlarms",
    "DeliveryDashboard",
    "DeliveryEventLog",
    "DeploymentEventBus",
    "DeploymentEventForwarder",
    "EnvironmentDashboard",
    "EnvironmentMonitoring",
    "FailureAlerts",
    "Watched",
]
