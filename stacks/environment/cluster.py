"""The environment's ECS cluster."""

from __future__ import annotations

from aws_cdk import aws_ecs as ecs
from constructs import Construct

from stacks.environment.network import Network
from stacks.naming import Names


class Cluster(Construct):
    """Fargate cluster with Container Insights, shared by the environment's services."""

    def __init__(self, scope: Construct, construct_id: str, *, env: str, names: Names, network: Network) -> None:
        super().__init__(scope, construct_id)
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=names.cluster(env),
            vpc=network.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
