"""CMP002: every bucket, of any S3 bucket type, is encrypted with SSE-S3 only, and no bucket policy
forces another encryption on uploads."""

from __future__ import annotations

from typing import Any

from compliance_gate.policies.cfn_values import as_list
from compliance_gate.policies.model import Resource, Rule, StackContext

AES256 = "AES256"
BUCKET_ENCRYPTION = frozenset({"AWS::S3::Bucket", "AWS::S3Express::DirectoryBucket"})
"""Types with BucketEncryption.ServerSideEncryptionConfiguration."""
ENCRYPTION_CONFIGURATION = {"AWS::S3Tables::TableBucket": "SSEAlgorithm", "AWS::S3Vectors::VectorBucket": "SseType"}
"""Types with EncryptionConfiguration, and the key naming its algorithm."""
OUTPOSTS = "AWS::S3Outposts::Bucket"
POLICY = "AWS::S3::BucketPolicy"
_KMS_KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"
_ALGORITHM = "s3:x-amz-server-side-encryption"


def _bucket_encryption(resource: Resource) -> list[str]:
    encryption = resource.properties.get("BucketEncryption")
    rules = as_list((encryption or {}).get("ServerSideEncryptionConfiguration")) if isinstance(encryption, dict) else []
    if not rules:
        return ["BucketEncryption is not declared"]
    problems = []
    for index, rule in enumerate(rules):
        default = (rule or {}).get("ServerSideEncryptionByDefault") or {}
        location = f"BucketEncryption.ServerSideEncryptionConfiguration[{index}].ServerSideEncryptionByDefault"
        if default.get("SSEAlgorithm") != AES256:
            problems.append(f"{location}.SSEAlgorithm is {default.get('SSEAlgorithm')!r}, not {AES256!r}")
        if "KMSMasterKeyID" in default:
            problems.append(f"{location}.KMSMasterKeyID is set")
    return problems


def _encryption_configuration(resource: Resource, key: str) -> list[str]:
    configuration = resource.properties.get("EncryptionConfiguration")
    if not isinstance(configuration, dict):
        return ["EncryptionConfiguration is not declared"]
    algorithm = configuration.get(key)
    problems = [] if algorithm == AES256 else [f"EncryptionConfiguration.{key} is {algorithm!r}, not {AES256!r}"]
    return problems + (["EncryptionConfiguration.KMSKeyArn is set"] if "KMSKeyArn" in configuration else [])


def _forces_kms(condition: Any) -> bool:
    """Whether a Deny's condition refuses uploads that are not KMS-encrypted."""
    for operator, tests in (condition or {}).items() if isinstance(condition, dict) else ():
        for key, values in (tests or {}).items() if isinstance(tests, dict) else ():
            if key.lower() == _KMS_KEY_ID and operator.startswith("Null"):
                return True
            if key.lower() == _ALGORITHM and "Not" in operator:
                return any(str(value).startswith("aws:kms") for value in as_list(values))
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
    if resource.type in ENCRYPTION_CONFIGURATION:
        return _encryption_configuration(resource, ENCRYPTION_CONFIGURATION[resource.type])
    return _bucket_encryption(resource)


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
    resource_types=frozenset({*BUCKET_ENCRYPTION, *ENCRYPTION_CONFIGURATION, OUTPOSTS, POLICY}),
    exempt=exempt,
)
