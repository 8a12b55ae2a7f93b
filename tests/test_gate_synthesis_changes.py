"""What changes a template after the construct tree is validated is judged by the plugin: the Aspect's
verdicts are reused for a synthesized template only when nothing they depend on changed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import aws_cdk as cdk
import constructs
import jsii
import pytest
from aws_cdk import aws_s3 as s3

from compliance_gate.aspects import apply_gate
from compliance_gate.aspects.template_check import Judged
from compliance_gate.policies.evaluation import FAIL
from compliance_gate.policies.model import StackContext
from tests.gate_cases import ENV
from tests.support import context


@jsii.implements(constructs.IValidation)
class AddsARetainedBucket:
    """A validation that adds to its stack when CDK validates the tree, after the gate's check of it."""

    def __init__(self, stack: cdk.Stack) -> None:
        self._stack = stack

    def validate(self) -> list[str]:
        if self._stack.node.try_find_child("Late") is None:
            s3.CfnBucket(self._stack, "Late", bucket_name="late-bucket-test-dev").apply_removal_policy(
                cdk.RemovalPolicy.RETAIN
            )
        return []


def test_a_resource_added_after_the_tree_check_is_judged_by_the_plugin(tmp_path: Path) -> None:
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(tmp_path))
    stack = cdk.Stack(app, "late-stack-dev", env=ENV)
    stack.node.add_validation(AddsARetainedBucket(stack))
    s3.Bucket(stack, "Early", bucket_name="early-bucket-test-dev", encryption=s3.BucketEncryption.S3_MANAGED)
    run = apply_gate(app, suffix="dev")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    failed = {(r.path, r.rule_id) for r in run.results if r.status == FAIL}
    assert ("late-stack-dev/Late", "CMP001") in failed  # the plugin's verdict on the synthesized template
    assert ("late-stack-dev/Early/Resource", "CMP001") in failed  # kept from the Aspect's
    assert {path for path, rule in run.annotated if rule == "CMP001"} == {"late-stack-dev/Early/Resource"}


STACK = StackContext(name="s-dev", suffix="dev", account="111111111111", region="us-east-1", path="s-dev")
TEMPLATE = {
    "Parameters": {"Size": {"Type": "Number", "Default": 1}},
    "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": {"Ref": "Size"}}}},
}
BOOTSTRAP = {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/v"}}


@pytest.mark.parametrize(
    ("synthesized", "covered"),
    [
        (TEMPLATE, True),
        ({**TEMPLATE, "Parameters": {**TEMPLATE["Parameters"], **BOOTSTRAP}, "Rules": {"Check": {}}}, True),
        (
            {
                **TEMPLATE,
                "Parameters": {**TEMPLATE["Parameters"], "Other": {"Type": "String"}},
                "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Other"}}}},
            },
            False,
        ),
        ({**TEMPLATE, "Parameters": {"Size": {"Type": "Number", "Default": 2}}}, False),
        ({**TEMPLATE, "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}, False),
        ({**TEMPLATE, "Conditions": {"C": {"Fn::Equals": ["a", "b"]}}}, False),
    ],
    ids=[
        "same",
        "unnamed parameter and rules added",
        "named parameter",
        "parameter changed",
        "resource changed",
        "condition added",
    ],
)
def test_the_aspects_verdicts_cover_a_template_only_if_nothing_they_depend_on_changed(
    synthesized: dict, covered: bool
) -> None:
    assert Judged(TEMPLATE, STACK, []).covers(synthesized, STACK) is covered


def test_another_stack_is_not_covered() -> None:
    assert not Judged(TEMPLATE, STACK, []).covers(TEMPLATE, replace(STACK, account="222222222222"))
