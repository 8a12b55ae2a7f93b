"""Naming the third-party scanner findings the environment's constructs acknowledge.

The acknowledgements themselves stay next to the resource they concern (stacks.exceptions'
`acknowledge_nag` and `skip_checkov`); this module only spells the IDs cdk-nag and checkov use
for resources CDK or the ARN format decide, not us.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

from stacks.exceptions import skip_checkov


def wildcard_resource(arn: str) -> str:
    """cdk-nag 3's ID of the IAM5 finding for one wildcard resource, e.g. `AwsSolutions-IAM5[Resource::*]`.

    cdk-nag writes the resource as it appears in the template, so the ARN must be a literal string
    (explicit account and region, literal partition): a token would never match the finding.
    """
    if cdk.Token.is_unresolved(arn):
        raise ValueError(f"{arn} holds a token: name the resource literally to acknowledge its wildcard")
    return f"AwsSolutions-IAM5[Resource::{arn}]"


def skip_provider_handler_checks(scope: IConstruct, provider_id: str, purpose: str) -> None:
    """checkov skips on the Lambda handler of one of CDK's singleton custom resource providers.

    `provider_id` is the provider's construct ID directly under the stack (for example
    `Custom::S3AutoDeleteObjectsCustomResourceProvider`); `purpose` says what CloudFormation uses it for.
    CDK builds these handlers itself (a raw AWS::Lambda::Function without VPC, concurrency or
    dead-letter settings); only CloudFormation invokes them, while the stack is created, updated
    or deleted.
    """
    handler = cdk.Stack.of(scope).node.find_child(provider_id).node.find_child("Handler")
    skip_checkov(
        handler,
        "CKV_AWS_115",
        f"CDK's handler that {purpose}: CloudFormation invokes it a few times per stack operation and "
        "nothing else may; reserving concurrency would only take capacity from the account's pool, and "
        "fails to deploy in accounts at the new-account concurrency limit of 10.",
    )
    skip_checkov(
        handler,
        "CKV_AWS_116",
        f"CDK's handler that {purpose}: a failed invocation fails the CloudFormation operation, which "
        "waits for the handler's response; a queued copy of the request is useless afterwards because "
        "its pre-signed response URL has expired, so a dead-letter queue would have nothing to replay.",
    )
    skip_checkov(
        handler,
        "CKV_AWS_117",
        f"CDK's handler that {purpose}: it only calls AWS APIs and reads nothing in the VPC; CDK offers "
        "no VPC settings for it, and attaching it to the VPC would require NAT or endpoints for the "
        "very APIs it calls (the endpoints egress mode has no NAT).",
    )
