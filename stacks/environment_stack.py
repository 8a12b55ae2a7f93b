"""One environment (dev, staging or prod) in its account: what its applications' services share."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from stacks.config import AppConfig, Environment
from stacks.environment import AccessLogBucket, Cluster, Network
from stacks.environment.network import AVAILABILITY_ZONES
from stacks.environment.part import EnvironmentPart
from stacks.monitoring.environment import EnvironmentMonitoring
from stacks.named_stack import NamedStack
from stacks.naming import Names


class EnvironmentStack(NamedStack):
    """`cicd-<env>-<suffix>`: the VPC, the ECS cluster, the load balancers' access-log bucket, the
    forwarding of deployment events to the pipeline account and the environment's overview
    dashboard. Nothing here lists the applications: their service stacks (`ServiceStack`) use it,
    and adding one never changes this stack. Deploys before them and the pipeline stacks."""

    def __init__(self, scope: Construct, *, config: AppConfig, environment: Environment, names: Names) -> None:
        super().__init__(
            scope,
            kind="cicd",
            environment=environment.name,
            account=environment.account,
            config=config,
            names=names,
            description=f"CI/CD target environment {environment.name}: network, cluster, access logs, monitoring",
        )
        env = environment.name
        self.part = EnvironmentPart(config=config, environment=environment, names=names)
        self.network = Network(self, "Network", environment=environment, names=names)
        self.cluster = Cluster(self, "Cluster", env=env, names=names, network=self.network)
        self.access_logs = AccessLogBucket(self, "AccessLogs", env=env, account=environment.account, names=names)
        self.monitoring = EnvironmentMonitoring(self, "Monitoring", part=self.part)

    @property
    def availability_zones(self) -> list[str]:
        """The account's first zones, chosen by CloudFormation at deploy (`Fn::GetAZs`), not by a context
        lookup at synth: zone names differ per account, and a lookup would need that account's credentials
        (CDK's documented way to choose zones differently is to override this property)."""
        return [cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(AVAILABILITY_ZONES)]
