"""CMP006 decides who can assume a role and whether the deny applies as IAM's evaluation logic does.

Trust policies follow the IAM User Guide's examples: cross-account access with an external ID
("How to use an external ID"), `aws:PrincipalAccount` and `aws:PrincipalOrgID` (global condition
keys), GitHub Actions' OIDC trust ("Configuring a role for GitHub OIDC identity provider"), NotPrincipal.
"""

from __future__ import annotations

import pytest

from compliance_gate.policies.iam_patterns import actions_overlap, covers, overlaps
from compliance_gate.policies.model import Resource, StackContext
from compliance_gate.policies.rules import terminate_deny

OWN, OTHER = "111111111111", "222222222222"
DENY = {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}
GITHUB = "token.actions.githubusercontent.com"
OIDC = {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/{GITHUB}"}


def stack(**resources: dict) -> StackContext:
    return StackContext(name="s-dev", suffix="dev", account=OWN, region="us-east-1", resources=resources)


def role(statement: dict, policies: tuple = (), **properties) -> Resource:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", **statement}]}
    inline = [{"PolicyName": "p", "PolicyDocument": {"Statement": list(policies)}}] if policies else []
    return Resource("Role", "AWS::IAM::Role", {"AssumeRolePolicyDocument": document, "Policies": inline, **properties})


@pytest.mark.parametrize(
    ("statement", "admits"),
    [
        ({"Principal": {"AWS": OTHER}, "Condition": {"StringEquals": {"sts:ExternalId": "Unique1D"}}}, {OTHER}),
        ({"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}, {"*"}),
        ({"Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"aws:PrincipalAccount": OTHER}}}, {OTHER}),
        (
            {"Principal": {"AWS": "*"}, "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/*"}}},
            {OTHER},
        ),
        ({"NotPrincipal": {"AWS": f"arn:aws:iam::{OWN}:root"}}, {"*"}),
        ({"Principal": OIDC}, {f"federated {GITHUB} (every identity it vouches for)"}),
        (
            {"Principal": OIDC, "Condition": {"StringLike": {f"{GITHUB}:sub": "repo:octo-org/octo-repo:*"}}},
            {f"federated {GITHUB} subjects repo:octo-org/octo-repo:*"},
        ),
        ({"Principal": {"AWS": {"Fn::GetAtt": ["AccountParameter", "Value"]}}}, None),
    ],
)
def test_a_role_others_can_assume_needs_the_deny(statement: dict, admits: set | None) -> None:
    context = stack(AccountParameter={"Type": "AWS::SSM::Parameter", "Properties": {"Value": OWN}})
    foreign = terminate_deny.foreign_principals(role(statement), context)
    assert foreign == admits if admits is not None else foreign and all("cannot read" in f for f in foreign)
    assert terminate_deny.check(role(statement), context)
    assert terminate_deny.check(role(statement, policies=(DENY,)), context) == []


@pytest.mark.parametrize(
    "statement",
    [
        {"Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"aws:PrincipalAccount": OWN}}},
        {"Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}},
        {"Principal": {"AWS": OTHER}, "Condition": {"StringEquals": {"aws:PrincipalAccount": OWN}}},
        {"Principal": {"AWS": {"Fn::GetAtt": ["Deployer", "Arn"]}}},
        {"Principal": {"Service": "codebuild.amazonaws.com"}},
    ],
)
def test_a_role_only_its_own_account_can_assume_needs_no_deny(statement: dict) -> None:
    context = stack(Deployer={"Type": "AWS::IAM::Role", "Properties": {}})
    assert terminate_deny.check(role(statement), context) == []


FOREIGN = {"Principal": {"AWS": OTHER}}


@pytest.mark.parametrize(
    "deny",
    [
        {"Effect": "Deny", "Action": "ec2:Terminate*", "Resource": "arn:aws:ec2:*:*:instance/*"},
        {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "EC2:TERMINATEINSTANCES", "Resource": "arn:*:ec2:*:*:*"},
        {"Effect": "Deny", "Action": "ec2:TerminateInstances", "NotResource": "arn:aws:s3:::bucket/*"},
    ],
)
def test_a_deny_written_any_way_that_covers_every_instance_counts(deny: dict) -> None:
    assert terminate_deny.check(role(FOREIGN, policies=(deny,)), stack()) == []


@pytest.mark.parametrize(
    "deny",
    [
        {"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "arn:aws:ec2:us-east-1:*:instance/*"},
        {"Effect": "Deny", "NotAction": "ec2:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:TerminateInstances", "NotResource": "arn:aws:ec2:*:*:instance/i-1"},
    ],
)
def test_a_deny_that_leaves_some_instance_or_the_action_out_does_not(deny: dict) -> None:
    assert terminate_deny.check(role(FOREIGN, policies=(deny,)), stack())


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        ("AWS::IAM::RolePolicy", {"RoleName": {"Ref": "Role"}, "PolicyName": "deny", "PolicyDocument": {}}),
        ("AWS::IAM::Policy", {"Roles": [{"Ref": "Role"}], "PolicyName": "deny", "PolicyDocument": {}}),
        ("AWS::IAM::ManagedPolicy", {"Roles": [{"Ref": "Role"}], "PolicyDocument": {}}),
    ],
)
def test_the_deny_in_any_policy_of_the_stack_attached_to_the_role_counts(resource_type: str, properties: dict) -> None:
    attached = {**properties, "PolicyDocument": {"Statement": [DENY]}}
    context = stack(Attached={"Type": resource_type, "Properties": attached})
    assert terminate_deny.check(role(FOREIGN), context) == []


def test_a_deny_in_the_permissions_boundary_counts() -> None:
    boundary = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": [DENY]}}}
    foreign_role = role(FOREIGN, PermissionsBoundary={"Ref": "Boundary"})
    assert terminate_deny.check(foreign_role, stack(Boundary=boundary)) == []


def test_iam_patterns_compare_as_sets_of_strings() -> None:
    assert covers("ec2:*", "ec2:terminateinstances") and covers("*", "arn:aws:ec2:*:*:instance/*")
    assert covers("arn:*:ec2:*:*:*", "arn:aws:ec2:*:*:instance/*")
    assert not covers("arn:aws:ec2:us-east-1:*:instance/*", "arn:aws:ec2:*:*:instance/*")
    assert actions_overlap("s3:*", "*:delete*") and not actions_overlap("s3:get*", "*:delete*")
    assert actions_overlap("*", "kms:schedulekeydeletion") and overlaps("a*", "*b")
