"""CMP001: every resource can be destroyed with its stack."""

from __future__ import annotations

import re
from typing import Any

from compliance_gate.policies.cfn_values import as_list, is_true, policy_documents, ref_target, text, walk
from compliance_gate.policies.iam_patterns import actions_overlap, covers
from compliance_gate.policies.model import STACK_TYPE, Resource, Rule, StackContext, is_custom_resource
from compliance_gate.policies.schema_facts import (
    PROTECTION_NAME,
    known_type,
    protected_by_default,
    protection_paths,
    values_at,
)
from compliance_gate.policies.sdk_calls import sdk_calls

KEEPING_POLICIES = {"Retain", "RetainExceptOnCreate", "Snapshot"}
SNAPSHOT_BY_DEFAULT = "Snapshot"
"""CloudFormation's DeletionPolicy when none is given: Delete, except Snapshot for AWS::RDS::DBCluster and
for an AWS::RDS::DBInstance without DBClusterIdentifier (the DeletionPolicy attribute's documentation)."""
LOCKING_CALL = re.compile(
    r"objectlock|legalhold|objectretention|vaultlock|lockconfiguration|terminationprotection|deletionprotection", re.I
)
"""SDK actions that lock or protect what they change (S3 Object Lock, Backup and Glacier vault locks, stack
termination protection); a log group's putRetentionPolicy only sets how long events are kept."""
AUTO_DELETE = "Custom::S3AutoDeleteObjects"
OFF_WORDS = {"false", "disabled", "inactive", "none", "off", "bypass"}
DELETING = ("*:delete*", "kms:schedulekeydeletion")
"""Actions that delete (any service's Delete* actions) or schedule deletion (a KMS key's), as IAM patterns."""
BACKUP_PLAN = "AWS::Backup::BackupPlan"


def default_deletion_policy(resource: Resource) -> str | None:
    if resource.type == "AWS::RDS::DBCluster" or (
        resource.type == "AWS::RDS::DBInstance" and "DBClusterIdentifier" not in resource.properties
    ):
        return SNAPSHOT_BY_DEFAULT
    return None


