"""CMP007: every stack deploys to the approved region, and no resource reaches another region.

A resource reaches a region through a property that names one (a stack set's Regions, a replica's
Region, an SDK call's region) or an ARN of another region (a target, a copy destination). S3 ARNs
name no region: replication to a bucket outside the stack cannot be placed, so it is refused.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from compliance_gate.policies.cfn_values import as_list, is_literal, ref_target, text, walk
from compliance_gate.policies.model import STACK_TYPE, Resource, Rule, StackContext

REGION_KEY = re.compile(r"^(region|regions|sourceregion|destinationregion|regionname|targetregion)$", re.I)
REGION_CODE = r"[a-z]{2}(?:-[a-z]+)+-\d+"
ARN_REGION = re.compile(rf"^arn:[a-z-]+:[a-z0-9-]+:({REGION_CODE}):")
REACHING = frozenset(
    {
        "AWS::CloudFormation::StackSet",
        "AWS::DynamoDB::GlobalTable",
        "AWS::ECR::ReplicationConfiguration",
        "AWS::S3::Bucket",
        "AWS::Backup::BackupPlan",
        "AWS::Events::Rule",
        "AWS::SNS::Subscription",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "Custom::AWS",
    }
)
"""Types the Aspect reads for this rule; the plugin and checkov judge every type's properties."""


def _calls(properties: Any) -> Any:
    """Custom resources' SDK calls are JSON strings: read them as the properties they are."""
    if isinstance(properties, dict):
        return {key: _calls(json.loads(value) if _json(value) else value) for key, value in properties.items()}
    return properties


def _json(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{") and '"region"' in value


def _replication(resource: Resource, stack: StackContext) -> list[str]:
    rules = as_list((resource.properties.get("ReplicationConfiguration") or {}).get("Rules"))
    problems = []
    for index, rule in enumerate(rules):
        bucket = ((rule or {}).get("Destination") or {}).get("Bucket")
        target = stack.resources.get(ref_target(bucket) or "")
        if bucket is not None and (target is None or target.get("Type") != "AWS::S3::Bucket"):
            problems.append(
                f"ReplicationConfiguration.Rules[{index}].Destination.Bucket is {bucket!r}: an S3 ARN names no "
                "region, so the gate cannot tell where it replicates; replicate to a bucket of this stack"
            )
    return problems


@cache
def _other_region(approved: str) -> re.Pattern[str]:
    """A region code other than `approved`, anywhere in a text."""
    return re.compile(rf"(?<![a-z0-9-])(?!{re.escape(approved)}(?![a-z0-9-])){REGION_CODE}(?![a-z0-9-])")


def _reach(resource: Resource, stack: StackContext) -> list[str]:
    replication = _replication(resource, stack) if resource.type == "AWS::S3::Bucket" else []
    region = stack.approved_region
    if not _other_region(region).search(json.dumps(resource.properties, default=str)):
        return replication  # no other region's code anywhere in it
    problems = []
    for location, key, value in walk(_calls(dict(resource.properties))):
        items = [(f"{location}[{i}]", item) for i, item in enumerate(value)] if isinstance(value, list) else []
        for where, item in items or [(location, value)]:
            if isinstance(item, dict | list) or not is_literal(item):
                continue
            literal = text(item) or ""
            if REGION_KEY.match(str(key)) and re.fullmatch(REGION_CODE, literal) and literal != region:
                problems.append(f"{where} is {literal!r}, not {region}")
            match = ARN_REGION.match(literal)
            if match and match.group(1) != region:
                problems.append(f"{where} reaches {match.group(1)!r}, not {region}")
    return problems + replication


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type != STACK_TYPE:
        return _reach(resource, stack)
    if resource.logical_id != stack.name:
        return []  # a nested stack resource deploys wherever its parent does
    if stack.region == stack.approved_region:
        return []
    return [f"stack region is {stack.region or 'unresolved (environment-agnostic)'}, not {stack.approved_region}"]


RULE = Rule(
    id="CMP007",
    title="Stacks deploy to the approved region and reach no other",
    severity="HIGH",
    rationale="The system is approved for one region only (the gate's `region`); data residency assumes it.",
    fix=(
        "Give every stack env=cdk.Environment(account=..., region=<the approved region>), and no resource a region, "
        "replica, replication or copy destination, target ARN or SDK call in another region."
    ),
    check=check,
)
