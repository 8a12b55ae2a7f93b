"""CMP001 judges whether `cdk destroy` succeeds (issue 11, class 3), not only the policy attributes:
a bucket that may hold objects and is not emptied, a repository that keeps its images, Object Lock,
a vault lock, resource policies that deny deletion, custom resources that switch protection on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compliance_gate.policies.model import Resource, StackContext
from compliance_gate.policies.rules import destroyable

AUTO_DELETE = {"Type": "Custom::S3AutoDeleteObjects", "Properties": {"BucketName": {"Ref": "Bucket"}}}


def context(**resources: Any) -> StackContext:
    return StackContext(name="s-dev", suffix="dev", account="111111111111", region="us-east-1", resources=resources)


def check(resource_type: str, properties: dict[str, Any], **resources: Any) -> list[str]:
    return destroyable.check(Resource("Bucket", resource_type, properties), context(**resources))


def test_a_bucket_that_is_not_emptied_cannot_be_deleted_once_it_holds_objects() -> None:
    assert check("AWS::S3::Bucket", {}) == [
        "the bucket is not emptied before deletion (no auto-delete-objects custom resource): CloudFormation "
        "cannot delete a bucket that holds objects"
    ]
    assert check("AWS::S3::Bucket", {}, AutoDelete=AUTO_DELETE) == []


def test_object_lock_keeps_objects_the_bucket_cannot_be_emptied_of() -> None:
    assert check("AWS::S3::Bucket", {"ObjectLockEnabled": True}, AutoDelete=AUTO_DELETE) == [
        "ObjectLockEnabled is true: locked object versions cannot be deleted, so neither can the bucket"
    ]


def test_a_repository_must_be_emptied_on_delete() -> None:
    assert check("AWS::ECR::Repository", {}) == [
        "EmptyOnDelete is not true: CloudFormation cannot delete a repository that holds images"
    ]
    assert check("AWS::ECR::Repository", {"EmptyOnDelete": "true"}) == []


def test_a_backup_vault_lock_blocks_deletion() -> None:
    assert check("AWS::Backup::BackupVault", {"LockConfiguration": {"MinRetentionDays": 7}}) == [
        "LockConfiguration locks the vault's recovery points: the vault cannot be deleted while it holds any"
    ]


DENY_DELETE = {"Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteBucket"], "Resource": "*"}


@pytest.mark.parametrize(
    ("resource_type", "properties"),
    [
        ("AWS::S3::BucketPolicy", {"PolicyDocument": {"Statement": [DENY_DELETE]}}),
        (
            "AWS::ECR::Repository",
            {"EmptyOnDelete": True, "RepositoryPolicyText": {"Statement": [{**DENY_DELETE, "Action": "ecr:Delete*"}]}},
        ),
        (
            "AWS::SecretsManager::ResourcePolicy",
            {"ResourcePolicy": json.dumps({"Statement": [{**DENY_DELETE, "Action": "secretsmanager:*"}]})},
        ),
    ],
)
def test_a_resource_policy_denying_deletion_blocks_destroy(resource_type: str, properties: dict) -> None:
    (problem,) = check(resource_type, properties, AutoDelete=AUTO_DELETE)
    assert problem.endswith("denies deletion without a condition: CloudFormation's delete is refused too")


@pytest.mark.parametrize(
    "call",
    [
        {
            "service": "CloudFormation",
            "action": "updateTerminationProtection",
            "parameters": {"EnableTerminationProtection": True},
        },
        {"service": "DynamoDB", "action": "updateTable", "parameters": {"DeletionProtectionEnabled": True}},
        {"service": "S3", "action": "putObjectLockConfiguration", "parameters": {"Bucket": "b"}},
    ],
)
def test_a_custom_resource_switching_protection_on_fails(call: dict) -> None:
    (problem,) = check("Custom::AWS", {"Create": json.dumps(call)})
    assert problem.startswith(f"the custom resource's Create call ({call['service']} {call['action']}) ")
    assert problem.endswith("what it changes can then not be destroyed")


def test_a_custom_resource_switching_protection_off_passes() -> None:
    call = {
        "service": "CloudFormation",
        "action": "updateTerminationProtection",
        "parameters": {"EnableTerminationProtection": False},
    }
    assert check("Custom::AWS", {"Create": json.dumps(call)}) == []
