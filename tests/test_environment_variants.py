"""The environment stacks under other configurations, in one synthesis: all environments in one account
(single-account trial), VPC endpoints instead of NAT (dev), HTTPS (staging), an existing VPC (prod),
two applications with the longest allowed application name and suffix."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from aws_cdk.assertions import Match
from cdk_nag import AwsSolutionsChecks

from compliance_gate.policies.cfn_values import as_list
from tests.environment_support import Environments, synthesize_environments
from tests.support import ROOT
from tests.toolkit.iam import inline_statements

ACCOUNT = "111111111111"
SUFFIX = "pr12345x"
LONG_APP = "abcdefghijkl"
CERTIFICATE = "arn:aws:acm:us-east-1:111111111111:certificate/0f3c2a9e-1111-2222-3333-444455556666"
EXISTING_VPC = {
    "vpcId": "vpc-0123456789abcdef0",
    "availabilityZones": ["us-east-1a", "us-east-1b"],
    "privateSubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "publicSubnetIds": ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"],
}


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory) -> Environments:
    return synthesize_environments(
        tmp_path_factory.mktemp("environment-variants"),
        **{
            "environmentSuffix": SUFFIX,
            "cicd:stagingAccount": ACCOUNT,
            "cicd:prodAccount": ACCOUNT,
            "cicd:applications": [
                {"name": "sample"},
                {"name": LONG_APP, "containerPort": 9000, "healthCheckPath": "/ready"},
            ],
            "cicd:environments": {
                "dev": {"egress": "endpoints"},
                "staging": {
                    "certificateArn": CERTIFICATE,
                    "trafficShifting": "Linear10PercentEvery3Minutes",
                    "terminationWaitMinutes": 15,
                },
                "prod": {"existingVpc": EXISTING_VPC},
            },
        },
    )


def test_single_account_mode_puts_every_environment_in_the_pipeline_account(envs: Environments) -> None:
    assert envs.config.single_account
    assert {stack.account for stack in envs.stacks.values()} == {ACCOUNT}
    assert len({stack.stack_name for stack in envs.stacks.values()}) == 3
    for env in envs.stacks:
        role = envs.role(env, f"sample-deploy-role-{env}-{SUFFIX}")
        assert inline_statements(role, "DenyTerminateInstances")[0]["Effect"] == "Deny"


def test_each_application_has_its_own_deploy_role_trusting_only_its_deploy_project(envs: Environments) -> None:
    for app in ("sample", LONG_APP):
        role = envs.role("staging", f"{app}-deploy-role-staging-{SUFFIX}")
        condition = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
        assert condition["ArnEquals"]["aws:PrincipalArn"] == [
            f"arn:aws:iam::{ACCOUNT}:role/deploy-{app}-role-staging-{SUFFIX}"
        ]
        families = {
            resource
            for statement in inline_statements(role, "BlueGreenDeploy")
            if "ecs:RegisterTaskDefinition" in as_list(statement["Action"])
            for resource in as_list(statement["Resource"])
        }
        assert families == {f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{app}-task-staging-{SUFFIX}:*"}


def test_each_application_gets_its_own_service_and_deployment_group(envs: Environments) -> None:
    for env in envs.stacks:
        template = envs.template(env)
        template.resource_count_is("AWS::ECS::Service", 2)
        template.resource_count_is("AWS::CodeDeploy::DeploymentGroup", 2)
        template.resource_count_is("AWS::ElasticLoadBalancingV2::LoadBalancer", 2)
    # The target groups' port is the placeholder's, fixed (create-only); the application's own port is
    # opened to its tasks and reaches the service through the pipeline's appspec.
    envs.template("staging").has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"Name": f"gr-{LONG_APP}-staging-{SUFFIX}", "Port": 8080, "HealthCheckPath": "/ready"},
    )
    envs.template("staging").has_resource_properties(
        "AWS::EC2::SecurityGroupIngress", {"FromPort": 9000, "ToPort": 9000, "IpProtocol": "tcp"}
    )


def test_longest_names_stay_within_the_load_balancer_limit(envs: Environments) -> None:
    names = [
        resource["Properties"]["Name"]
        for env in envs.stacks
        for cfn_type in ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup")
        for resource in envs.resources(env, cfn_type).values()
    ]
    assert max(len(name) for name in names) == 32
    assert f"lb-{LONG_APP}-staging-{SUFFIX}" in names


# --- dev: VPC endpoints instead of NAT -----------------------------------------------------


def test_endpoints_egress_has_no_nat_and_isolated_private_subnets(envs: Environments) -> None:
    template = envs.template("dev")
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    routes = [route["Properties"] for route in envs.resources("dev", "AWS::EC2::Route").values()]
    assert all("GatewayId" in route for route in routes), "only the public subnets route to the internet"
    assert len(routes) == 2


def test_endpoints_cover_image_pulls_logs_and_secrets(envs: Environments) -> None:
    endpoints = [endpoint["Properties"] for endpoint in envs.resources("dev", "AWS::EC2::VPCEndpoint").values()]
    interface = {endpoint["ServiceName"] for endpoint in endpoints if endpoint["VpcEndpointType"] == "Interface"}
    assert interface == {
        f"com.amazonaws.us-east-1.{service}" for service in ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
    }
    assert all(endpoint["PrivateDnsEnabled"] for endpoint in endpoints if endpoint["VpcEndpointType"] == "Interface")
    (gateway,) = [endpoint for endpoint in endpoints if endpoint["VpcEndpointType"] == "Gateway"]
    assert gateway["ServiceName"] == {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]}
    envs.template("dev").has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupName": f"endpoints-sg-dev-{SUFFIX}",
            "SecurityGroupIngress": [Match.object_like({"FromPort": 443, "ToPort": 443, "IpProtocol": "tcp"})],
        },
    )


# --- staging: HTTPS ---------------------------------------------------------------------------


def test_https_listeners_use_the_certificate_and_http_redirects(envs: Environments) -> None:
    template = envs.template("staging")
    for port in (443, 8443):
        template.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::Listener",
            {"Port": port, "Protocol": "HTTPS", "Certificates": [{"CertificateArn": CERTIFICATE}]},
        )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                {"Type": "redirect", "RedirectConfig": {"Port": "443", "Protocol": "HTTPS", "StatusCode": "HTTP_301"}}
            ],
        },
    )
    ports = {
        listener["Properties"]["Port"]
        for listener in envs.resources("staging", "AWS::ElasticLoadBalancingV2::Listener").values()
    }
    assert ports == {80, 443, 8443}


def test_https_hook_calls_the_https_test_listener(envs: Environments) -> None:
    hook = next(
        function["Properties"]
        for function in envs.resources("staging", "AWS::Lambda::Function").values()
        if function["Properties"].get("FunctionName") == f"sample-smoke-test-staging-{SUFFIX}"
    )
    parts = hook["Environment"]["Variables"]["TEST_URL"]["Fn::Join"][1]
    assert (parts[0], parts[-1]) == ("https://", ":8443/health")


def test_configured_traffic_shifting_and_termination_wait(envs: Environments) -> None:
    envs.template("staging").has_resource_properties(
        "AWS::CodeDeploy::DeploymentGroup",
        {
            "DeploymentConfigName": "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
            "BlueGreenDeploymentConfiguration": Match.object_like(
                {
                    "TerminateBlueInstancesOnDeploymentSuccess": {
                        "Action": "TERMINATE",
                        "TerminationWaitTimeInMinutes": 15,
                    }
                }
            ),
        },
    )


# --- prod: an existing VPC ----------------------------------------------------------------------


def test_existing_vpc_is_used_not_created(envs: Environments) -> None:
    template = envs.template("prod")
    for cfn_type in ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NatGateway", "AWS::EC2::VPCEndpoint"):
        template.resource_count_is(cfn_type, 0)
    for service in envs.resources("prod", "AWS::ECS::Service").values():
        network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["Subnets"] == EXISTING_VPC["privateSubnetIds"]
    for load_balancer in envs.resources("prod", "AWS::ElasticLoadBalancingV2::LoadBalancer").values():
        assert load_balancer["Properties"]["Subnets"] == EXISTING_VPC["publicSubnetIds"]


def test_existing_vpc_still_gets_flow_logs(envs: Environments) -> None:
    envs.template("prod").has_resource_properties(
        "AWS::EC2::FlowLog", {"ResourceId": EXISTING_VPC["vpcId"], "ResourceType": "VPC", "TrafficType": "ALL"}
    )


def test_every_cross_account_capable_role_denies_terminate_instances(envs: Environments) -> None:
    for env in envs.stacks:
        for role in envs.resources(env, "AWS::IAM::Role").values():
            principals = [
                statement["Principal"] for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            ]
            if any("AWS" in principal for principal in principals):
                denies = [
                    statement
                    for policy in role["Properties"].get("Policies", [])
                    for statement in policy["PolicyDocument"]["Statement"]
                    if statement["Effect"] == "Deny" and "ec2:TerminateInstances" in as_list(statement["Action"])
                ]
                assert denies, role["Properties"]["RoleName"]


# --- third-party scanners, in every configuration above -------------------------------------------


def test_cdk_nag_finds_nothing_unacknowledged_in_any_variant(envs: Environments) -> None:
    assert envs.nag_violations() == []
    for stack in envs.stacks.values():
        report = AwsSolutionsChecks().validate_scope(stack)
        assert [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations] == []


def test_http_listeners_are_skipped_only_without_a_certificate(envs: Environments) -> None:
    http_skips = {
        env: {path for path, check, _ in envs.checkov_skips(env) if check in ("CKV_AWS_2", "CKV_AWS_103")}
        for env in envs.stacks
    }
    assert http_skips["staging"] == set()
    for env in ("dev", "prod"):
        assert http_skips[env] == {
            f"{app}Service/LoadBalancer/{listener}/Resource"
            for app in ("Sample", LONG_APP.capitalize())
            for listener in ("ProductionListener", "TestListener")
        }


def test_existing_vpc_has_no_default_security_group_handler_to_skip(envs: Environments) -> None:
    handlers = {path.split("/")[0] for env in envs.stacks for path, _, _ in envs.checkov_skips(env)}
    assert "Custom::VpcRestrictDefaultSGCustomResourceProvider" in handlers
    assert not [path for path, _, _ in envs.checkov_skips("prod") if "VpcRestrictDefaultSG" in path]


def test_checkov_passes_every_variant(envs: Environments) -> None:
    """`make scan` checks cdk.json's configuration; HTTPS, endpoints and an existing VPC get checked here."""
    outdir = envs.system.outdir
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "checkov"), "-d", str(outdir), "--config-file", ".checkov.yaml", "-o", "json"],
        cwd=ROOT,
        env={**os.environ, "CDK_OUT": str(outdir)},
        capture_output=True,
        text=True,
        check=False,
    )
    reports = json.loads(result.stdout)
    templates = {f"/{stack.template_file}" for stack in envs.stacks.values()}
    failed = [
        (check["check_id"], check["file_path"], check["resource"])
        for report in (reports if isinstance(reports, list) else [reports])
        for check in report["results"]["failed_checks"]
        if check["file_path"] in templates
    ]
    assert failed == []
