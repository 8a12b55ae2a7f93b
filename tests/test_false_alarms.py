"""False alarms the gate must not raise (issue 11): own-account principals written with tokens, a deny
that comes from an attached policy of the same stack, numbers CloudFormation reads from strings."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from compliance_gate.aspects import apply_gate
from compliance_gate.policies.evaluation import PASS, Evaluator
from compliance_gate.policies.model import Resource, StackContext
from compliance_gate.policies.rules import noncurrent_lifecycle, terminate_deny
from tests.gate_cases import ENV
from tests.support import context as app_context

DENY = {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}
OWN_ROLE_ARN = {"Fn::GetAtt": ["PipelineRole", "Arn"]}


def trust(*principals: Any) -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": list(principals)}}]}


def context(account: str | None = "111111111111", **resources: Any) -> StackContext:
    return StackContext(name="s-dev", suffix="dev", account=account, region="us-east-1", resources=resources)


ROLE_RESOURCES = {"PipelineRole": {"Type": "AWS::IAM::Role", "Properties": {}}}


@pytest.mark.parametrize(
    ("principal", "account"),
    [
        (OWN_ROLE_ARN, "111111111111"),  # another role of this stack
        ({"Ref": "PipelineRole"}, "111111111111"),
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}, None),
        ({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x"}, None),  # env-agnostic stack
    ],
)
def test_own_account_principals_written_with_tokens_are_not_cross_account(principal: Any, account: str | None) -> None:
    role = Resource("Role", "AWS::IAM::Role", {"AssumeRolePolicyDocument": trust(principal)})
    assert terminate_deny.check(role, context(account, **ROLE_RESOURCES)) == []


def test_an_unreadable_principal_is_named_never_a_question_mark() -> None:
    role = Resource("Role", "AWS::IAM::Role", {"AssumeRolePolicyDocument": trust({"Fn::GetAtt": ["Elsewhere", "Arn"]})})
    (message,) = terminate_deny.check(role, context())
    assert "?" not in message
    assert message.startswith(
        "trust policy admits a principal the gate cannot read ({'Fn::GetAtt': ['Elsewhere', 'Arn']})"
    )


FOREIGN_ROLE = Resource("Role", "AWS::IAM::Role", {"AssumeRolePolicyDocument": trust("arn:aws:iam::222222222222:root")})


@pytest.mark.parametrize(
    "attached",
    [
        {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": [DENY]}},
        },
        {
            "Type": "AWS::IAM::Policy",
            "Properties": {"PolicyName": "guard", "Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": [DENY]}},
        },
    ],
)
def test_a_deny_in_a_policy_attached_in_the_same_stack_counts(attached: dict[str, Any]) -> None:
    assert terminate_deny.check(FOREIGN_ROLE, context(Guard=attached)) == []


def test_a_deny_in_a_managed_policy_listed_by_the_role_counts() -> None:
    guard = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": [DENY]}}}
    role = Resource("Role", "AWS::IAM::Role", {**FOREIGN_ROLE.properties, "ManagedPolicyArns": [{"Ref": "Guard"}]})
    assert terminate_deny.check(role, context(Guard=guard)) == []


def test_a_deny_attached_to_another_role_does_not_count() -> None:
    other = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"Roles": [{"Ref": "Other"}], "PolicyDocument": {"Statement": [DENY]}},
    }
    assert terminate_deny.check(FOREIGN_ROLE, context(Guard=other))


@pytest.mark.parametrize("days", [90, "90", "90.0"])
def test_numeric_strings_are_numbers(days: Any) -> None:
    bucket = Resource(
        "Bucket",
        "AWS::S3::Bucket",
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {
                "Rules": [{"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": days}}]
            },
        },
    )
    assert noncurrent_lifecycle.check(bucket, context()) == []


def test_the_evaluator_passes_the_role_with_an_attached_deny() -> None:
    guard = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": [DENY]}},
    }
    (result,) = [r for r in Evaluator().resource(FOREIGN_ROLE, context(Guard=guard)) if r.rule_id == "CMP006"]
    assert result.status == PASS


def test_a_deny_in_an_attached_managed_policy_passes_synth_at_every_point(tmp_path) -> None:
    """The Aspect follows the attachment too (reading the policy's properties only then)."""
    app = cdk.App(context=app_context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(tmp_path))
    stack = cdk.Stack(app, "attached-deny-dev", env=ENV)
    role = iam.Role(
        stack, "Role", role_name="cross-account-role-test-dev", assumed_by=iam.AccountPrincipal("222222222222")
    )
    guard = iam.ManagedPolicy(
        stack,
        "Guard",
        managed_policy_name="terminate-guard-policy-test-dev",
        statements=[iam.PolicyStatement(effect=iam.Effect.DENY, actions=["ec2:TerminateInstances"], resources=["*"])],
    )
    role.add_managed_policy(guard)
    run = apply_gate(app, suffix="dev")
    app.synth()
    assert run.annotated == set()  # the Aspect: synth went through
    (result,) = [r for r in run.results if r.rule_id == "CMP006" and r.resource_type == "AWS::IAM::Role"]
    assert result.status == PASS  # the plugin
