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


def _queues_app(tmp_path: Path, reuse: bool) -> tuple[list, list[str]]:
    """Queues and a log group, one queue broken by an override the Aspects cannot see; the plugin's results
    and the construct paths whose verdicts it took from the Aspects."""
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_sqs as sqs

    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(tmp_path))
    stack = cdk.Stack(app, "reuse-stack-dev", env=ENV)
    for name in ("orders", "billing"):
        sqs.Queue(stack, name, queue_name=f"{name}-queue-dev", removal_policy=cdk.RemovalPolicy.DESTROY)
    logs.LogGroup(stack, "Logs", log_group_name="orders-logs-dev", removal_policy=cdk.RemovalPolicy.DESTROY)
    overridden = sqs.Queue(stack, "Overridden", queue_name="late-queue-dev", removal_policy=cdk.RemovalPolicy.DESTROY)
    overridden.node.default_child.add_property_override("QueueName", "late-queue")
    run = apply_gate(app, suffix="dev")
    taken: list[str] = []
    known = run.known

    def counted(resource):
        found = known(resource) if reuse else None
        if found is not None:
            taken.append(resource.path)
        return found

    run.known = counted
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    return sorted((r.rule_id, r.logical_id, r.status, r.messages, r.template) for r in run.results), taken


def test_the_plugin_takes_the_aspects_passes_only_for_resources_the_template_shows_unchanged(tmp_path: Path) -> None:
    reused, taken = _queues_app(tmp_path / "reused", reuse=True)
    judged, _ = _queues_app(tmp_path / "judged", reuse=False)
    strip = [(rule, logical, status, messages) for rule, logical, status, messages, _ in reused]
    assert strip == [(rule, logical, status, messages) for rule, logical, status, messages, _ in judged]
    assert set(taken) == {
        "reuse-stack-dev/orders/Resource",
        "reuse-stack-dev/billing/Resource",
        "reuse-stack-dev/Logs/Resource",
    }
    assert ("CMP005", "fail") in {
        (rule, status) for rule, logical, status, _, _ in reused if logical.startswith("Overridden")
    }
