"""CMP005: named resources follow resource-type-environment-suffix within AWS name limits."""

from __future__ import annotations

import re

from compliance_gate.policies.cfn_values import ref_target, text
from compliance_gate.policies.model import CUSTOM_RESOURCES, STACK_TYPE, Resource, Rule, StackContext
from compliance_gate.policies.name_limits import NAME_LIMITS, NameLimit, names_the_resource
from compliance_gate.policies.sdk_calls import sdk_calls

_CDK_INTERNAL = re.compile(
    r"(^|/)(Custom::[A-Za-z0-9]+CustomResourceProvider|(Custom::)?[A-Za-z0-9]*[0-9a-fA-F]{32}|AwsCliLayer)(/|$)"
)
"""What CDK adds by itself, with no way to name it: custom resource providers (`Custom::...Provider`), the
singletons its constructs share per stack, whose IDs end in a UUID of 32 hex digits in either case (log
retention, AwsCustomResource, BucketDeployment's handler), and the AWS CLI layer of a BucketDeployment."""


_AWS_ENDINGS = re.compile(r"(\.fifo|-\d{12})$")
"""What AWS or global uniqueness appends after the suffix: a FIFO queue's `.fifo`, an account ID."""


_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_UNREAD = "\x00"
"""Stands for a reference the gate cannot read, as one token of the name."""


def _tokens(name: str, stack: StackContext) -> list[str]:
    """The name's tokens with the stack's pseudo parameters filled in (`${AWS::StackName}` is the stack's own
    name, so a stack named with the suffix gives a suffixed name), any other reference one unread token, and
    what AWS or global uniqueness appends after the suffix (`.fifo`, an account ID) set aside."""
    known = {"AWS::StackName": stack.name, "AWS::Region": stack.region, "AWS::AccountId": stack.account or "0" * 12}
    resolved = _REFERENCE.sub(lambda match: known.get(match.group(1)) or f"-{_UNREAD}-", name)
    return [token for token in re.split(r"[^A-Za-z0-9\x00]+", _AWS_ENDINGS.sub("", resolved)) if token]


def exempt(resource: Resource, stack: StackContext) -> str | None:
    limit = NAME_LIMITS.get(resource.type)
    if limit is None:
        return None  # a custom resource: its SDK calls are judged
    if resource.type == STACK_TYPE and resource.logical_id == stack.name and stack.nested:
        return "nested stack: CloudFormation names it after its parent stack, which carries the suffix"
    if limit.prop in resource.properties:
        return None
    if resource.type == STACK_TYPE and resource.logical_id != stack.name:
        return "nested stack: CloudFormation names it after its parent stack, which carries the suffix"
    if _CDK_INTERNAL.search(resource.path):
        return "CDK-internal provider resource: CDK offers no way to name it"
    return None


def _calls(resource: Resource, stack: StackContext) -> list[str]:
    """SDK calls that create something and name it (`createBucket`'s Bucket, `createRole`'s RoleName,
    `createSecret`'s Name; not `createServiceLinkedRole`'s AWSServiceName, which names a service): the name
    follows the convention as a template's would."""
    problems = []
    for call in sdk_calls(resource.type, resource.properties):
        if not call.action.lower().startswith("create"):
            continue
        created = call.action[len("create") :]
        created = created[:1].upper() + created[1:]
        for key, value in call.parameters.items():
            name = key[:1].upper() + key[1:]
            if name in (created, "Name") or names_the_resource(created, name):
                problems += [f"{call.label}: {problem}" for problem in _judge_name(key, value, stack, None)]
    return problems


def _judge_name(prop: str, value: object, stack: StackContext, limit: NameLimit | None) -> list[str]:
    if ref_target(value) in stack.resources or (isinstance(value, str) and value.strip("${}") in stack.resources):
        return []  # the name of another resource of the stack, judged there
    name = text(value)
    if name is None:
        return [f"{prop} is computed by an intrinsic the gate cannot read: {value!r}"]
    tokens = _tokens(name, stack)
    problems = []
    if tokens and tokens[-1] == _UNREAD:
        problems.append(
            f"{prop} {name!r} ends with a reference the gate cannot read, so it cannot tell whether the "
            f"environmentSuffix {stack.suffix!r} is its last token; end the name with the suffix"
        )
    elif len(tokens) < 3 or tokens[-1] != stack.suffix:
        problems.append(
            f"{prop} {name!r} does not follow resource-type-environment-suffix "
            f"with the environmentSuffix {stack.suffix!r} as its last dash-separated token"
        )
    if "${" not in name and limit is not None:
        problems += [f"{prop} {name!r} {problem}" for problem in limit.problems(name)]
    return problems


def check(resource: Resource, stack: StackContext) -> list[str]:
    if resource.type not in NAME_LIMITS:
        return _calls(resource, stack)
    limit = NAME_LIMITS[resource.type]
    value = resource.properties.get(limit.prop)
    if value is None:
        return [f"{limit.prop} is not set; name it <resource-type>-<environment>-{stack.suffix}"]
    return _judge_name(limit.prop, value, stack, limit)


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
    resource_types=frozenset({*NAME_LIMITS, *CUSTOM_RESOURCES}),
    exempt=exempt,
)
