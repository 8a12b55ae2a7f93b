"""AWS quotas that grow with the number of applications, checked on the synthesized templates.

A validation plugin beside the compliance gate: `cdk synth` fails when a template, or a resource in
it, goes past HEADROOM of a quota that CloudFormation or the service would enforce only at deploy
time, with one line per finding naming the stack (and resource), the quota and the count.

Sizes of policy documents and event patterns are counted on the template's JSON without whitespace,
as IAM and EventBridge count characters; a reference (`Ref`, `Fn::GetAtt`) counts as written, which
is close to the ARN it becomes (both are tens of characters).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from compliance_gate.policies.assembly import read_json, stack_artifact

HEADROOM = 0.9
"""The share of each quota a template may use: the rest is room for the next change."""
STACK_RESOURCE_LIMIT = "@aws-cdk/core:stackResourceLimit"
"""CDK's own check (500) would throw a jsii error before this plugin could report: lifted (app.py)."""

TEMPLATE_RESOURCES = 500
TEMPLATE_BYTES = 1_048_576
"""A template body uploaded to S3, as the CDK CLI uploads every template over 51,200 bytes."""
TEMPLATE_SECTIONS = {"Resources": TEMPLATE_RESOURCES, "Parameters": 200, "Outputs": 200, "Mappings": 200}
DESCRIPTION_BYTES = 1024
ROLE_INLINE_POLICIES = 10_240
"""Characters of all of a role's inline policies together (IAM)."""
MANAGED_POLICY = 6_144
TRUST_POLICY = 2_048
"""A role's trust policy (IAM's default; adjustable to 4,096)."""
EVENT_PATTERN = 2_048
EVENT_BUS_POLICY = 10_240
DASHBOARD_WIDGETS = 500
TOPIC_POLICY = 30_720
BUCKET_POLICY = 20_480
ROLES_PER_ACCOUNT = 5_000
"""IAM's largest roles-per-account quota (the default, 1,000, can be raised to it): the system's roles
in one account, over all its stacks there, must fit."""


@dataclass(frozen=True)
class Finding:
    stack: str
    logical_id: str
    """Empty for the stack itself (or the account)."""
    message: str


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def _over(what: str, count: int, limit: int, quota: str) -> str | None:
    allowed = int(limit * HEADROOM)
    if count <= allowed:
        return None
    headroom = 100 - round(HEADROOM * 100)
    return f"{what}: {count:,}; {quota} is {limit:,}, this system keeps {headroom}% headroom (at most {allowed:,})"


def _resource_limits(body: Mapping[str, Any]) -> Iterator[tuple[str, int, int, str]]:
    """(what, count, limit, quota) for each size-limited part of one resource."""
    properties = body.get("Properties") or {}
    kind = body.get("Type")
    if kind == "AWS::IAM::Role":
        inline = sum(_size(policy.get("PolicyDocument")) for policy in properties.get("Policies") or [])
        yield "inline policies' characters", inline, ROLE_INLINE_POLICIES, "IAM's limit for a role's inline policies"
        trust = _size(properties.get("AssumeRolePolicyDocument"))
        yield "trust policy characters", trust, TRUST_POLICY, "IAM's default limit for a trust policy"
    elif kind == "AWS::IAM::ManagedPolicy":
        yield "policy characters", _size(properties.get("PolicyDocument")), MANAGED_POLICY, "IAM's managed policy limit"
    elif kind == "AWS::Events::Rule" and "EventPattern" in properties:
        pattern = _size(properties["EventPattern"])
        yield "event pattern characters", pattern, EVENT_PATTERN, "EventBridge's event pattern limit"
    elif kind == "AWS::Events::EventBus" and "Policy" in properties:
        yield "bus policy characters", _size(properties["Policy"]), EVENT_BUS_POLICY, "EventBridge's bus policy limit"
    elif kind == "AWS::CloudWatch::Dashboard":
        widgets = len(json.loads(_joined(properties.get("DashboardBody", "{}"))).get("widgets", []))
        yield "widgets", widgets, DASHBOARD_WIDGETS, "CloudWatch's widgets per dashboard"
    elif kind == "AWS::SNS::TopicPolicy":
        yield "policy bytes", _size(properties.get("PolicyDocument")), TOPIC_POLICY, "SNS's topic policy limit"
    elif kind == "AWS::S3::BucketPolicy":
        yield "policy bytes", _size(properties.get("PolicyDocument")), BUCKET_POLICY, "S3's bucket policy limit"


def _joined(value: Any) -> str:
    """A string the template builds with `Fn::Join`, references standing in as `x`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_joined(part) for part in parts)
    return "x"


def findings(templates: Mapping[str, tuple[str, Mapping[str, Any], int]]) -> list[Finding]:
    """Every quota past its headroom: `templates` maps a stack name to (account, template, body bytes)."""
    found: list[Finding] = []
    roles: dict[str, int] = {}
    for stack, (account, template, size) in templates.items():
        checks = [
            (f"{section} in the template", len(template.get(section) or {}), limit, f"CloudFormation's {section} quota")
            for section, limit in TEMPLATE_SECTIONS.items()
        ]
        checks.append(("template body bytes", size, TEMPLATE_BYTES, "CloudFormation's template body quota"))
        description = len(str(template.get("Description", "")).encode())
        checks.append(("description bytes", description, DESCRIPTION_BYTES, "CloudFormation's description limit"))
        found += [Finding(stack, "", line) for check in checks if (line := _over(*check))]
        for logical_id, body in (template.get("Resources") or {}).items():
            found += [Finding(stack, logical_id, line) for check in _resource_limits(body) if (line := _over(*check))]
            if body.get("Type") == "AWS::IAM::Role":
                roles[account] = roles.get(account, 0) + 1
    for account, count in roles.items():
        line = _over(
            f"IAM roles in account {account}", count, ROLES_PER_ACCOUNT, "IAM's largest roles-per-account quota"
        )
        if line:
            found.append(Finding("(every stack in the account)", "", line))
    return found


def describe(finding: Finding) -> str:
    """The one line a user reads."""
    where = f"{finding.stack}/{finding.logical_id}" if finding.logical_id else finding.stack
    return f"{where}: {finding.message}"


@jsii.implements(cdk.IPolicyValidationPlugin)
class QuotaPlugin:
    """Runs `findings` over the synthesized templates; each finding fails synthesis."""

    @property
    def name(self) -> str:
        return "aws-quotas"

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def rule_ids(self) -> list[str]:
        return ["QUOTA"]

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        paths = {
            Path(stack.template_path).name.removesuffix(".template.json"): Path(stack.template_path)
            for stack in context.stack_templates
        }
        templates = {stack: (_account(path), read_json(path), path.stat().st_size) for stack, path in paths.items()}
        violations = [
            cdk.PolicyViolation(
                rule_name="QUOTA",
                description=describe(finding),
                fix="Split the stack or the resource, or list fewer applications in cicd:applications.",
                violating_resources=[
                    cdk.PolicyViolatingResource(
                        resource_logical_id=finding.logical_id or finding.stack,
                        template_path=str(paths.get(finding.stack, "")),
                        locations=["(template)"],
                    )
                ],
            )
            for finding in findings(templates)
        ]
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)


def _account(template_path: Path) -> str:
    """The stack's account, from the cloud assembly's manifest (`unknown-account` when env-agnostic)."""
    return stack_artifact(template_path).get("environment", "aws://unknown-account/").split("/")[2]
