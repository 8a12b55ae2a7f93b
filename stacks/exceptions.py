"""Narrow, reasoned exceptions for third-party scanners: cdk-nag findings and checkov checks.

The compliance gate's own exceptions go through `aspects.acknowledge` instead. Both helpers here
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
