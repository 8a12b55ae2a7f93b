"""What a rule is, what it looks at, and what it returns."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

DEFAULT_REGION = "us-east-1"
"""The region the gate approves unless told another (`apply_gate(region=...)`)."""
_SUFFIX = re.compile(r"^[a-z0-9]{1,24}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class GateSettingsError(ValueError):
    """The gate given settings no name or stack can meet, or applied too late: one line."""


def check_settings(suffix: object, region: object) -> None:
    """The suffix every name must end with and the one region, as apply_gate and the runner accept them."""
    if not isinstance(suffix, str) or not _SUFFIX.match(suffix):
        raise GateSettingsError(
            f"suffix {suffix!r}: expected 1 to 24 lowercase letters or digits (it is the last token of every "
            "name: many AWS names refuse capitals and spaces, and a '-' would make it two tokens)"
        )
    if not isinstance(region, str) or not _REGION.match(region):
        raise GateSettingsError(f"region {region!r}: expected an AWS region code like us-east-1")


STACK_TYPE = "AWS::CloudFormation::Stack"
"""Each stack is also evaluated as a pseudo-resource of this type (properties StackName,
TerminationProtection), so stack-level policy reads like any other rule."""


@dataclass(frozen=True)
class Resource:
    """One resource of a synthesized template, as the rules see it."""

    logical_id: str
    type: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    deletion_policy: str | None = None
    update_replace_policy: str | None = None
    path: str = ""
    """Construct path (`aws:cdk:path` metadata), empty when unknown."""

    @classmethod
    def from_template(cls, logical_id: str, body: Mapping[str, Any]) -> Resource:
        return cls(
            logical_id=logical_id,
            type=body.get("Type", ""),
            properties=body.get("Properties") or {},
            deletion_policy=body.get("DeletionPolicy"),
            update_replace_policy=body.get("UpdateReplacePolicy"),
            path=(body.get("Metadata") or {}).get("aws:cdk:path", ""),
        )


@dataclass(frozen=True)
class StackContext:
    """What a rule may know about the stack around a resource."""

    name: str
    suffix: str
    account: str | None = None
    """None when the stack is environment-agnostic (the template says `Ref AWS::AccountId`)."""
    region: str | None = None
    termination_protection: bool = False
    path: str = ""
    resources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The template's Resources section, for rules that must follow a Ref to another resource."""
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    """The template's Parameters, Conditions and Mappings: what deploy time decides (policies.deploy_time)."""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """The template's Outputs and Metadata sections: written in the template like any property."""
    transforms: tuple[str, ...] = ()
    """The template's Transform section (its macros)."""
    readable_nested: frozenset[str] | None = None
    """Nested stack resources whose templates are in the cloud assembly; None where that is not known."""
    approved_region: str = DEFAULT_REGION
    """The one region the gate allows (`apply_gate(region=...)`)."""

    @property
    def nested(self) -> bool:
        """A nested stack's template, judged as `<parent>/<logical ID>` (CloudFormation names the stack)."""
        return "/" in self.name

    def stack_resource(self) -> Resource:
        return Resource(
            logical_id=self.name,
            type=STACK_TYPE,
            properties={"StackName": self.name, "TerminationProtection": self.termination_protection},
            path=self.path,
        )


Check = Callable[[Resource, StackContext], list[str]]
"""A rule's function: the problems it finds (empty when compliant)."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    rationale: str
    fix: str
    check: Check
    resource_types: frozenset[str] | None = None
    """None: the rule applies to every resource type; an entry may be a wildcard pattern (`Custom::*`), as
    checkov reads its checks' resource types too."""
    exempt: Callable[[Resource, StackContext], str | None] | None = None
    """Optional: a reason this applicable resource cannot comply (reported, never silent)."""

    def applies_to(self, resource_type: str) -> bool:
        if self.resource_types is None or resource_type in self.resource_types:
            return True
        return any(fnmatchcase(resource_type, pattern) for pattern in _wildcards(self.resource_types))


CUSTOM_RESOURCES = frozenset({"Custom::*", "AWS::CloudFormation::CustomResource"})
"""Custom resources' types: their SDK calls (policies.sdk_calls) are judged like resources."""


def is_custom_resource(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"


@cache
def _wildcards(resource_types: frozenset[str]) -> tuple[str, ...]:
    return tuple(pattern for pattern in resource_types if "*" in pattern)
