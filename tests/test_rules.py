"""The rule functions on their own: edge cases that are quicker to state as templates than as apps."""

from __future__ import annotations

import pytest

from compliance_gate.policies.cfn_values import text
from compliance_gate.policies.model import STACK_TYPE, Resource, StackContext
from compliance_gate.policies.rules import (
    destroyable,
    naming,
    no_hardcoded_secrets,
    noncurrent_lifecycle,
    terminate_deny,
)
from compliance_gate.policies.trust import account_of

STACK = StackContext(name="cicd-pipeline-dev", suffix="dev", account="111111111111", region="us-east-1")


def res(resource_type: str, **properties) -> Resource:
    return Resource(logical_id="R", type=resource_type, properties=properties, path="s/R")


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        ("AWS::RDS::DBCluster", {"DeletionProtection": True}),
        ("AWS::DynamoDB::Table", {"DeletionProtectionEnabled": "true"}),
        ("AWS::Cognito::UserPool", {"DeletionProtection": "ACTIVE"}),
        ("AWS::AutoScaling::AutoScalingGroup", {"DeletionProtection": "prevent-all-deletion"}),
        (
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            {"LoadBalancerAttributes": [{"Key": "deletion_protection.enabled", "Value": "true"}]},
        ),
        ("AWS::EC2::LaunchTemplate", {"LaunchTemplateData": {"DisableApiTermination": True}}),
        ("AWS::NetworkFirewall::Firewall", {"DeleteProtection": True}),
        ("AWS::ECS::CapacityProvider", {"AutoScalingGroupProvider": {"ManagedTerminationProtection": "ENABLED"}}),
    ],
)
def test_deletion_protection_in_any_form_fails(resource_type: str, properties: dict) -> None:
    assert destroyable.check(res(resource_type, **properties), STACK)


@pytest.mark.parametrize("value", [False, "false", "DISABLED", "none", "BYPASS"])
def test_protection_switched_off_passes(value) -> None:
    assert destroyable.check(res("AWS::DynamoDB::Table", DeletionProtectionEnabled=value), STACK) == []


def test_deletion_protection_off_and_delete_policies_pass() -> None:
    resource = Resource(
        "R",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {"LoadBalancerAttributes": [{"Key": "deletion_protection.enabled", "Value": "false"}]},
        deletion_policy="Delete",
        update_replace_policy="Delete",
    )
    assert destroyable.check(resource, STACK) == []


