"""CMP001: every resource can be destroyed with its stack."""

from __future__ import annotations

from policies.cfn_values import as_list, is_true, text, walk
from policies.model import Resource, Rule, StackContext

KEEPING_POLICIES = {"Retain", "RetainExceptOnCreate", "Snapshot"}
_ENABLED_WORDS = {"true", "active", "enabled"}


def check(resource: Resource, stack: StackContext) -> list[str]:
    problems = [
        f"{attribute} is {policy}"
        for attribute, policy in (
            ("DeletionPolicy", resource.deletion_policy),
            ("UpdateReplacePolicy", resource.update_replace_policy),
        )
        if policy is not None and (policy in KEEPING_POLICIES or text(policy) is None)
    ]
    for location, key, value in walk(resource.properties):
        word = (text(value) or "").lower()
        if "DeletionProtection" in str(key) and word in _ENABLED_WORDS:
            problems.append(f"{location} is {value}")
        if key in ("DisableApiTermination", "TerminationProtection") and is_true(value):
            problems.append(f"{location} is {value}")
    for index, attribute in enumerate(as_list(resource.properties.get("LoadBalancerAttributes"))):
        if (
            isinstance(attribute, dict)
            and attribute.get("Key") == "deletion_protection.enabled"
            and is_true(attribute.get("Value"))
        ):
            problems.append(f"LoadBalancerAttributes[{index}] enables deletion_protection.enabled")
    return problems


RULE = Rule(
    id="CMP001",
    title="Resources are destroyable",
    severity="HIGH",
    rationale=(
        "Environments are created and torn down for testing; a retained resource, a snapshot or "
        "deletion protection leaves orphans that block the next deployment and keep costing money."
    ),
    fix=(
        "Use RemovalPolicy.DESTROY (buckets: auto_delete_objects=True; ECR: empty_on_delete=True), "
        "leave DeletionPolicy/UpdateReplacePolicy unset or Delete, and turn off deletion and "
        "termination protection."
    ),
    check=check,
)
