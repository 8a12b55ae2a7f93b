"""CMP002 and CMP003 over every kind of bucket and every way around them (issue 11, class 7): each S3
bucket type the resource schemas know, a bucket policy that forces another encryption, lifecycle
rules that keep noncurrent versions past 90 days."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cfnlint
import pytest

from compliance_gate.policies.model import Resource, StackContext
from compliance_gate.policies.rules import noncurrent_lifecycle, sse_s3

STACK = StackContext(name="s-dev", suffix="dev", account="111111111111", region="us-east-1")
AES = {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
KMS = {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}


def test_every_bucket_type_of_the_resource_schemas_is_judged() -> None:
    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    bucket_types = {name for name in index if re.fullmatch(r"AWS::S3\w*::\w*Bucket", name)}
    assert len(bucket_types) >= 5
    assert bucket_types <= sse_s3.RULE.resource_types


@pytest.mark.parametrize(
    ("resource_type", "good", "bad"),
    [
        ("AWS::S3Express::DirectoryBucket", {"BucketEncryption": AES}, {"BucketEncryption": KMS}),
        (
            "AWS::S3Tables::TableBucket",
            {"EncryptionConfiguration": {"SSEAlgorithm": "AES256"}},
            {"EncryptionConfiguration": {"SSEAlgorithm": "aws:kms"}},
        ),
        (
            "AWS::S3Vectors::VectorBucket",
            {"EncryptionConfiguration": {"SseType": "AES256"}},
            {"EncryptionConfiguration": {"SseType": "aws:kms"}},
        ),
    ],
)
def test_other_bucket_types_use_sse_s3(resource_type: str, good: dict, bad: dict) -> None:
    assert sse_s3.check(Resource("B", resource_type, good), STACK) == []
    assert sse_s3.check(Resource("B", resource_type, bad), STACK)
    assert sse_s3.check(Resource("B", resource_type, {}), STACK)  # not declared


def test_outposts_buckets_have_no_other_encryption() -> None:
    assert sse_s3.RULE.exempt(Resource("B", "AWS::S3Outposts::Bucket", {}), STACK).startswith("S3 on Outposts")


def policy(statement: dict[str, Any]) -> Resource:
    return Resource(
        "P", "AWS::S3::BucketPolicy", {"Bucket": {"Ref": "B"}, "PolicyDocument": {"Statement": [statement]}}
    )


FORCE_KMS = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::b/*",
    "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
}


@pytest.mark.parametrize(
    "statement",
    [
        FORCE_KMS,
        {**FORCE_KMS, "Condition": {"Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "true"}}},
        {
            **FORCE_KMS,
            "Action": "s3:*",
            "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": ["aws:kms:dsse"]}},
        },
    ],
)
def test_a_bucket_policy_forcing_another_encryption_fails(statement: dict) -> None:
    (problem,) = sse_s3.check(policy(statement), STACK)
    assert problem.startswith("PolicyDocument.Statement[0] denies uploads that do not use KMS")


def test_a_bucket_policy_forcing_sse_s3_passes() -> None:
    statement = {**FORCE_KMS, "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}
    assert sse_s3.check(policy(statement), STACK) == []


def bucket(*rules: dict[str, Any], **extra: Any) -> Resource:
    properties = {"VersioningConfiguration": {"Status": "Enabled"}, "LifecycleConfiguration": {"Rules": list(rules)}}
    return Resource("B", "AWS::S3::Bucket", {**properties, **extra})


EXPIRE = {"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}


def test_newer_noncurrent_versions_keep_versions_past_90_days() -> None:
    keep = {"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90, "NewerNoncurrentVersions": 5}}
    assert noncurrent_lifecycle.check(bucket(keep), STACK) == [
        "LifecycleConfiguration.Rules[0] keeps the 5 newest noncurrent versions past "
        "NoncurrentVersionExpiration.NoncurrentDays (NewerNoncurrentVersions)"
    ]


def test_object_lock_retention_past_90_days_keeps_versions() -> None:
    lock = {
        "ObjectLockEnabled": True,
        "ObjectLockConfiguration": {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 1}},
        },
    }
    assert noncurrent_lifecycle.check(bucket(EXPIRE, **lock), STACK) == [
        "ObjectLockConfiguration retains object versions 365 days by default, past the 90 days"
    ]
    short = {
        "ObjectLockEnabled": True,
        "ObjectLockConfiguration": {"Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}},
    }
    assert noncurrent_lifecycle.check(bucket(EXPIRE, **short), STACK) == []