@pytest.mark.parametrize(
    ("rules", "ok"),
    [
        ([{"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}], True),
        ([{"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90}, "Prefix": "logs/"}], False),
        ([{"Status": "Disabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}], False),
        ([{"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 365}}], False),
        ([{"Status": "Enabled", "ExpirationInDays": 90}], False),
    ],
)
def test_versioned_bucket_lifecycle(rules: list, ok: bool) -> None:
    bucket = res(
        "AWS::S3::Bucket", VersioningConfiguration={"Status": "Enabled"}, LifecycleConfiguration={"Rules": rules}
    )
    assert (noncurrent_lifecycle.check(bucket, STACK) == []) is ok


def test_unversioned_bucket_needs_no_noncurrent_rule() -> None:
    assert noncurrent_lifecycle.check(res("AWS::S3::Bucket"), STACK) == []


@pytest.mark.parametrize(("versioned", "problems"), [(True, 0), (False, 1)])
def test_pipeline_artifact_store_must_be_versioned(versioned: bool, problems: int) -> None:
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {}}
    if versioned:
        bucket["Properties"]["VersioningConfiguration"] = {"Status": "Enabled"}
    stack = StackContext(name=STACK.name, suffix="dev", resources={"Artifacts": bucket})
    pipeline = res("AWS::CodePipeline::Pipeline", ArtifactStore={"Type": "S3", "Location": {"Ref": "Artifacts"}})
    assert len(noncurrent_lifecycle.check(pipeline, stack)) == problems


def test_pipeline_artifact_store_outside_the_stack_cannot_be_verified() -> None:
    pipeline = res("AWS::CodePipeline::Pipeline", ArtifactStore={"Type": "S3", "Location": "some-bucket"})
    assert "versioning unverifiable" in noncurrent_lifecycle.check(pipeline, STACK)[0]


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("artifacts-bucket-pipeline-dev-111111111111", True),
        ("/cicd/build-logs-pipeline-dev", True),
        ("dev-artifacts", False),  # suffix first: no resource type and environment before it
        ("artifacts-pipeline-devx", False),  # suffix only as part of a token
        ("Artifacts-Bucket-Pipeline-dev", False),  # S3 allows no capitals
    ],
)
def test_naming_convention(name: str, ok: bool) -> None:
    resource_type = "AWS::Logs::LogGroup" if name.startswith("/") else "AWS::S3::Bucket"
    prop = "LogGroupName" if name.startswith("/") else "BucketName"
    assert (naming.check(res(resource_type, **{prop: name}), STACK) == []) is ok


def test_naming_reads_joins_and_checks_length() -> None:
    joined = {"Fn::Join": ["-", ["alb", "sample", "staging", "dev", "and-far-too-long"]]}
    problems = naming.check(res("AWS::ElasticLoadBalancingV2::LoadBalancer", Name=joined), STACK)
    assert any("AWS allows 1 to 32" in p for p in problems)


def test_cdk_internal_resources_are_exempt_not_skipped() -> None:
    provider = Resource(
        "P", "AWS::Lambda::Function", {}, path="s/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler"
    )
    assert "CDK-internal" in naming.exempt(provider, STACK)
    assert naming.exempt(res("AWS::Lambda::Function"), STACK) is None


def test_nested_stack_resource_is_exempt_but_the_stack_itself_is_not() -> None:
    assert naming.exempt(res(STACK_TYPE), STACK)
    assert naming.exempt(STACK.stack_resource(), STACK) is None


DENY = {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}


def role(principal, statements=(DENY,)) -> Resource:
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal}]}
    policies = [{"PolicyName": "guard", "PolicyDocument": {"Statement": list(statements)}}]
    return res("AWS::IAM::Role", AssumeRolePolicyDocument=trust, Policies=policies)


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": "222222222222"},
        {"AWS": "arn:aws:iam::222222222222:root"},
        {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::222222222222:role/deployer"]]}},
        {"AWS": "*"},
        "*",
    ],
)
def test_foreign_principals_need_the_deny(principal) -> None:
    assert terminate_deny.check(role(principal), STACK) == []
    assert terminate_deny.check(role(principal, statements=()), STACK)


@pytest.mark.parametrize(
    "deny",
    [
        {**DENY, "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
        {**DENY, "Resource": "arn:aws:ec2:us-east-1:111111111111:instance/i-1"},
        {**DENY, "Effect": "Allow"},
    ],
)
def test_a_narrowed_deny_does_not_count(deny: dict) -> None:
    assert terminate_deny.check(role({"AWS": "222222222222"}, statements=(deny,)), STACK)


def test_wildcard_deny_counts() -> None:
    assert terminate_deny.check(role({"AWS": "222222222222"}, statements=({**DENY, "Action": "ec2:*"},)), STACK) == []


@pytest.mark.parametrize(
    "principal",
    [{"Service": "codebuild.amazonaws.com"}, {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}],
)
def test_same_account_and_service_principals_need_no_deny(principal) -> None:
    assert terminate_deny.check(role(principal, statements=()), STACK) == []


def test_principal_reading() -> None:
    assert [
        account_of(value, {}) for value in ["111111111111", {"Ref": "AWS::AccountId"}, {"Fn::GetAtt": ["X", "Arn"]}]
    ] == [
        "111111111111",
        "${AWS::AccountId}",
        "a principal the gate cannot read ({'Fn::GetAtt': ['X', 'Arn']})",
    ]
    assert text({"Fn::Join": ["", ["a-", {"Ref": "AWS::Region"}]]}) == "a-${AWS::Region}"


@pytest.mark.parametrize(
    ("name", "value", "bad"),
    [
        ("DB_PASSWORD", "hunter2", True),
        ("GITHUB_TOKEN", "abc", True),
        ("REGISTRY_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:111111111111:secret:x", False),
        ("DB_PASSWORD", {"Ref": "SomeParameter"}, False),
        ("SOME_SETTING", "AKIAABCDEFGHIJKLMNOP", True),
        ("REPOSITORY_URL", "https://user:pa55@registry.example.com", True),
        ("LOG_LEVEL", "debug", False),
    ],
)
def test_plaintext_credentials(name: str, value, bad: bool) -> None:
    project = res("AWS::CodeBuild::Project", Environment={"EnvironmentVariables": [{"Name": name, "Value": value}]})
    container = res(
        "AWS::ECS::TaskDefinition", ContainerDefinitions=[{"Environment": [{"Name": name, "Value": value}]}]
    )
    function = res("AWS::Lambda::Function", Environment={"Variables": {name: value}})
    for resource in (project, container, function):
        assert bool(no_hardcoded_secrets.check(resource, STACK)) is bad


def test_secrets_manager_typed_build_variable_is_fine() -> None:
    variables = [{"Name": "DOCKER_PASSWORD", "Type": "SECRETS_MANAGER", "Value": "registry-secret:password"}]
    assert (
        no_hardcoded_secrets.check(
            res("AWS::CodeBuild::Project", Environment={"EnvironmentVariables": variables}), STACK
        )
        == []
    )


def test_generated_secret_is_fine() -> None:
    secret = res("AWS::SecretsManager::Secret", GenerateSecretString={"SecretStringTemplate": "{}"})
    assert no_hardcoded_secrets.check(secret, STACK) == []
