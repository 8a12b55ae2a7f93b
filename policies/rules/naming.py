"""CMP005: named resources follow resource-type-environment-suffix within AWS name limits."""

from __future__ import annotations

import re

from compliance_gate.policies.cfn_values import text
from compliance_gate.policies.model import STACK_TYPE, Resource, Rule, StackContext
from compliance_gate.policies.name_limits import NAME_LIMITS

_CDK_INTERNAL = re.compile(r"(^|/)(Custom::[A-Za-z0-9]+CustomResourceProvider|[A-Za-z0-9]*[0-9a-f]{32})(/|$)")
"""Singleton providers CDK adds by itself (auto-delete objects, log retention, AwsCustomResource...)."""


_AWS_ENDINGS = re.compile(r"(\.fifo|-\d{12})$")
"""What AWS or global uniqueness appends after the suffix: a FIFO queue's `.fifo`, an account ID."""


def _ends_with_suffix(name: str, suffix: str) -> bool:
    """The suffix is the last token (after `.fifo` or an account ID are set aside), after two others."""
    tokens = re.split(r"[^A-Za-z0-9]+", _AWS_ENDINGS.sub("", name))
    return (len(tokens) >= 3 and tokens[-1] == suffix) or ("${" in name and suffix in tokens[2:])


def exempt(resource: Resource, stack: StackContext) -> str | None:
    limit = NAME_LIMITS[resource.type]
    if limit.prop in resource.properties:
        return None
    if resource.type == STACK_TYPE and resource.logical_id != stack.name:
        return "nested stack: CloudFormation names it after its parent stack, which carries the suffix"
    if _CDK_INTERNAL.search(resource.path):
        return "CDK-internal provider resource: CDK offers no way to name it"
    return None


def check(resource: Resource, stack: StackContext) -> list[str]:
    limit = NAME_LIMITS[resource.type]
    value = resource.properties.get(limit.prop)
    if value is None:
        return [f"{limit.prop} is not set; name it <resource-type>-<environment>-{stack.suffix}"]
    name = text(value)
    if name is None:
        return [f"{limit.prop} is computed by an intrinsic the gate cannot read: {value!r}"]
    problems = []
    if not _ends_with_suffix(name, stack.suffix):
        problems.append(
            f"{limit.prop} {name!r} does not follow resource-type-environment-suffix "
            f"with the environmentSuffix {stack.suffix!r} as its last dash-separated token"
        )
    if "${" not in name:
        problems += [f"{limit.prop} {name!r} {problem}" for problem in limit.problems(name)]
    return problems


RULE = Rule(
    id="CMP005",
    title="Resources are named resource-type-environment-suffix",
    severity="LOW",
    rationale=(
        "Several copies of the system (per pull request, per tester) share accounts; the "
        "environmentSuffix in every physical name keeps them apart and tells whose a resource is."
    ),
    fix="Set the resource's name property to <resource-type>-<environment>-<suffix>, within its type's AWS name limit.",
    check=check,
    resource_types=frozenset(NAME_LIMITS),
    exempt=exempt,
)