def _switched_on(value: object) -> bool:
    """Whether a protection's value switches it on: a word other than an off word, or an object (such as
    `{"Mode": "ENABLED"}`) with any such word; numbers (thresholds) switch nothing on."""
    if isinstance(value, dict) and ref_target(value) is None and text(value) is None:
        return any(_switched_on(item) for item in value.values())
    if isinstance(value, list):
        return any(_switched_on(item) for item in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return False
    word = text(value)
    return word is None or word.strip().lower() not in OFF_WORDS


def _emptied(bucket_id: str, stack: StackContext) -> bool:
    """Whether CDK's auto-delete-objects custom resource empties this bucket before deletion."""
    return bool(bucket_id) and any(
        body.get("Type") == AUTO_DELETE and ref_target((body.get("Properties") or {}).get("BucketName")) == bucket_id
        for body in stack.resources.values()
    )


def _deletions(resource_type: str) -> tuple[str, ...]:
    """The deleting actions of the resource's service, as IAM action patterns."""
    service = resource_type.split("::")[1].lower() if resource_type.count("::") == 2 else "*"
    return (f"{service}:delete*", *(["kms:schedulekeydeletion"] if service == "kms" else []))


def _denies_deletion(statement: Any, resource_type: str) -> bool:
    """A resource policy statement (it names a Principal) that denies, without a condition, a deleting action
    to whoever it names: an Action pattern that can match any service's deletion (wildcards included), or a
    NotAction that leaves one of the resource's own service's deleting actions out."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny" or "Condition" in statement:
        return False
    if "Principal" not in statement and "NotPrincipal" not in statement:
        return False
    if "NotAction" in statement:
        excluded = [str(action).lower() for action in as_list(statement.get("NotAction"))]
        return not all(any(covers(pattern, action) for pattern in excluded) for action in _deletions(resource_type))
    actions = [str(action).lower() for action in as_list(statement.get("Action"))]
    return any(actions_overlap(action, deleting) for action in actions for deleting in DELETING)


def _protecting_call(resource: Resource) -> list[str]:
    """SDK calls (Create, Update) that switch on a protection or a lock, judged by what they do: an action
    that locks (S3 Object Lock, a vault lock, termination protection) unless a parameter switches it off,
    or any action with a protection parameter switched on."""
    problems = []
    for call in sdk_calls(resource.type, resource.properties):
        switches = [value for _, name, value in walk(dict(call.parameters)) if PROTECTION_NAME.search(str(name))]
        locking = LOCKING_CALL.search(call.action)
        if any(_switched_on(value) for value in switches) or (locking and not switches):
            problems.append(
                f"{call.label} switches on a protection, lock or retention: what it changes can then not be destroyed"
            )
    return problems


def _filled_by_a_plan(vault_id: str, properties: Any, stack: StackContext) -> list[str]:
    """Backup plans of the stack whose rules (or copy actions) put recovery points into this vault: AWS
    Backup refuses to delete a vault that holds any, so CloudFormation's delete fails."""
    name = text(properties.get("BackupVaultName")) if isinstance(properties, dict) else None
    plans = []
    for logical_id, body in stack.resources.items():
        if body.get("Type") != BACKUP_PLAN:
            continue
        rules = as_list(((body.get("Properties") or {}).get("BackupPlan") or {}).get("BackupPlanRule"))
        targets = [(rule or {}).get("TargetBackupVault") for rule in rules if isinstance(rule, dict)]
        targets += [
            (action or {}).get("DestinationBackupVaultArn")
            for rule in rules
            if isinstance(rule, dict)
            for action in as_list(rule.get("CopyActions"))
        ]
        if any(ref_target(target) == vault_id or (name and text(target) == name) for target in targets):
            plans.append(logical_id)
    return [
        f"backup plan {plan} of this stack stores recovery points in the vault: AWS Backup cannot delete a vault "
        "that holds any, so the stack's deletion fails"
        for plan in plans
    ]


def _outcome(resource: Resource, stack: StackContext) -> list[str]:
    """What makes CloudFormation's delete fail although the policies say Delete."""
    properties = resource.properties
    problems = []
    if resource.type == "AWS::S3::Bucket":
        if not _emptied(resource.logical_id, stack):
            problems.append(
                "the bucket is not emptied before deletion (no auto-delete-objects custom resource): CloudFormation "
                "cannot delete a bucket that holds objects"
            )
        if is_true(properties.get("ObjectLockEnabled")):
            problems.append(
                "ObjectLockEnabled is true: locked object versions cannot be deleted, so neither can the bucket"
            )
    if resource.type == "AWS::ECR::Repository" and not is_true(properties.get("EmptyOnDelete")):
        problems.append("EmptyOnDelete is not true: CloudFormation cannot delete a repository that holds images")
    if resource.type == "AWS::Backup::BackupVault":
        if properties.get("LockConfiguration"):
            problems.append(
                "LockConfiguration locks the vault's recovery points: the vault cannot be deleted while it holds any"
            )
        problems += _filled_by_a_plan(resource.logical_id, properties, stack)
    problems += _protecting_call(resource)
    for location, document in policy_documents(properties):
        for index, statement in enumerate(as_list(document.get("Statement"))):
            if _denies_deletion(statement, resource.type):
                problems.append(
                    f"{location}.Statement[{index}] denies deletion without a condition: CloudFormation's delete "
                    "is refused too"
                )
    return problems


def _protections(resource: Resource) -> list[str]:
    """Every protection the resource switches on: the properties the resource schemas define for its type
    (whatever their value's shape), a load balancer's deletion_protection.enabled attribute, and, for a
    type the schemas do not know, any property named like a protection."""
    paths = protection_paths(resource.type)
    if resource.type == STACK_TYPE:  # the stack itself (the gate's pseudo-resource): its TerminationProtection
        paths = [*paths, "TerminationProtection"]
    found = [
        (location, value)
        for path in paths
        if not any(path.startswith(f"{other}.") for other in paths)  # an object judged as a whole
        for location, value in values_at(resource.properties, path)
    ]
    if not known_type(resource.type) and not is_custom_resource(resource.type):
        found += [
            (location, value) for location, key, value in walk(resource.properties) if PROTECTION_NAME.search(key)
        ]
    problems = [f"{location} is {value}" for location, value in found if _switched_on(value)]
    problems += [
        f"{name} is not set, and the resource schema's default switches it on: set it off"
        for name in protected_by_default(resource.type)
        if name not in resource.properties
    ]
    for index, attribute in enumerate(as_list(resource.properties.get("LoadBalancerAttributes"))):
        if (
            isinstance(attribute, dict)
            and attribute.get("Key") == "deletion_protection.enabled"
            and _switched_on(attribute.get("Value"))
        ):
            problems.append(f"LoadBalancerAttributes[{index}] enables deletion_protection.enabled")
    return problems


def check(resource: Resource, stack: StackContext) -> list[str]:
    deletion = resource.deletion_policy if resource.deletion_policy is not None else default_deletion_policy(resource)
    problems = [
        f"{attribute} is {policy}" + (" (CloudFormation's default for this resource)" if given is None else "")
        for attribute, policy, given in (
            ("DeletionPolicy", deletion, resource.deletion_policy),
            ("UpdateReplacePolicy", resource.update_replace_policy, resource.update_replace_policy),
        )
        if policy is not None and (text(policy) is None or text(policy) in KEEPING_POLICIES)
    ]
    return problems + _outcome(resource, stack) + _protections(resource)


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
        "leave DeletionPolicy/UpdateReplacePolicy unset or Delete, turn off deletion and termination "
        "protection, Object Lock and vault locks, and deny no Delete action in resource policies."
    ),
    check=check,
)
