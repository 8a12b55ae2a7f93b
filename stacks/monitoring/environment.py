"""An environment account's part of monitoring: its overview dashboard, and its deployment events sent
to the pipeline account, where they are counted and alerted on."""

from __future__ import annotations

from constructs import Construct

from stacks.environment.part import EnvironmentPart
from stacks.monitoring.dashboards import EnvironmentOverview
from stacks.monitoring.event_bus import DeploymentEventForwarder
from stacks.monitoring.watched import Endings


class EnvironmentMonitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, part: EnvironmentPart) -> None:
        super().__init__(scope, construct_id)
        config, environment, names = part.config, part.environment, part.names
        env = environment.name
        self.forwarder = DeploymentEventForwarder(
            self,
            "DeploymentEvents",
            names=names,
            config=config,
            environment=env,
            deployment_groups=Endings(names, config.environment_names).deployment_groups((env,)),
        )
        self.dashboard = EnvironmentOverview(self, "Dashboard", names=names, environment=env).dashboard
