"""The design card's Aspects: one per rule, each an IAspect usable alone on any scope (issue 21)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import aws_cdk as cdk
import constructs
import jsii
import pytest
from aws_cdk import aws_s3 as s3

import compliance_gate
from compliance_gate.aspects.rule_aspects import RULE_ASPECTS, RuleAspect
from compliance_gate.policies.catalog import RULES
from tests.support import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "one_aspect"
CARD = {
    "CMP001": "DestroyRemovalPolicies",
    "CMP002": "SseS3Only",
    "CMP003": "NoncurrentExpiry90Days",
    "CMP004": "SmallBuildCompute",
    "CMP005": "EnvironmentSuffixNaming",
    "CMP006": "DenyTerminateInstances",
}
ENV = cdk.Environment(account="123456789012", region="us-east-1")


def test_one_aspect_per_rule_named_for_its_policy() -> None:
    assert set(RULE_ASPECTS) == {rule.id for rule in RULES}
    for rule_id, name in CARD.items():
        assert RULE_ASPECTS[rule_id].__name__ == name
    for rule_id, aspect in RULE_ASPECTS.items():
        made = compliance_gate.rule_aspect(rule_id, suffix="dev", region="us-east-1")
        assert (
            type(made) is aspect
            and cdk.IAspect in type(made).__jsii_ifaces__
            and [r.id for r in made.rules] == [rule_id]
        )
        assert made is not compliance_gate.rule_aspect(rule_id, suffix="dev")  # a fresh instance each time


def cli_synth(tmp_path: Path, kms_bucket_in: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        ["npx", "--no-install", "cdk", "synth", "--quiet", "-o", str(tmp_path), "-c", f"kms_bucket_in={kms_bucket_in}"],
        cwd=FIXTURE,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_one_aspect_on_one_stack_fails_synth_on_a_violation_there(tmp_path: Path) -> None:
    result = cli_synth(tmp_path, "orders")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "orders-stack-dev/Invoices/Resource" in output
    assert "[CMP002] S3 buckets use SSE-S3 encryption only:" in output
    assert "BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm" in output
    assert "Fix: Set encryption=s3.BucketEncryption.S3_MANAGED" in output
    assert "billing-stack-dev/Invoices" not in output


def test_the_same_violation_in_another_stack_passes(tmp_path: Path) -> None:
    result = cli_synth(tmp_path, "billing")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CMP002" not in result.stdout + result.stderr


def synthesized(*aspects: tuple[str, RuleAspect], priority: int = cdk.AspectPriority.READONLY) -> cdk.App:
    """Two stacks with a KMS bucket each (one retained): the aspects go where they are said to."""
    app = cdk.App()
    stacks = {name: cdk.Stack(app, f"{name}-stack-dev", env=ENV) for name in ("orders", "billing")}
    for name, stack in stacks.items():
        s3.Bucket(stack, "Invoices", bucket_name=f"{name}-invoices-dev", encryption=s3.BucketEncryption.KMS_MANAGED)
    for scope, aspect in aspects:
        target = app if scope == "app" else stacks[scope]
        cdk.Aspects.of(target).add(aspect, priority=priority)
    app.synth()
    return app


def errors(app: cdk.App) -> dict[str, list[str]]:
    """Error annotations by construct path."""
    found: dict[str, list[str]] = {}
    for node in app.node.find_all():
        for entry in node.node.metadata:
            if entry.type == "aws:cdk:error":
                found.setdefault(node.node.path, []).append(entry.data)
    return found


def test_an_aspect_annotates_the_violating_construct_in_its_scope_only() -> None:
    app = synthesized(("orders", compliance_gate.SseS3Only(suffix="dev")))
    found = errors(app)
    assert list(found) == ["orders-stack-dev/Invoices/Resource"]
    (message,) = found["orders-stack-dev/Invoices/Resource"]
    assert message.startswith("[CMP002] S3 buckets use SSE-S3 encryption only: BucketEncryption.")
    assert re.search(
        r"\(logical ID Invoices[0-9A-F]{8}\)\. Fix: Set encryption=s3\.BucketEncryption\.S3_MANAGED", message
    )


def test_an_aspect_applied_to_nothing_judges_nothing() -> None:
    compliance_gate.SseS3Only(suffix="dev")  # made, never added
    assert errors(synthesized()) == {}


def test_each_aspect_judges_its_own_rule_only() -> None:
    """The retained buckets break CMP001 too; the SSE-S3 Aspect does not say so, the removal one does."""
    app = synthesized(("app", compliance_gate.DestroyRemovalPolicies(suffix="dev")))
    found = errors(app)
    assert set(found) == {"orders-stack-dev/Invoices/Resource", "billing-stack-dev/Invoices/Resource"}
    assert all(message.startswith("[CMP001]") for messages in found.values() for message in messages)


@jsii.implements(cdk.IAspect)
class SetSseS3:
    """A MUTATING Aspect a team might write: SSE-S3 on every bucket."""

    def visit(self, node) -> None:
        if isinstance(node, s3.CfnBucket):
            node.bucket_encryption = s3.CfnBucket.BucketEncryptionProperty(
                server_side_encryption_configuration=[
                    s3.CfnBucket.ServerSideEncryptionRuleProperty(
                        server_side_encryption_by_default=s3.CfnBucket.ServerSideEncryptionByDefaultProperty(
                            sse_algorithm="AES256"
                        )
                    )
                ]
            )


@pytest.mark.parametrize("mutated", [False, True])
def test_an_aspect_sees_what_a_mutating_aspect_changed(mutated: bool) -> None:
    """At READONLY priority the Aspect judges each bucket after a MUTATING Aspect set SSE-S3 on it."""
    app = cdk.App()
    stack = cdk.Stack(app, "orders-stack-dev", env=ENV)
    s3.Bucket(stack, "Invoices", bucket_name="orders-invoices-dev", encryption=s3.BucketEncryption.KMS_MANAGED)
    cdk.Aspects.of(app).add(compliance_gate.SseS3Only(suffix="dev"), priority=cdk.AspectPriority.READONLY)
    if mutated:
        cdk.Aspects.of(app).add(SetSseS3(), priority=cdk.AspectPriority.MUTATING)
    app.synth()
    assert list(errors(app)) == ([] if mutated else ["orders-stack-dev/Invoices/Resource"])


@jsii.implements(constructs.IValidation)
class FilesAtValidation:
    """Records, when CDK validates the tree (after the Aspects, before synthesis writes a file), what the
    Aspect has annotated and which templates exist."""

    def __init__(self, app: cdk.App, outdir: Path) -> None:
        self.app, self.outdir, self.seen = app, outdir, {}

    def validate(self) -> list[str]:
        self.seen = {"errors": errors(self.app), "templates": sorted(self.outdir.glob("*.template.json"))}
        return []


def test_the_violation_is_reported_before_any_file_is_written(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "orders-stack-dev", env=ENV)
    s3.Bucket(stack, "Invoices", bucket_name="orders-invoices-dev", encryption=s3.BucketEncryption.KMS_MANAGED)
    cdk.Aspects.of(stack).add(compliance_gate.SseS3Only(suffix="dev"), priority=cdk.AspectPriority.READONLY)
    recorder = FilesAtValidation(app, tmp_path)
    app.node.add_validation(recorder)
    app.synth()
    assert list(recorder.seen["errors"]) == ["orders-stack-dev/Invoices/Resource"]
    assert recorder.seen["templates"] == []
