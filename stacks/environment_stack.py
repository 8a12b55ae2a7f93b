"""One environment (dev, staging or prod) in its account: network, cluster, blue/green services, deploy role."""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from stacks.config import AppConfig, Environment
from stacks.environment import AccessLogBucket, BlueGreenDeployment, BlueGreenService, Cluster, DeployRole, Network
from stacks.environment.part import EnvironmentPart
from stacks.monitoring.environment import EnvironmentMonitoring
from stacks.named_stack import NamedStack
from stacks.naming import Names


class EnvironmentStack(NamedStack):
    """Everything one environment runs: a VPC, an ECS cluster and per application a Fargate service
    behind its load balancer with a CodeDeploy blue/green deployment group, plus the role the
    pipeline's deploy projects assume. Deploys before the pipeline stack."""

    def __init__(self, scope: Construct, *, config: AppConfig, environment: Environment, names: Names) -> None:
        super().__init__(
            scope,
            kind="cicd",
            environment=environment.name,
            account=environment.account,
            config=config,
            names=names,
            description=f"CI/CD target environment {environment.name}: Fargate services, blue/green deployments",
        )
        env = environment.name
        network = Network(self, "Network", environment=environment, names=names)
        cluster = Cluster(self, "Cluster", env=env, names=names, network=network)
        access_logs = AccessLogBucket(self, "AccessLogs", env=env, account=environment.account, names=names)
        self.services: dict[str, BlueGreenService] = {}
        """Per application name; `service.http_listeners` are the listeners that take plain HTTP."""
        targets = []
        for application in config.applications:
            construct_id = application.name.capitalize()
            service = BlueGreenService(
                self,
                f"{construct_id}Service",
                application=application,
                environment=environment,
                names=names,
                network=network,
                cluster=cluster.cluster,
                access_logs=access_logs.bucket,
                pipeline_account=config.pipeline_account,
            )
            deployment = BlueGreenDeployment(
                self, f"{construct_id}Deployment", service=service, environment=environment, names=names
            )
            self.services[application.name] = service
            targets.append((service, deployment))
            cdk.CfnOutput(
                self,
                f"{construct_id}Url",
                value=f"{service.scheme}://{service.load_balancer.load_balancer_dns_name}",
                description=f"{application.name} in {env}",
            )
        part = EnvironmentPart(config=config, environment=environment, names=names)
        self.deploy_role = DeployRole(self, "DeployRole", part=part, targets=targets).role
        self.monitoring = EnvironmentMonitoring(self, "Monitoring", part=part, services=self.services)
