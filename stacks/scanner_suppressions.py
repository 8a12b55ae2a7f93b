"""Narrow, reasoned exceptions for third-party scanners: cdk-nag findings and checkov checks, and the
spelling of the finding IDs they use for resources that CDK or the ARN format decide, not us.

The compliance gate's own exceptions go through `aspects.acknowledge` instead. The two acknowledging helpers
take one construct and one rule, so every exception a reviewer reads names exactly what it covers.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct


def acknowledge_nag(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding (e.g. `AwsSolutions-IAM5[Resource::*]`) on `scope`."""
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def skip_checkov(scope: IConstruct, check_id: str, reason: str) -> None:
    """Skip one checkov check on the CloudFormation resource behind `scope`, with the reason checkov prints."""
    resource = scope if isinstance(scope, cdk.CfnResource) else scope.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to carry a checkov skip")
    checkov = dict(resource.get_metadata("checkov") or {})
    checkov["skip"] = [*checkov.get("skip", []), {"id": check_id, "comment": reason}]
    resource.add_metadata("checkov", checkov)


def ref(construct: IConstruct, attribute: str | None = None) -> str:
    """A reference as cdk-nag writes it in a finding ID: `<LogicalId>` or `<LogicalId.Attribute>`."""
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    logical_id = cdk.Stack.of(resource).resolve(resource.logical_id)
    return f"<{logical_id}.{attribute}>" if attribute else f"<{logical_id}>"


def wildcard_resource(arn: str) -> str:
    """cdk-nag 3's ID of the IAM5 finding for one wildcard resource, e.g. `AwsSolutions-IAM5[Resource::*]`.

    cdk-nag writes the resource as it appears in the template, so the ARN must be a literal string
    (explicit account and region, literal partition): a token would never match the finding.
    """
    if cdk.Token.is_unresolved(arn):
        raise ValueError(f"{arn} holds a token: name the resource literally to acknowledge its wildcard")
    return f"AwsSolutions-IAM5[Resource::{arn}]"


def wildcard_action(action: str) -> str:
    return f"AwsSolutions-IAM5[Action::{action}]"


def skip_provider_handler_checks(scope: IConstruct, provider_id: str, purpose: str) -> None:
    """checkov skips on the Lambda handler of one of CDK's singleton custom resource providers.

    `provider_id` is the provider's construct ID directly under the stack (for example
    `Custom::S3AutoDeleteObjectsCustomResourceProvider`); `purpose` says what CloudFormation uses it for.
    CDK builds these handlers itself (a raw AWS::Lambda::Function without VPC, concurrency or
    dead-letter settings); only CloudFormation invokes them, while the stack is created, updated
    or deleted.
    """
    skip_handler_checks(cdk.Stack.of(scope).node.find_child(provider_id).node.find_child("Handler"), purpose)


def skip_handler_checks(handler: IConstruct, purpose: str) -> None:
    """The checkov skips of `skip_provider_handler_checks` on one handler function CDK builds itself."""
    skip_checkov(
        handler,
        "CKV_AWS_115",
        f"CDK's handler that {purpose}: only CloudFormation invokes it, a few times per stack operation, "
        "and nothing in this app grants anyone else the right to. Reserving concurrency would only take "
        "capacity from the account's pool, and fails to deploy in accounts at the new-account limit of 10.",
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
