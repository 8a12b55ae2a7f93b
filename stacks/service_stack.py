"""One application in one environment: its blue/green service, deployment and deploy role."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.config import Application
from stacks.environment import BlueGreenDeployment, BlueGreenService, DeployRole
from stacks.environment_stack import EnvironmentStack
from stacks.monitoring.dashboards import ServiceDashboard
from stacks.named_stack import ApplicationStack


class ServiceStack(ApplicationStack):
    """`cicd-<env>-<app>-<suffix>`: the application's Fargate service behind its own load balancer, its
    CodeDeploy blue/green deployment group, the role its pipeline's deploy project assumes, and
    its dashboard. It runs on its environment stack's network and cluster, and logs to its
    access-log bucket under the application's prefix (found by name: the bucket's policy admits
    every application's prefix, so adding one leaves that stack unchanged)."""

    def __init__(self, scope: Construct, *, application: Application, shared: EnvironmentStack) -> None:
        part = shared.part
        config, environment, names = part.config, part.environment, part.names
        app, env = application.name, environment.name
        super().__init__(
            scope,
            application=application,
            environment=env,
            config=config,
            description=f"CI/CD target environment {env}: the {app} service and its blue/green deployment",
        )
        construct_id = app.capitalize()
        self.service = BlueGreenService(
            self,
            f"{construct_id}Service",
            application=application,
            environment=environment,
            names=names,
            network=shared.network,
            # By name: the dashboards and alarms then name the cluster as ECS does, not through an output.
            cluster=ecs.Cluster.from_cluster_attributes(
                self, "Cluster", cluster_name=names.cluster(env), vpc=shared.network.vpc
            ),
            access_logs=s3.Bucket.from_bucket_name(self, "AccessLogs", shared.access_logs.bucket_name),
            pipeline_account=config.pipeline_account,
        )
        self.deployment = BlueGreenDeployment(
            self, f"{construct_id}Deployment", service=self.service, environment=environment, names=names
        )
        self.deploy_role = DeployRole(
            self,
            f"{construct_id}DeployRole",
            part=part,
            application=app,
            service=self.service,
            deployment=self.deployment,
        ).role
        self.dashboard = ServiceDashboard(
            self, f"{construct_id}Dashboard", names=names, environment=env, app=app, service=self.service
        )
        cdk.CfnOutput(
            self,
            f"{construct_id}Url",
            value=f"{self.service.scheme}://{self.service.load_balancer.load_balancer_dns_name}",
            description=f"{app} in {env}",
        )
