"""The environment stacks as cdk.json configures them (the session's `system` synthesis): one per
environment, each in its own account."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from compliance_gate.policies.cfn_values import as_list
from stacks.environment.service import PLACEHOLDER_SERVER
from stacks.foundation import PLACEHOLDER
from tests.environment_support import Environments
from tests.support import Synthesized
from tests.toolkit.iam import inline_statements, policy_statements

ENVIRONMENTS = ("dev", "staging", "prod")
ACCOUNTS = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
PIPELINE_ACCOUNT = "111111111111"
APP = "sample"
TRAFFIC = {
    "dev": "CodeDeployDefault.ECSAllAtOnce",
    "staging": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    "prod": "CodeDeployDefault.ECSCanary10Percent5Minutes",
}
WILDCARD_RESOURCE_ACTIONS = {
    "ecr:GetAuthorizationToken",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "codedeploy:PutLifecycleEventHookExecutionStatus",
    "codedeploy:StopDeployment",
}
"""Actions AWS offers no resource-level permission for: the only ones allowed on Resource '*'."""


@pytest.fixture(scope="module")
def envs(system: Synthesized) -> Environments:
    return Environments.of(system)


def logical_id(envs: Environments, env: str, cfn_type: str, name_prop: str, name: str) -> str:
    matches = [
        logical
        for logical, resource in envs.resources(env, cfn_type).items()
        if resource["Properties"].get(name_prop) == name
    ]
    assert len(matches) == 1, f"expected one {cfn_type} named {name} in {env}, found {matches}"
    return matches[0]


@pytest.mark.parametrize("env", ENVIRONMENTS)
class TestEnvironment:
    def test_stack_is_named_and_placed_in_its_account(self, envs: Environments, env: str) -> None:
        stack = envs.stacks[env]
        assert stack.stack_name == f"cicd-{env}-dev"
        assert (stack.account, stack.region) == (ACCOUNTS[env], "us-east-1")

    # --- network -------------------------------------------------------------------------

    def test_vpc_spans_two_zones_with_public_and_private_subnets(self, envs: Environments, env: str) -> None:
        subnets = envs.resources(env, "AWS::EC2::Subnet").values()
        zones = {json.dumps(subnet["Properties"]["AvailabilityZone"]) for subnet in subnets}
        # The account's first two zones, chosen by CloudFormation at deploy: no lookup at synth.
        assert zones == {json.dumps({"Fn::Select": [index, {"Fn::GetAZs": ""}]}) for index in (0, 1)}
        public = [subnet for subnet in subnets if subnet["Properties"]["MapPublicIpOnLaunch"]]
        assert len(public) == 2 and len(subnets) == 4

    def test_tasks_run_in_private_subnets_without_public_ip(self, envs: Environments, env: str) -> None:
        private_subnets = {
            logical
            for logical, subnet in envs.resources(env, "AWS::EC2::Subnet").items()
            if not subnet["Properties"]["MapPublicIpOnLaunch"]
        }
        (service,) = envs.resources(env, "AWS::ECS::Service").values()
        network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
        assert {envs.referenced(env, subnet) for subnet in network["Subnets"]} == private_subnets

    def test_egress_through_a_nat_gateway_per_zone(self, envs: Environments, env: str) -> None:
        envs.template(env).resource_count_is("AWS::EC2::NatGateway", 2)
        envs.template(env).resource_count_is("AWS::EC2::VPCEndpoint", 0)

    def test_flow_logs_go_to_a_destroyable_log_group_with_retention(self, envs: Environments, env: str) -> None:
        template = envs.template(env)
        group = logical_id(envs, env, "AWS::Logs::LogGroup", "LogGroupName", f"vpc-flow-logs-{env}-dev")
        (vpc,) = envs.resources(env, "AWS::EC2::VPC")
        template.has_resource_properties(
            "AWS::EC2::FlowLog",
            {
                "ResourceId": {"Ref": vpc},
                "ResourceType": "VPC",
                "TrafficType": "ALL",
                "LogDestinationType": "cloud-watch-logs",
                "LogGroupName": {"Ref": group},
            },
        )
        log_group = envs.templates[env]["Resources"][group]
        assert log_group["Properties"]["RetentionInDays"] == 30
        assert log_group["DeletionPolicy"] == "Delete"

    # --- cluster and service -------------------------------------------------------------

    def test_cluster_has_container_insights(self, envs: Environments, env: str) -> None:
        envs.template(env).has_resource_properties(
            "AWS::ECS::Cluster",
            {
                "ClusterName": f"ecs-cluster-{env}-dev",
                "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
            },
        )

    def test_service_is_deployed_by_codedeploy_behind_the_blue_target_group(self, envs: Environments, env: str) -> None:
        blue = logical_id(envs, env, "AWS::ElasticLoadBalancingV2::TargetGroup", "Name", f"bl-{APP}-{env}-dev")
        envs.template(env).has_resource_properties(
            "AWS::ECS::Service",
            {
                "ServiceName": f"{APP}-ecs-service-{env}-dev",
                "LaunchType": "FARGATE",
                "DesiredCount": 2,
                "DeploymentController": {"Type": "CODE_DEPLOY"},
                "LoadBalancers": [{"ContainerName": APP, "ContainerPort": 8080, "TargetGroupArn": {"Ref": blue}}],
            },
        )

    def test_task_definition_starts_from_the_placeholder_image_and_logs_with_retention(
        self, envs: Environments, env: str
    ) -> None:
        (task,) = envs.resources(env, "AWS::ECS::TaskDefinition").values()
        properties = task["Properties"]
        assert properties["Family"] == f"{APP}-task-{env}-dev"
        (container,) = properties["ContainerDefinitions"]
        assert container["Name"] == APP and container["PortMappings"] == [{"ContainerPort": 8080, "Protocol": "tcp"}]
        # The placeholder server and its port are the command: no environment variables at all (cdk-nag ECS2).
        assert container["Command"] == ["python", "-c", PLACEHOLDER_SERVER.read_text(), "8080"]
        assert "Environment" not in container and container["User"] == "65534"
        # The pipeline account's tools repository, which the foundation stack fills before this stack deploys.
        assert container["Image"] == {
            "Fn::Join": [
                "",
                [
                    "111111111111.dkr.ecr.us-east-1.",
                    {"Ref": "AWS::URLSuffix"},
                    f"/tools-ecr-repository-pipeline-dev:{PLACEHOLDER.tag}",
                ],
            ]
        }
        log_group = envs.names.task_log_group(APP, env)
        assert log_group == f"{APP}-task-logs-{env}-dev"
        group = logical_id(envs, env, "AWS::Logs::LogGroup", "LogGroupName", log_group)
        assert container["LogConfiguration"]["Options"]["awslogs-group"] == {"Ref": group}
        assert envs.templates[env]["Resources"][group]["Properties"]["RetentionInDays"] == 30

    # --- load balancer -------------------------------------------------------------------

    def test_load_balancer_is_public_named_and_destroyable(self, envs: Environments, env: str) -> None:
        envs.template(env).has_resource_properties(
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            {
                "Name": f"lb-{APP}-{env}-dev",
                "Scheme": "internet-facing",
                "LoadBalancerAttributes": Match.array_with([{"Key": "deletion_protection.enabled", "Value": "false"}]),
            },
        )

    def test_load_balancer_logs_to_an_sse_s3_bucket_that_is_emptied_on_destroy(
        self, envs: Environments, env: str
    ) -> None:
        bucket = logical_id(envs, env, "AWS::S3::Bucket", "BucketName", f"alb-access-logs-{env}-dev-{ACCOUNTS[env]}")
        properties = envs.templates[env]["Resources"][bucket]["Properties"]
        assert properties["BucketEncryption"] == {
            "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        }
        assert properties["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 90
        # Versioned (checkov CKV_AWS_21), so the gate's 90-day noncurrent expiry applies (CMP003).
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert properties["LifecycleConfiguration"]["Rules"][0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
        assert {"Key": "aws-cdk:auto-delete-objects", "Value": "true"} in properties["Tags"]
        template = envs.template(env)
        template.has_resource_properties(
            "AWS::S3::BucketPolicy",
            {
                "Bucket": {"Ref": bucket},
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                    )
                },
            },
        )
        template.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            {
                "LoadBalancerAttributes": Match.array_with(
                    [
                        {"Key": "access_logs.s3.enabled", "Value": "true"},
                        {"Key": "access_logs.s3.bucket", "Value": f"alb-access-logs-{env}-dev-{ACCOUNTS[env]}"},
                        {"Key": "access_logs.s3.prefix", "Value": APP},
                    ]
                )
            },
        )
        # Granted once for every application's prefix: a new service stack adds nothing to this policy.
        (policy,) = envs.resources(env, "AWS::S3::BucketPolicy").values()
        writes = [
            statement
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Action"] == "s3:PutObject"
        ]
        logs = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/*/AWSLogs/{ACCOUNTS[env]}/*"]]}
        assert [(statement["Principal"], statement["Resource"]) for statement in writes] == [
            ({"AWS": "arn:aws:iam::127311923021:root"}, logs),
            ({"Service": "delivery.logs.amazonaws.com"}, logs),
        ]

    def test_production_listener_serves_blue_and_test_listener_serves_green(self, envs: Environments, env: str) -> None:
        template = envs.template(env)
        for port, color in ((80, "bl"), (8080, "gr")):
            target_group = logical_id(
                envs, env, "AWS::ElasticLoadBalancingV2::TargetGroup", "Name", f"{color}-{APP}-{env}-dev"
            )
            template.has_resource_properties(
                "AWS::ElasticLoadBalancingV2::Listener",
                {
                    "Port": port,
                    "Protocol": "HTTP",
                    "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": target_group}}],
                },
            )
        template.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 2)

    def test_target_groups_check_the_health_path(self, envs: Environments, env: str) -> None:
        groups = envs.resources(env, "AWS::ElasticLoadBalancingV2::TargetGroup").values()
        assert {group["Properties"]["Name"] for group in groups} == {f"bl-{APP}-{env}-dev", f"gr-{APP}-{env}-dev"}
        for group in groups:
            properties = group["Properties"]
            assert properties["TargetType"] == "ip" and properties["Port"] == 8080
            assert properties["HealthCheckPath"] == "/health"
            assert properties["Matcher"] == {"HttpCode": "200"}
            assert (properties["HealthyThresholdCount"], properties["UnhealthyThresholdCount"]) == (2, 3)
            assert properties["HealthCheckIntervalSeconds"] > properties["HealthCheckTimeoutSeconds"]

    # --- CodeDeploy ----------------------------------------------------------------------

    def test_deployment_group_is_blue_green_with_traffic_control(self, envs: Environments, env: str) -> None:
        resources = envs.templates[env]["Resources"]
        (group,) = envs.resources(env, "AWS::CodeDeploy::DeploymentGroup").values()
        properties = group["Properties"]
        assert properties["DeploymentGroupName"] == f"{APP}-deployment-group-{env}-dev"
        assert properties["DeploymentStyle"] == {
            "DeploymentType": "BLUE_GREEN",
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        }
        (application,) = envs.resources(env, "AWS::CodeDeploy::Application")
        assert properties["ApplicationName"] == {"Ref": application}
        assert resources[application]["Properties"] == {
            "ApplicationName": f"{APP}-codedeploy-app-{env}-dev",
            "ComputePlatform": "ECS",
        }
        (pair,) = properties["LoadBalancerInfo"]["TargetGroupPairInfoList"]
        production, test = (
            logical_id(envs, env, "AWS::ElasticLoadBalancingV2::Listener", "Port", port) for port in (80, 8080)
        )
        assert pair["ProdTrafficRoute"] == {"ListenerArns": [{"Ref": production}]}
        assert pair["TestTrafficRoute"] == {"ListenerArns": [{"Ref": test}]}
        assert len(pair["TargetGroups"]) == 2

    def test_deployment_rolls_back_on_failure_stop_and_alarm(self, envs: Environments, env: str) -> None:
        (group,) = envs.resources(env, "AWS::CodeDeploy::DeploymentGroup").values()
        rollback = group["Properties"]["AutoRollbackConfiguration"]
        assert rollback["Enabled"] is True
        assert set(rollback["Events"]) == {
            "DEPLOYMENT_FAILURE",
            "DEPLOYMENT_STOP_ON_REQUEST",
            "DEPLOYMENT_STOP_ON_ALARM",
        }

    def test_target_5xx_and_unhealthy_host_alarms_are_wired_into_the_group(self, envs: Environments, env: str) -> None:
        alarms = envs.resources(env, "AWS::CloudWatch::Alarm")
        metrics = sorted(alarm["Properties"]["MetricName"] for alarm in alarms.values())
        assert metrics == ["HTTPCode_Target_5XX_Count"] * 2 + ["UnHealthyHostCount"] * 2
        for alarm in alarms.values():
            dimensions = {dimension["Name"] for dimension in alarm["Properties"]["Dimensions"]}
            assert dimensions == {"LoadBalancer", "TargetGroup"}
            assert alarm["Properties"]["AlarmName"].endswith(f"-alarm-{env}-dev")
        (group,) = envs.resources(env, "AWS::CodeDeploy::DeploymentGroup").values()
        configuration = group["Properties"]["AlarmConfiguration"]
        assert configuration["Enabled"] is True
        assert sorted(alarm["Name"]["Ref"] for alarm in configuration["Alarms"]) == sorted(alarms)

    def test_traffic_shifting_follows_the_environment(self, envs: Environments, env: str) -> None:
        envs.template(env).has_resource_properties(
            "AWS::CodeDeploy::DeploymentGroup", {"DeploymentConfigName": TRAFFIC[env]}
        )

    def test_blue_tasks_terminate_after_a_bounded_wait(self, envs: Environments, env: str) -> None:
        envs.template(env).has_resource_properties(
            "AWS::CodeDeploy::DeploymentGroup",
            {
                "BlueGreenDeploymentConfiguration": Match.object_like(
                    {
                        "TerminateBlueInstancesOnDeploymentSuccess": {
                            "Action": "TERMINATE",
                            "TerminationWaitTimeInMinutes": 5,
                        }
                    }
                )
            },
        )

    def test_codedeploy_role_is_scoped_to_the_service_without_the_managed_policy(
        self, envs: Environments, env: str
    ) -> None:
        role = envs.role(env, f"{APP}-codedeploy-role-{env}-dev")
        assert "ManagedPolicyArns" not in role
        (group,) = envs.resources(env, "AWS::CodeDeploy::DeploymentGroup").values()
        role_id = logical_id(envs, env, "AWS::IAM::Role", "RoleName", f"{APP}-codedeploy-role-{env}-dev")
        assert group["Properties"]["ServiceRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
        statements = inline_statements(role, "EcsBlueGreen")
        (invoke,) = [statement for statement in statements if statement["Action"] == "lambda:InvokeFunction"]
        hook = logical_id(envs, env, "AWS::Lambda::Function", "FunctionName", f"{APP}-smoke-test-{env}-dev")
        assert invoke["Resource"] == {"Fn::GetAtt": [hook, "Arn"]}

    # --- smoke-test hook -----------------------------------------------------------------

    def test_hook_smoke_tests_the_test_listener(self, envs: Environments, env: str) -> None:
        hook = logical_id(envs, env, "AWS::Lambda::Function", "FunctionName", envs.names.smoke_test_function(APP, env))
        properties = envs.templates[env]["Resources"][hook]["Properties"]
        (load_balancer,) = envs.resources(env, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        test_url = properties["Environment"]["Variables"]["TEST_URL"]
        assert test_url == {"Fn::Join": ["", ["http://", {"Fn::GetAtt": [load_balancer, "DNSName"]}, ":8080/health"]]}
        assert properties["Handler"] == "handler.handler"
        assert properties["Runtime"].startswith("python3.")

    def test_hook_role_may_only_log_and_report_status(self, envs: Environments, env: str) -> None:
        role = envs.role(env, f"{APP}-smoke-test-role-{env}-dev")
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
        actions = {
            action for statement in inline_statements(role, "SmokeTestHook") for action in as_list(statement["Action"])
        }
        assert actions == {
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "codedeploy:PutLifecycleEventHookExecutionStatus",
        }
        hook_role = logical_id(envs, env, "AWS::IAM::Role", "RoleName", f"{APP}-smoke-test-role-{env}-dev")
        assert not [
            policy
            for policy in envs.resources(env, "AWS::IAM::Policy").values()
            if {"Ref": hook_role} in policy["Properties"]["Roles"]
        ]

    # --- deploy role and task roles ------------------------------------------------------

    def test_deploy_role_trusts_exactly_the_deploy_project_roles_with_the_external_id(
        self, envs: Environments, env: str
    ) -> None:
        role = envs.role(env, f"{APP}-deploy-role-{env}-dev")
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{PIPELINE_ACCOUNT}:root"}
        assert statement["Condition"] == {
            "StringEquals": {"sts:ExternalId": f"cicd-deploy-{env}-dev"},
            "ArnEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{PIPELINE_ACCOUNT}:role/deploy-{APP}-role-{env}-dev"]},
        }

    def test_deploy_role_trust_matches_the_names_the_pipeline_uses(self, envs: Environments, env: str) -> None:
        names = envs.names
        role = envs.role(env, names.deploy_role(APP, env))
        condition = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
        assert condition["StringEquals"]["sts:ExternalId"] == names.external_id(env)
        assert condition["ArnEquals"]["aws:PrincipalArn"] == [
            f"arn:aws:iam::{PIPELINE_ACCOUNT}:role/{names.deploy_project_role(APP, env)}"
        ]

    def test_deploy_role_denies_terminate_instances_in_its_own_policy(self, envs: Environments, env: str) -> None:
        role = envs.role(env, f"{APP}-deploy-role-{env}-dev")
        assert inline_statements(role, "DenyTerminateInstances") == [
            {"Sid": "DenyTerminateInstances", "Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}
        ]

    def test_deploy_role_may_only_deploy_this_service(self, envs: Environments, env: str) -> None:
        role = envs.role(env, f"{APP}-deploy-role-{env}-dev")
        statements = {
            tuple(sorted(as_list(statement["Action"]))): statement
            for statement in inline_statements(role, "BlueGreenDeploy")
        }
        assert set(statements) == {
            ("ecs:RegisterTaskDefinition",),
            ("iam:PassRole",),
            ("codedeploy:CreateDeployment", "codedeploy:GetDeployment"),
            ("codedeploy:StopDeployment",),
            (
                "codedeploy:GetApplication",
                "codedeploy:GetApplicationRevision",
                "codedeploy:RegisterApplicationRevision",
            ),
            ("codedeploy:GetDeploymentConfig",),
        }
        account = ACCOUNTS[env]
        register = statements[("ecs:RegisterTaskDefinition",)]
        assert register["Resource"] == f"arn:aws:ecs:us-east-1:{account}:task-definition/{APP}-task-{env}-dev:*"
        pass_role = statements[("iam:PassRole",)]
        roles = {
            logical_id(envs, env, "AWS::IAM::Role", "RoleName", name)
            for name in (f"{APP}-task-role-{env}-dev", f"{APP}-execution-role-{env}-dev")
        }
        assert {resource["Fn::GetAtt"][0] for resource in pass_role["Resource"]} == roles
        assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
        (group,) = envs.resources(env, "AWS::CodeDeploy::DeploymentGroup")
        deployments = statements[("codedeploy:CreateDeployment", "codedeploy:GetDeployment")]
        assert statements[("codedeploy:StopDeployment",)]["Resource"] == "*"  # no resource type in the reference
        assert {"Ref": group} in deployments["Resource"]["Fn::Join"][1]
        config = statements[("codedeploy:GetDeploymentConfig",)]["Resource"]["Fn::Join"][1]
        assert config[-1].endswith(f":codedeploy:us-east-1:{account}:deploymentconfig:{TRAFFIC[env]}")

    def test_execution_role_pulls_from_the_pipeline_accounts_repository(self, envs: Environments, env: str) -> None:
        role = envs.role(env, f"{APP}-execution-role-{env}-dev")
        statements = inline_statements(role, "PullApplicationImage")
        assert statements == [
            {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"},
            {
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Effect": "Allow",
                "Resource": f"arn:aws:ecr:us-east-1:{PIPELINE_ACCOUNT}:repository/{APP}-ecr-repository-pipeline-dev",
            },
        ]

    def test_execution_role_has_no_implicit_grants(self, envs: Environments, env: str) -> None:
        """Immutable: the placeholder pull and the log writes CDK would grant are in its own inline policy."""
        role = envs.role(env, f"{APP}-execution-role-{env}-dev")
        group = logical_id(envs, env, "AWS::Logs::LogGroup", "LogGroupName", f"{APP}-task-logs-{env}-dev")
        assert inline_statements(role, "PlaceholderImageAndTaskLogs") == [
            {
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Effect": "Allow",
                "Resource": "arn:aws:ecr:us-east-1:111111111111:repository/tools-ecr-repository-pipeline-dev",
            },
            {
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [group, "Arn"]},
            },
        ]
        execution_role = logical_id(envs, env, "AWS::IAM::Role", "RoleName", f"{APP}-execution-role-{env}-dev")
        assert not [
            policy
            for policy in envs.resources(env, "AWS::IAM::Policy").values()
            if {"Ref": execution_role} in policy["Properties"]["Roles"]
        ]

    # --- the gate's rules, as far as this stack is concerned ------------------------------

    def test_no_wildcard_actions_and_wildcard_resources_only_where_aws_requires(
        self, envs: Environments, env: str
    ) -> None:
        for statement in policy_statements(envs.templates[env]):
            actions = as_list(statement["Action"])
            assert not [action for action in actions if "*" in action], statement
            if statement["Effect"] == "Allow" and "*" in as_list(statement["Resource"]):
                assert set(actions) <= WILDCARD_RESOURCE_ACTIONS, statement

    def test_every_resource_is_destroyable(self, envs: Environments, env: str) -> None:
        for logical, resource in envs.templates[env]["Resources"].items():
            for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
                assert resource.get(policy, "Delete") == "Delete", (logical, policy)
