"""What changes a template after the Aspects ran is judged by the plugin, over the synthesized template."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import constructs
import jsii
import pytest
from aws_cdk import aws_s3 as s3

from compliance_gate.aspects import apply_gate
from compliance_gate.policies.evaluation import FAIL
from tests.gate_cases import ENV
from tests.support import context


@jsii.implements(constructs.IValidation)
class AddsARetainedBucket:
    """A validation that adds to its stack when CDK validates the tree, after every Aspect ran."""

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
    assert ("late-stack-dev/Early/Resource", "CMP001") in failed
    assert {path for path, rule in run.annotated if rule == "CMP001"} == {"late-stack-dev/Early/Resource"}
