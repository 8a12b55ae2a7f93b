"""CMP007: every stack deploys to the approved region, and no resource reaches another region.

A resource reaches a region through a property that names one (a stack set's Regions, a replica's
Region, an SDK call's region) or an ARN of another region (a target, a copy destination). S3 ARNs
name no region: replication to a bucket outside the stack cannot be placed, so it is refused.
"""

from __future__ import annotations

import json
import re
from functools import cache

from compliance_gate.policies.cfn_values import as_list, located_strings, ref_target, walk
from compliance_gate.policies.deploy_time import is_unknown
from compliance_gate.policies.model import STACK_TYPE, Resource, Rule, StackContext
from compliance_gate.policies.named_values import named_values
from compliance_gate.policies.sdk_calls import documents

REGION_KEY = re.compile(r"^(aws_)?(default_)?((source|destination|target|home)_?)?regions?(_?(name|code|id))?$", re.I)
"""Names that choose a region: properties (Region, Regions, DestinationRegion), SDK calls' `region`, and the
environment variables the AWS SDKs and CLI read (AWS_REGION, AWS_DEFAULT_REGION)."""
REGION_CODE = r"[a-z]{2}(?:-[a-z]+)+-\d+"
_REACHING_TEXT = re.compile(
    rf"arn:[a-z-]+:[a-z0-9-]+:(?P<arn>{REGION_CODE}):|[a-z0-9-]+\.(?P<endpoint>{REGION_CODE})\.amazonaws\.com"
)
"""A region inside a text: an ARN's region field, or an endpoint's (`sqs.eu-west-1.amazonaws.com`)."""


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
    for prefix, document in documents(resource.type, resource.properties):
        chosen = [(location, name, value) for location, name, value in named_values(document)]
        chosen += [
            (f"{location}[{index}]", key, item)
            for location, key, value in walk(document)
            if isinstance(value, list)
            for index, item in enumerate(value)
        ]
        for location, name, value in chosen:
            literal = value if isinstance(value, str) and not is_unknown(value) else None
            if literal and REGION_KEY.match(name) and re.fullmatch(REGION_CODE, literal) and literal != region:
                problems.append(f"{prefix}{location} is {literal!r}, not {region}")
        for location, written in located_strings(document, composed=True):
            if is_unknown(written):
                continue
            for match in _REACHING_TEXT.finditer(written):
                reached = match.group("arn") or match.group("endpoint")
                if reached != region:
                    problems.append(f"{prefix}{location} reaches {reached!r}, not {region}")
    return list(dict.fromkeys(problems)) + replication


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
