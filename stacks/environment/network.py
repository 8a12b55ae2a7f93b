"""The environment's network: a two-AZ VPC (or an existing one), its egress and its flow logs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import Environment
from stacks.naming import Names
from stacks.scanner_suppressions import skip_provider_handler_checks

AVAILABILITY_ZONES = 2
VPC_CIDR = "10.0.0.0/16"
"""Literal where rules name it: cdk-nag cannot evaluate a security group rule whose CIDR is a token."""
FLOW_LOG_RETENTION = logs.RetentionDays.ONE_MONTH

INTERFACE_ENDPOINTS = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
}
"""What Fargate tasks in subnets without a NAT gateway need: image pulls (ECR API and registry; the
layers come from S3 through the gateway endpoint), the awslogs driver, and secrets in task definitions."""


class Network(Construct):
    """VPC with public subnets for load balancers and private subnets for tasks.

    A new VPC spans the account's first two availability zones (`Fn::GetAZs` at deploy). Egress from the private
    subnets is a NAT gateway per zone (`egress: nat`) or VPC endpoints only (`egress: endpoints`,
    isolated subnets). An existing VPC (`existingVpc`) is used as configured: its egress belongs to
    its owner, so none is added. Flow logs go to a CloudWatch log group in both cases.
    """

    def __init__(self, scope: Construct, construct_id: str, *, environment: Environment, names: Names) -> None:
        super().__init__(scope, construct_id)
        env = environment.name
        if environment.existing_vpc is not None:
            existing = environment.existing_vpc
            self.vpc: ec2.IVpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=existing.vpc_id,
                availability_zones=list(existing.availability_zones),
                private_subnet_ids=list(existing.private_subnet_ids),
                public_subnet_ids=list(existing.public_subnet_ids),
            )
            # CDK warns that the imported subnets have no route table IDs; nothing here reads them.
            cdk.Annotations.of(self.vpc).acknowledge_warning(
                "@aws-cdk/aws-ec2:noSubnetRouteTableId", "no route table of the existing VPC is used"
            )
            private_subnets = self.vpc.private_subnets
        else:
            isolated = environment.egress == "endpoints"
            private_type = ec2.SubnetType.PRIVATE_ISOLATED if isolated else ec2.SubnetType.PRIVATE_WITH_EGRESS
            vpc = ec2.Vpc(
                self,
                "Vpc",
                vpc_name=names("vpc", env),
                ip_addresses=ec2.IpAddresses.cidr(VPC_CIDR),
                max_azs=AVAILABILITY_ZONES,
                nat_gateways=0 if isolated else AVAILABILITY_ZONES,
                subnet_configuration=[
                    ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                    ec2.SubnetConfiguration(name="private", subnet_type=private_type, cidr_mask=22),
                ],
            )
            self.vpc = vpc
            # @aws-cdk/aws-ec2:restrictDefaultSecurityGroup: a CDK handler strips the default security group's rules.
            skip_provider_handler_checks(
                self,
                "Custom::VpcRestrictDefaultSGCustomResourceProvider",
                "removes every rule from the new VPC's default security group",
            )
            private_subnets = vpc.isolated_subnets if isolated else vpc.private_subnets
            if isolated:
                self._add_endpoints(vpc, ec2.SubnetSelection(subnets=private_subnets), env, names)
        self.private_subnets = ec2.SubnetSelection(subnets=private_subnets)
        """Where tasks run: never a public IP, never a public subnet."""
        self.public_subnets = ec2.SubnetSelection(subnets=self.vpc.public_subnets)
        self._add_flow_logs(env, names)

    def _add_endpoints(self, vpc: ec2.Vpc, subnets: ec2.SubnetSelection, env: str, names: Names) -> None:
        security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=vpc,
            security_group_name=names("endpoints-sg", env, "AWS::EC2::SecurityGroup"),
            description="HTTPS from inside the VPC to the interface endpoints",
            allow_all_outbound=False,
        )
        security_group.add_ingress_rule(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), "HTTPS from the VPC")
        vpc.add_gateway_endpoint("S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[subnets])
        for endpoint_id, service in INTERFACE_ENDPOINTS.items():
            vpc.add_interface_endpoint(
                f"{endpoint_id}Endpoint",
                service=service,
                subnets=subnets,
                security_groups=[security_group],
                private_dns_enabled=True,
                open=False,  # the group's own rule already admits the VPC (as a literal CIDR, which cdk-nag can read)
            )

    def _add_flow_logs(self, env: str, names: Names) -> None:
        log_group = logs.LogGroup(
            self,
            "FlowLogGroup",
            log_group_name=names("vpc-flow-logs", env, "AWS::Logs::LogGroup"),
            retention=FLOW_LOG_RETENTION,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "FlowLogRole",
            role_name=names("vpc-flow-logs-role", env, "AWS::IAM::Role"),
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com"),
            description="Lets VPC Flow Logs write to this environment's flow log group",
        )
        ec2.FlowLog(
            self,
            "FlowLog",
            flow_log_name=names("vpc-flow-log", env),
            resource_type=ec2.FlowLogResourceType.from_vpc(self.vpc),
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(log_group, role),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
