"""Apps synthesized without path metadata still get construct paths, and CDK-internal exemptions."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_servicecatalog as servicecatalog
from constructs import Construct

from compliance_gate.aspects import apply_gate
from compliance_gate.policies.evaluation import EXEMPT, FAIL
from tests.gate_cases import ENV
from tests.support import context


def test_paths_come_from_the_construct_tree_when_templates_have_none(tmp_path: Path) -> None:
    app = cdk.App(context=context(), outdir=str(tmp_path))
    stack = cdk.Stack(app, "paths-stack-dev", env=ENV)
    s3.Bucket(
        stack,
        "Bucket",
        bucket_name="paths-bucket-test-dev",
        encryption=s3.BucketEncryption.S3_MANAGED,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        auto_delete_objects=True,
    )
    run = apply_gate(app, suffix="dev")
    app.synth()
    assert [r for r in run.results if r.status == FAIL] == []
    exempt = [r for r in run.results if r.status == EXEMPT]
    assert {r.resource_type for r in exempt} == {"AWS::IAM::Role", "AWS::Lambda::Function"}
    assert all("Custom::S3AutoDeleteObjectsCustomResourceProvider" in r.path for r in exempt)
    assert {r.path for r in run.results if r.logical_id.startswith("Bucket")} >= {"paths-stack-dev/Bucket/Resource"}


def test_the_aspect_judges_stacks_added_after_the_gate_and_stacks_below_other_constructs(tmp_path: Path) -> None:
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(tmp_path))
    early = cdk.Stack(Construct(app, "Group"), "early-stack-dev", env=ENV)
    s3.Bucket(early, "Early", bucket_name="early-bucket-test-dev", encryption=s3.BucketEncryption.S3_MANAGED)
    run = apply_gate(app, suffix="dev")
    late = cdk.Stack(app, "late-stack-dev", env=ENV)
    s3.Bucket(late, "Late", bucket_name="late-bucket-test-dev", encryption=s3.BucketEncryption.S3_MANAGED)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert {path for path, rule in run.annotated if rule == "CMP001"} == {
        "Group/early-stack-dev/Early/Resource",
        "late-stack-dev/Late/Resource",
    }


class _Product(servicecatalog.ProductStack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        s3.CfnBucket(self, "Kept", bucket_name="kept-bucket-test-dev").apply_removal_policy(cdk.RemovalPolicy.RETAIN)


def test_the_aspect_judges_a_service_catalog_product_stack(tmp_path: Path) -> None:
    """A ProductStack's template is an asset of its stack's, which no validation plugin is given."""
    app = cdk.App(context=context(**{"aws:cdk:enable-path-metadata": True}), outdir=str(tmp_path))
    stack = cdk.Stack(app, "catalog-stack-dev", env=ENV)
    product = _Product(stack, "Product")
    version = servicecatalog.CloudFormationProductVersion(
        product_version_name="v1",
        cloud_formation_template=servicecatalog.CloudFormationTemplate.from_product_stack(product),
    )
    servicecatalog.CloudFormationProduct(stack, "Catalog", product_name="p", owner="o", product_versions=[version])
    run = apply_gate(app, suffix="dev")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert ("catalog-stack-dev/Product/Kept", "CMP001") in run.annotated
    assert "CMP001" in run.failure_summary()
