"""Third-party scanners on the environment stacks (the session's `system` synthesis): cdk-nag finds
nothing unacknowledged, and every cdk-nag acknowledgement and checkov skip is the reviewed one, on one
resource, with its reason. (tests/test_system.py runs cdk-nag on every stack; `make scan` runs checkov and
cfn-lint themselves on cdk.out.)"""

from __future__ import annotations

import pytest

from compliance_gate.policies.cfn_values import as_list
from tests.environment_support import NAG_RULE, Environments
from tests.support import Synthesized
from tests.toolkit.iam import policy_statements_by_resource

ENVIRONMENTS = ("dev", "staging", "prod")
ACCOUNTS = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
APP = "sample"
MIN_REASON = 100
"""Characters: a reason says why this resource, and why AWS offers nothing better; a slogan is shorter."""
VAGUE = ("not needed", "not required", "n/a", "false positive")


def acknowledged_findings(env: str) -> set[tuple[str, str]]:
    """What a reviewer accepted per environment: (construct path below the stack, cdk-nag finding)."""
    arn = f"arn:aws:{{}}:us-east-1:{ACCOUNTS[env]}:{{}}"
    service, cluster = f"{APP}-ecs-service-{env}-dev", f"ecs-cluster-{env}-dev"
    return {
        ("AccessLogs/Bucket/Resource", "AwsSolutions-S1"),
        ("SampleService/LoadBalancerSecurityGroup/Resource", "AwsSolutions-EC23"),
        ("SampleService/ExecutionRole/Resource", "AwsSolutions-IAM5[Resource::*]"),
        ("SampleDeployment/SmokeTest/Role/Resource", "AwsSolutions-IAM5[Resource::*]"),
        ("SampleDeployment/ServiceRole/Resource", "AwsSolutions-IAM5[Resource::*]"),
        ("SampleDeployRole/Role/Resource", "AwsSolutions-IAM5[Resource::*]"),
        (
            "SampleDeployment/ServiceRole/Resource",
            f"AwsSolutions-IAM5[Resource::{arn.format('ecs', f'task-set/{cluster}/{service}/*')}]",
        ),
        (
            "SampleDeployment/ServiceRole/Resource",
            "AwsSolutions-IAM5[Resource::"
            f"{arn.format('elasticloadbalancing', f'listener-rule/app/lb-{APP}-{env}-dev/*')}]",
        ),
        (
            "SampleDeployRole/Role/Resource",
            f"AwsSolutions-IAM5[Resource::{arn.format('ecs', f'task-definition/{APP}-task-{env}-dev:*')}]",
        ),
    }


PROVIDER_CHECKS = ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117")
SKIPPED_CHECKS = {
    ("AccessLogs/Bucket/Resource", "CKV_AWS_18"),
    ("SampleService/LoadBalancerSecurityGroup/Resource", "CKV_AWS_260"),
    *(
        (f"SampleService/LoadBalancer/{listener}/Resource", check)
        for listener in ("ProductionListener", "TestListener")
        for check in ("CKV_AWS_2", "CKV_AWS_103")
    ),
    *(("SampleDeployment/SmokeTest/Function/Resource", check) for check in (*PROVIDER_CHECKS, "CKV_AWS_173")),
    *(
        (f"Custom::{provider}CustomResourceProvider/Handler", check)
        for provider in ("S3AutoDeleteObjects", "VpcRestrictDefaultSG")
        for check in PROVIDER_CHECKS
    ),
    # AwsCustomResource's singleton function and its log group: the ECS service-linked role call.
    *(("AWS679f53fac002430cb0da5b7982bd2287/Resource", check) for check in PROVIDER_CHECKS),
}
"""What a reviewer accepted per environment (no certificate configured): (construct path, checkov check)."""


@pytest.fixture(scope="module")
def envs(system: Synthesized) -> Environments:
    return Environments.of(system)


def test_no_synthesis_error_names_an_environment_stack(envs: Environments) -> None:
    """The whole system's synthesis is tests/test_system.py's; the environment stacks' share of it is here."""
    assert not [stack.stack_name for stack in envs.stacks.values() if f"{stack.stack_name}/" in envs.system.error]


def test_validation_report_has_no_cdk_nag_finding_in_an_environment_stack(envs: Environments) -> None:
    assert envs.nag_violations() == []


def test_the_gate_passes_every_environment_stack(envs: Environments) -> None:
    stacks = {stack.stack_name for stack in envs.stacks.values()}
    assert [result for result in envs.system.gate.failures if result.stack in stacks] == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
class TestEnvironmentScanners:
    def test_acknowledged_findings_are_exactly_the_reviewed_ones(self, envs: Environments, env: str) -> None:
        acknowledged = {(path, rule) for path, rule, _ in envs.nag_acknowledgements(env)}
        assert acknowledged == acknowledged_findings(env)

    def test_each_acknowledgement_is_one_finding_on_one_resource_with_a_reason(
        self, envs: Environments, env: str
    ) -> None:
        for path, rule, reason in envs.nag_acknowledgements(env):
            assert path, f"{rule} is acknowledged for the whole stack"
            assert path.endswith(("/Resource", "/Handler")), f"{rule} on {path}: not a single resource"
            assert NAG_RULE.match(rule), rule
            assert "[" in rule or not rule.startswith("AwsSolutions-IAM"), f"{rule}: name the finding"
            assert len(reason) >= MIN_REASON and not any(word in reason.lower() for word in VAGUE), (rule, reason)

    def test_checkov_skips_are_exactly_the_reviewed_ones_with_reasons(self, envs: Environments, env: str) -> None:
        skips = envs.checkov_skips(env)
        assert {(path, check) for path, check, _ in skips} == SKIPPED_CHECKS
        assert len(skips) == len(SKIPPED_CHECKS), "a check skipped twice on one resource"
        for path, check, comment in skips:
            assert len(comment) >= MIN_REASON and not any(word in comment.lower() for word in VAGUE), (path, check)

    def test_http_listener_skips_name_the_certificate_setting(self, envs: Environments, env: str) -> None:
        for path, check, comment in envs.checkov_skips(env):
            if check in ("CKV_AWS_2", "CKV_AWS_103"):
                assert f"cicd:environments.{env}.certificateArn" in comment, path

    def test_every_wildcard_resource_is_an_acknowledged_finding_of_its_role(self, envs: Environments, env: str) -> None:
        acknowledged = {(path, rule) for path, rule, _ in envs.nag_acknowledgements(env)}
        for path, statement in policy_statements_by_resource(envs.templates[env]):
            path = path.split("/", 1)[1]  # below its stack
            if statement["Effect"] != "Allow":
                continue
            for resource in as_list(statement["Resource"]):
                if isinstance(resource, str) and "*" in resource:
                    assert (path, f"AwsSolutions-IAM5[Resource::{resource}]") in acknowledged, (path, resource)
