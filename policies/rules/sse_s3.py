"""CMP002: every bucket, of any S3 bucket type, is encrypted with SSE-S3 only, and no bucket policy
forces another encryption on uploads."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from compliance_gate.policies.cfn_values import as_list, walk
from compliance_gate.policies.iam_patterns import actions_overlap
from compliance_gate.policies.model import CUSTOM_RESOURCES, Resource, Rule, StackContext
from compliance_gate.policies.schema_facts import s3_encryption, values_at
from compliance_gate.policies.sdk_calls import sdk_calls

AES256 = "AES256"
DECLARING = {
    "AWS::S3::Bucket": "BucketEncryption",
    "AWS::S3Express::DirectoryBucket": "BucketEncryption",
    "AWS::S3Tables::TableBucket": "EncryptionConfiguration",
    "AWS::S3Vectors::VectorBucket": "EncryptionConfiguration",
}
"""Bucket types whose encryption must be declared (the others take their bucket's, or SSE-S3, by default)."""
OUTPOSTS = "AWS::S3Outposts::Bucket"
POLICY = "AWS::S3::BucketPolicy"
S3_SERVICES = ("s3", "s3control", "s3express", "s3tables", "s3vectors", "s3outposts", "s3files")
_KMS_KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"
_ALGORITHM = "s3:x-amz-server-side-encryption"
_CALL_ALGORITHM = re.compile(r"^(ssealgorithm|ssetype|serversideencryption)$", re.I)
_CALL_KEY = re.compile(r"^(kmsmasterkeyid|kmskeyarn|kmskeyid|ssekmskeyid)$", re.I)


def _settings(resource: Resource) -> list[str]:
    """Every encryption setting the resource schemas define for the type that is not SSE-S3."""
    paths = s3_encryption().get(resource.type, {})
    problems = [
        f"{location} is {value!r}, not {AES256!r}"
        for path in paths.get("algorithms", ())
        for location, value in values_at(resource.properties, path)
        if value != AES256
    ]
    return problems + [
        f"{location} is set: a KMS key, not SSE-S3"
        for path in paths.get("keys", ())
        for location, value in values_at(resource.properties, path)
        if value not in (None, "", False)
    ]


def _declared(resource: Resource) -> list[str]:
    declaring = DECLARING.get(resource.type)
    if declaring is None:
        return []
    declared = resource.properties.get(declaring)
    if declaring == "BucketEncryption":
        rules = as_list(declared.get("ServerSideEncryptionConfiguration")) if isinstance(declared, dict) else []
        return [] if rules else ["BucketEncryption is not declared"]
    return [] if isinstance(declared, dict) else [f"{declaring} is not declared"]


def _calls(resource: Resource) -> list[str]:
    """SDK calls to an S3 product that set another encryption (putBucketEncryption, createIndex...)."""
    problems = []
    for call in sdk_calls(resource.type, resource.properties):
        if not call.is_service(*S3_SERVICES):
            continue
        for location, name, value in walk(dict(call.parameters)):
            if _CALL_ALGORITHM.match(str(name)) and not isinstance(value, dict | list) and value != AES256:
                problems.append(f"{call.label} sets {location} to {value!r}, not {AES256!r}")
            elif _CALL_KEY.match(str(name)) and value not in (None, ""):
                problems.append(f"{call.label} sets {location}: a KMS key, not SSE-S3")
    return problems


def _forces_kms(condition: Any) -> bool:
    """Whether a Deny's condition refuses uploads that are not KMS-encrypted, whatever the operator: a negated
    operator (StringNotEquals, StringNotLike, ...IfExists, ForAnyValue:...) keeping only aws:kms algorithms or
    a KMS key, Null on the KMS key, or a positive operator denying AES256 itself."""
    for operator, tests in (condition or {}).items() if isinstance(condition, dict) else ():
        base = str(operator).split(":")[-1].removesuffix("IfExists")
        for key, values in (tests or {}).items() if isinstance(tests, dict) else ():
            key, values = str(key).lower(), [str(value) for value in as_list(values)]
            if key == _KMS_KEY_ID and ((base == "Null" and "true" in [v.lower() for v in values]) or "Not" in base):
                return True
            if key != _ALGORITHM:
                continue
            if "Not" in base and any(actions_overlap(value.lower(), "aws:kms*") for value in values):
                return True
            if base.startswith("String") and "Not" not in base and any(fnmatchcase(AES256, v) for v in values):
                return True
    return False


def _bucket_policy(resource: Resource) -> list[str]:
    document = resource.properties.get("PolicyDocument") or {}
    return [
        f"PolicyDocument.Statement[{index}] denies uploads that do not use KMS: SSE-S3 ({AES256}) is the only "
        "encryption allowed"
        for index, statement in enumerate(as_list(document.get("Statement") if isinstance(document, dict) else None))
        if isinstance(statement, dict) and statement.get("Effect") == "Deny" and _forces_kms(statement.get("Condition"))
    ]


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type == POLICY:
        return _bucket_policy(resource)
    return _declared(resource) + _settings(resource) + _calls(resource)


def exempt(resource: Resource, stack: StackContext) -> str | None:
    if resource.type == OUTPOSTS:
        return "S3 on Outposts encrypts every object with SSE-S3 and offers no other encryption"
    return None


RULE = Rule(
    id="CMP002",
    title="S3 buckets use SSE-S3 encryption only",
    severity="HIGH",
    rationale=(
        "The organisation's policy is SSE-S3 (AES256) for data at rest in S3: no customer-managed "
        "or AWS-managed KMS keys on buckets of any kind, no bucket without declared encryption, and no "
        "bucket policy that forces another encryption on uploads."
    ),
    fix=(
        "Set encryption=s3.BucketEncryption.S3_MANAGED (CloudFormation: SSEAlgorithm AES256, no KMSMasterKeyID; "
        "table and vector buckets: EncryptionConfiguration AES256) and drop bucket policy conditions requiring KMS."
    ),
    check=check,
    resource_types=frozenset({*s3_encryption(), OUTPOSTS, POLICY, *CUSTOM_RESOURCES}),
    exempt=exempt,
)
