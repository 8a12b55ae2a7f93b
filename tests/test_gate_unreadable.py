"""CMP009 (issue 11, class 2): what the gate cannot read is refused, naming it. Caught by the
validation plugin, which reads the synthesized templates (Aspects see no transforms or URLs)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from compliance_gate.aspects import GateRun, apply_gate
from compliance_gate.policies.evaluation import FAIL
from tests.gate_cases import ENV, SUFFIX
from tests.support import context


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> GateRun:
    outdir = tmp_path_factory.mktemp("unreadable")
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(outdir))
    stack = cdk.Stack(app, f"unreadable-{SUFFIX}", env=ENV)
    stack.add_transform("AWS::Serverless-2016-10-31")
    stack.add_transform("TeamMacro")
    cdk.CfnStack(stack, "FromUrl", template_url="https://example-bucket.s3.amazonaws.com/shared/network.json")
    cdk.CfnResource(
        stack,
        "Included",
        type="AWS::SNS::Topic",
        properties={
            "TopicName": f"included-topic-{SUFFIX}",
            "Tags": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/tags.yaml"}}},
        },
    )
    cdk.CfnResource(
        stack,
        "Sam",
        type="AWS::Serverless::Function",
        properties={"Handler": "index.handler", "Runtime": "python3.13", "CodeUri": "s3://code-bucket/fn.zip"},
    )
    gate = apply_gate(app, suffix=SUFFIX)
    with pytest.raises(RuntimeError):
        app.synth()
    return gate


def messages(run: GateRun, logical_id: str) -> tuple[str, ...]:
    (result,) = [r for r in run.results if r.rule_id == "CMP009" and r.logical_id == logical_id]
    assert result.status == FAIL
    return result.messages


def test_a_macro_transform_is_refused(run: GateRun) -> None:
    assert messages(run, f"unreadable-{SUFFIX}") == (
        "the template declares Transform 'TeamMacro': CloudFormation deploys its output, which the gate cannot read",
    )


def test_a_nested_template_from_a_url_is_refused(run: GateRun) -> None:
    assert messages(run, "FromUrl") == (
        "the nested stack's template ('https://example-bucket.s3.amazonaws.com/shared/network.json') is not in the "
        "cloud assembly: the gate cannot read it; define it as a cdk.NestedStack",
    )


def test_an_include_macro_is_refused(run: GateRun) -> None:
    assert messages(run, "Included") == (
        "Tags is an Fn::Transform (a macro such as AWS::Include): CloudFormation deploys its output, which the "
        "gate cannot read",
    )


def test_sam_resources_are_expanded_and_judged_as_what_they_become(run: GateRun) -> None:
    """AWS's SAM translator turns the function into a Lambda function and its role, which the rules judge:
    neither is named, so CMP005 fails them."""
    judged = {(r.logical_id, r.resource_type) for r in run.results if r.rule_id == "CMP005"}
    assert {("Sam", "AWS::Lambda::Function"), ("SamRole", "AWS::IAM::Role")} <= judged
    (function,) = [r for r in run.results if r.rule_id == "CMP005" and r.logical_id == "Sam"]
    assert function.status == FAIL and function.messages[0].startswith("FunctionName is not set")


def test_nested_stacks_defined_with_cdk_are_readable(gate_cases) -> None:
    assert [r for r in gate_cases.run.results if r.rule_id == "CMP009" and r.status == FAIL] == []
