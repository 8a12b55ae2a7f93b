"""The environment's ECS cluster, and the ECS service-linked role it needs in a fresh account."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.environment.network import Network
from stacks.naming import Names
from stacks.sdk_calls import sdk_call

ECS_SERVICE = "ecs.amazonaws.com"
ECS_SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"
ROLE_EXISTS = "InvalidInput"
"""IAM's error code for a service-linked role that already exists ("... has been taken in this account")."""


class Cluster(Construct):
    """Fargate cluster with Container Insights, shared by the environment's services.

    A fresh account has no ECS service-linked role until ECS first needs it, and CloudFormation's
    first cluster or service creation can fail on it ("Unable to assume the service linked role").
    So the stack creates it first; where it exists already (another stack, a second deploy) IAM
    answers InvalidInput, which counts as done. It is not deleted with the stack: it belongs to the
    account, and other ECS users there need it.
    """

    def __init__(self, scope: Construct, construct_id: str, *, env: str, names: Names, network: Network) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        role_arn = stack.format_arn(
            service="iam",
            region="",
            resource="role",
            resource_name=f"aws-service-role/{ECS_SERVICE}/{ECS_SERVICE_LINKED_ROLE}",
        )
        self.service_linked_role = sdk_call(
            self,
            "ServiceLinkedRole",
            names=names,
            environment=env,
            call=cr.AwsSdkCall(
                service="IAM",
                action="createServiceLinkedRole",
                parameters={"AWSServiceName": ECS_SERVICE},
                physical_resource_id=cr.PhysicalResourceId.of(ECS_SERVICE_LINKED_ROLE),
                ignore_error_codes_matching=ROLE_EXISTS,
            ),
            statements=[
                iam.PolicyStatement(
                    actions=["iam:CreateServiceLinkedRole"],
                    resources=[role_arn],
                    conditions={"StringEquals": {"iam:AWSServiceName": ECS_SERVICE}},
                )
            ],
            on_update=False,
        )
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=names.cluster(env),
            vpc=network.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.cluster.node.add_dependency(self.service_linked_role)
