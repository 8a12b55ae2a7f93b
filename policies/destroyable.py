"""CMP001: every resource can be destroyed with its stack."""

from __future__ import annotations

import re

from policies.cfn_values import as_list, is_true, text, walk
from policies.model import STACK_TYPE, Resource, Rule, StackContext

KEEPING_POLICIES = {"Retain", "RetainExceptOnCreate", "Snapshot"}
PROTECTION = re.compile(r"deletionprotect|terminationprotect|disableapiterminat|deleteprotect", re.I)
"""Property names that switch on deletion or termination protection, wherever they are nested."""
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


def check(resource: Resource, stack: StackContext) -> list[str]:
    problems = [
        f"{attribute} is {policy}"
        for attribute, policy in (
            ("DeletionPolicy", resource.deletion_policy),
            ("UpdateReplacePolicy", resource.update_replace_policy),
        )
        if policy is not None and (text(policy) is None or text(policy) in KEEPING_POLICIES)
    ]
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
        "leave DeletionPolicy/UpdateReplacePolicy unset or Delete, and turn off deletion and "
        "termination protection."
    ),
    check=check,
    property_types=PROTECTABLE_TYPES,
)
