"""An environment account's part of monitoring: its dashboard, and its deployment events sent to the
pipeline account, where they are counted and alerted on."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from stacks.environment.part import EnvironmentPart
from stacks.environment.service import BlueGreenService
from stacks.monitoring.dashboards import EnvironmentDashboard
from stacks.monitoring.event_bus import DeploymentEventForwarder


class EnvironmentMonitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        part: EnvironmentPart,
        services: Mapping[str, BlueGreenService],
    ) -> None:
        super().__init__(scope, construct_id)
        config, environment, names = part.config, part.environment, part.names
        env = environment.name
        self.forwarder = DeploymentEventForwarder(
            self,
            "DeploymentEvents",
            names=names,
            config=config,
            environment=env,
            deployment_groups=[names.deployment_group(app, env) for app in services],
        )
        self.dashboard = EnvironmentDashboard(
            self, "Dashboard", names=names, environment=env, services=services
        ).dashboard
