"""Quotas checked at synth: each one past its headroom is one line naming where, the quota and the count."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from stacks.config import AppConfig
from stacks.quotas import describe, findings
from stacks.system import build_system

ACCOUNT = "111111111111"


def template(resources: dict | None = None, **sections: object) -> dict:
    return {"Resources": resources or {}, **sections}


def lines(*stacks: tuple[str, dict]) -> list[str]:
    return [describe(f) for f in findings({name: (ACCOUNT, body, len(json.dumps(body))) for name, body in stacks})]


def handles(count: int) -> dict:
    return {f"Handle{index}": {"Type": "AWS::CloudFormation::WaitConditionHandle"} for index in range(count)}


def test_resources_past_ninety_percent_of_five_hundred() -> None:
    assert lines(("cicd-big-dev", template(handles(450)))) == []
    assert lines(("cicd-big-dev", template(handles(451)))) == [
        "cicd-big-dev: Resources in the template: 451; CloudFormation's Resources quota is 500, "
        "this system keeps 10% headroom (at most 450)"
    ]


def test_outputs_parameters_and_description() -> None:
    outputs = {f"O{index}": {"Value": "x"} for index in range(181)}
    found = lines(("s", template(Outputs=outputs, Description="d" * 1000)))
    assert found == [
        "s: Outputs in the template: 181; CloudFormation's Outputs quota is 200, this system keeps 10% headroom "
        "(at most 180)",
        "s: description bytes: 1,000; CloudFormation's description limit is 1,024, this system keeps 10% headroom "
        "(at most 921)",
    ]


def test_role_inline_policies_and_event_patterns_that_grow_with_applications() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket-name-of-an-app/*"}
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Statement": []},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement] * 120}}],
        },
    }
    pipelines = [f"application{index:03}-pipeline-pipeline-dev" for index in range(60)]
    rule = {"Type": "AWS::Events::Rule", "Properties": {"EventPattern": {"detail": {"pipeline": pipelines}}}}
    found = lines(("s", template({"Role": role, "Rule": rule})))
    assert [line.split(":")[0:2] for line in found] == [
        ["s/Role", " inline policies' characters"],
        ["s/Rule", " event pattern characters"],
    ]
    assert "IAM's limit for a role's inline policies is 10,240" in found[0]
    assert "EventBridge's event pattern limit is 2,048" in found[1]


def test_dashboard_widgets_counted_through_references() -> None:
    widget = '{"type":"metric","properties":{"region":"'
    body = {"Fn::Join": ["", ['{"widgets":[', *([widget, {"Ref": "AWS::Region"}, '"}},'] * 451), '{"type":"text"}]}']]}
    dashboard = {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": body}}
    assert lines(("s", template({"Dashboard": dashboard}))) == [
        "s/Dashboard: widgets: 452; CloudWatch's widgets per dashboard is 500, this system keeps 10% headroom "
        "(at most 450)"
    ]


def test_roles_are_counted_per_account_over_every_stack() -> None:
    role = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
    stacks = {f"s{index}": (ACCOUNT, template({f"R{i}": role for i in range(240)}), 1) for index in range(20)}
    stacks["elsewhere"] = ("222222222222", template({"R": role}), 1)
    assert [describe(f) for f in findings(stacks)] == [
        f"(every stack in the account): IAM roles in account {ACCOUNT}: 4,800; IAM's largest roles-per-account "
        "quota is 5,000, this system keeps 10% headroom (at most 4,500)"
    ]


def test_a_stack_past_its_quota_fails_synth_with_the_line_not_a_jsii_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through app.py: CDK's own 500-resource check would throw; the quota plugin reports instead."""
    from app import main

    def build(app: cdk.App, config: AppConfig) -> list[cdk.Stack]:
        stacks = build_system(app, config)
        big = cdk.Stack(app, "cicd-big-dev", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))
        for index in range(520):
            cdk.CfnWaitConditionHandle(big, f"Handle{index}")
        return [*stacks, big]

    assert main(build, outdir=str(tmp_path)) == 1
    err = capsys.readouterr().err
    assert (
        "cicd-big-dev: Resources in the template: 520; CloudFormation's Resources quota is 500, "
        "this system keeps 10% headroom (at most 450)"
    ) in err
    assert "Traceback" not in err and "jsii" not in err
    assert (tmp_path / "cicd-big-dev.template.json").exists()
