"""CMP001: every resource can be destroyed with its stack."""

from __future__ import annotations

import json
import re
from typing import Any

from compliance_gate.policies.cfn_values import as_list, is_true, policy_documents, ref_target, text, walk
from compliance_gate.policies.model import STACK_TYPE, Resource, Rule, StackContext

KEEPING_POLICIES = {"Retain", "RetainExceptOnCreate", "Snapshot"}
PROTECTION = re.compile(r"deletionprotect|terminationprotect|disableapiterminat|deleteprotect", re.I)
"""Property names that switch on deletion or termination protection, wherever they are nested."""
LOCKING_CALL = re.compile(r"objectlock|legalhold|vaultlock|retention|terminationprotection|deletionprotection", re.I)
"""SDK actions that lock, retain or protect what they change."""
AUTO_DELETE = "Custom::S3AutoDeleteObjects"
OFF_WORDS = {"false", "disabled", "inactive", "none", "off", "bypass"}
PROTECTABLE_TYPES = frozenset(
    {
        "AWS::AppConfig::ConfigurationProfile",
        "AWS::AppConfig::Environment",
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::Bedrock::DataSource",
        "AWS::CloudTrail::Dashboard",
        "AWS::CloudTrail::EventDataStore",
        "AWS::Cognito::UserPool",
        "AWS::DSQL::Cluster",
        "AWS::DocDB::DBCluster",
        "AWS::DocDB::GlobalCluster",
        "AWS::DynamoDB::GlobalTable",
        "AWS::DynamoDB::Table",
        "AWS::EC2::Instance",
        "AWS::EC2::LaunchTemplate",
        "AWS::ECS::CapacityProvider",
        "AWS::ECS::Gateway",
        "AWS::EKS::Cluster",
        "AWS::EMR::Cluster",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::Logs::LogGroup",
        "AWS::Neptune::DBCluster",
        "AWS::Neptune::GlobalCluster",
        "AWS::NeptuneGraph::Graph",
        "AWS::NetworkFirewall::Firewall",
        "AWS::OpenSearchServerless::Collection",
        "AWS::QLDB::Ledger",
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::RDS::GlobalCluster",
        "AWS::SMSVOICE::NotifyConfiguration",
        "AWS::SMSVOICE::PhoneNumber",
        "AWS::SMSVOICE::Pool",
        "AWS::SMSVOICE::ProtectConfiguration",
        "AWS::SMSVOICE::RcsAgent",
        "AWS::SMSVOICE::SenderId",
        "AWS::SSMIncidents::ReplicationSet",
        "AWS::VerifiedPermissions::PolicyStore",
        "AWS::WellArchitected::AgentProfile",
        STACK_TYPE,
    }
)
"""Every CloudFormation type with a protection property (tests/test_rules.py checks this list against
the resource schemas cfn-lint ships), plus load balancers (an attribute) and stacks (termination)."""


def _switched_on(value: object) -> bool:
    word = text(value)
    return word is not None and word.strip().lower() not in OFF_WORDS


def _emptied(bucket_id: str, stack: StackContext) -> bool:
    """Whether CDK's auto-delete-objects custom resource empties this bucket before deletion."""
    return bool(bucket_id) and any(
        body.get("Type") == AUTO_DELETE and ref_target((body.get("Properties") or {}).get("BucketName")) == bucket_id
        for body in stack.resources.values()
    )


def _denies_deletion(statement: Any) -> bool:
    """A resource policy statement (it names a Principal) that denies a Delete action to everyone it names."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny" or "Condition" in statement:
        return False
    if "Principal" not in statement and "NotPrincipal" not in statement:
        return False
    names = [str(action).split(":", 1)[-1].lower() for action in as_list(statement.get("Action"))]
    return any(name.startswith("delete") or ("*" in name and "delete".startswith(name.split("*")[0])) for name in names)


def _protecting_call(resource: Resource) -> list[str]:
    """AwsCustomResource calls (Create, Update) that switch on a protection, a lock or a retention."""
    problems = []
    for key in ("Create", "Update"):
        call = resource.properties.get(key)
        try:
            call = json.loads(call) if isinstance(call, str) else call
        except ValueError:
            continue
        if not isinstance(call, dict):
            continue
        switches = [value for _, name, value in walk(call.get("parameters") or {}) if PROTECTION.search(str(name))]
        locking = LOCKING_CALL.search(str(call.get("action", "")))
        if any(_switched_on(value) for value in switches if not isinstance(value, dict | list)) or (
            locking and not switches
        ):
            problems.append(
                f"the custom resource's {key} call ({call.get('service')} {call.get('action')}) switches on a "
                "protection, lock or retention: what it changes can then not be destroyed"
            )
    return problems


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
    if resource.type == "AWS::Backup::BackupVault" and properties.get("LockConfiguration"):
        problems.append(
            "LockConfiguration locks the vault's recovery points: the vault cannot be deleted while it holds any"
        )
    if resource.type.startswith("Custom::") or resource.type == "AWS::CloudFormation::CustomResource":
        problems += _protecting_call(resource)
    for location, document in policy_documents(properties):
        for index, statement in enumerate(as_list(document.get("Statement"))):
            if _denies_deletion(statement):
                problems.append(
                    f"{location}.Statement[{index}] denies deletion without a condition: CloudFormation's delete "
                    "is refused too"
                )
    return problems


def check(resource: Resource, stack: StackContext) -> list[str]:
    problems = [
        f"{attribute} is {policy}"
        for attribute, policy in (
            ("DeletionPolicy", resource.deletion_policy),
            ("UpdateReplacePolicy", resource.update_replace_policy),
        )
        if policy is not None and (text(policy) is None or text(policy) in KEEPING_POLICIES)
    ]
    problems += _outcome(resource, stack)
    if resource.type not in PROTECTABLE_TYPES:
        return problems
    for location, key, value in walk(resource.properties):
        if PROTECTION.search(str(key)) and not isinstance(value, dict | list) and _switched_on(value):
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
        "leave DeletionPolicy/UpdateReplacePolicy unset or Delete, turn off deletion and termination "
        "protection, Object Lock and vault locks, and deny no Delete action in resource policies."
    ),
    check=check,
)
