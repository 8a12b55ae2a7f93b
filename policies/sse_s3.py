"""CMP002: every S3 bucket is encrypted with SSE-S3 (AES256) and nothing else."""

from __future__ import annotations

from policies.cfn_values import as_list
from policies.model import Resource, Rule, StackContext


def check(resource: Resource, stack: StackContext) -> list[str]:
    encryption = resource.properties.get("BucketEncryption")
    rules = as_list((encryption or {}).get("ServerSideEncryptionConfiguration")) if isinstance(encryption, dict) else []
    if not rules:
        return ["BucketEncryption is not declared"]
    problems = []
    for index, rule in enumerate(rules):
        default = (rule or {}).get("ServerSideEncryptionByDefault") or {}
        location = f"BucketEncryption.ServerSideEncryptionConfiguration[{index}].ServerSideEncryptionByDefault"
        if default.get("SSEAlgorithm") != "AES256":
            problems.append(f"{location}.SSEAlgorithm is {default.get('SSEAlgorithm')!r}, not 'AES256'")
        if "KMSMasterKeyID" in default:
            problems.append(f"{location}.KMSMasterKeyID is set")
    return problems


RULE = Rule(
    id="CMP002",
    title="S3 buckets use SSE-S3 encryption only",
    severity="HIGH",
    rationale=(
        "The organisation's policy is SSE-S3 (AES256) for data at rest in S3: no customer-managed "
        "or AWS-managed KMS keys on buckets, and no bucket without declared encryption."
    ),
    fix="Set encryption=s3.BucketEncryption.S3_MANAGED (CloudFormation: SSEAlgorithm AES256, no KMSMasterKeyID).",
    check=check,
    resource_types=frozenset({"AWS::S3::Bucket"}),
)
