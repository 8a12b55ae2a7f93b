"""Physical-name properties of CloudFormation types, with their AWS length and character limits.

Used by the naming rule and by the stacks' naming helper, so a generated name that would break a
limit is rejected before synthesis. Types whose name is scoped to a parent (an IAM inline policy
inside its role) are not listed: they do not name anything in the account.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NameLimit:
    prop: str
    max_length: int
    pattern: str
    """A regular expression the whole name must match (AWS's allowed characters)."""
    min_length: int = 1

    def problems(self, name: str) -> list[str]:
        found = []
        if not self.min_length <= len(name) <= self.max_length:
            found.append(f"is {len(name)} characters; AWS allows {self.min_length} to {self.max_length}")
        try:
            allowed = re.fullmatch(self.pattern, name) is not None
        except re.error:  # an ECMAScript-only construct in a schema's pattern: the length still counts
            allowed = True
        if not allowed:
            found.append(f"has characters or a shape AWS does not allow (must match {self.pattern})")
        return found


_DASHED = r"[A-Za-z0-9_-]+"
_ALNUM_DASH = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_IAM = r"[\w+=,.@-]+"

NAME_LIMITS: dict[str, NameLimit] = {
    "AWS::S3::Bucket": NameLimit("BucketName", 63, r"[a-z0-9][a-z0-9.-]*[a-z0-9]", min_length=3),
    "AWS::IAM::Role": NameLimit("RoleName", 64, _IAM),
    "AWS::IAM::ManagedPolicy": NameLimit("ManagedPolicyName", 128, _IAM),
    "AWS::IAM::InstanceProfile": NameLimit("InstanceProfileName", 128, _IAM),
    "AWS::CodeBuild::Project": NameLimit("Name", 255, r"[A-Za-z0-9][A-Za-z0-9_-]*", min_length=2),
    "AWS::CodeBuild::ReportGroup": NameLimit("Name", 128, r"[A-Za-z0-9][A-Za-z0-9_-]*", min_length=2),
    "AWS::CodeBuild::Fleet": NameLimit("Name", 128, r"[A-Za-z0-9][A-Za-z0-9_-]*", min_length=2),
    "AWS::CodePipeline::Pipeline": NameLimit("Name", 100, r"[A-Za-z0-9.@_-]+"),
    "AWS::CodeDeploy::Application": NameLimit("ApplicationName", 100, r"[A-Za-z0-9.@_+=,/-]+"),
    "AWS::CodeDeploy::DeploymentGroup": NameLimit("DeploymentGroupName", 100, r"[A-Za-z0-9.@_+=,/-]+"),
    "AWS::CodeDeploy::DeploymentConfig": NameLimit("DeploymentConfigName", 100, r"[A-Za-z0-9.@_+=,/-]+"),
    "AWS::CodeStarNotifications::NotificationRule": NameLimit("Name", 64, r"[A-Za-z0-9 _-]+"),
    "AWS::ECR::Repository": NameLimit(
        "RepositoryName", 256, r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*", min_length=2
    ),
    "AWS::ECS::Cluster": NameLimit("ClusterName", 255, _DASHED),
    "AWS::ECS::Service": NameLimit("ServiceName", 255, _DASHED),
    "AWS::ECS::TaskDefinition": NameLimit("Family", 255, _DASHED),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": NameLimit("Name", 32, _ALNUM_DASH),
    "AWS::ElasticLoadBalancingV2::TargetGroup": NameLimit("Name", 32, _ALNUM_DASH),
    "AWS::EC2::SecurityGroup": NameLimit("GroupName", 255, r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+"),
    "AWS::Lambda::Function": NameLimit("FunctionName", 64, _DASHED),
    "AWS::Logs::LogGroup": NameLimit("LogGroupName", 512, r"[.\-_/#A-Za-z0-9]+"),
    "AWS::Logs::MetricFilter": NameLimit("FilterName", 512, r"[^:*]+"),
    "AWS::Events::Rule": NameLimit("Name", 64, r"[.\-_A-Za-z0-9]+"),
    "AWS::Events::EventBus": NameLimit("Name", 256, r"[/.\-_A-Za-z0-9]+"),
    "AWS::CloudWatch::Alarm": NameLimit("AlarmName", 255, r"[^\x00-\x1f]+"),
    "AWS::CloudWatch::CompositeAlarm": NameLimit("AlarmName", 255, r"[^\x00-\x1f]+"),
    "AWS::CloudWatch::Dashboard": NameLimit("DashboardName", 255, _DASHED),
    "AWS::SNS::Topic": NameLimit("TopicName", 256, _DASHED),
    "AWS::SQS::Queue": NameLimit("QueueName", 80, r"[A-Za-z0-9_-]+(?:\.fifo)?"),
    "AWS::SecretsManager::Secret": NameLimit("Name", 512, r"[A-Za-z0-9/_+=.@-]+"),
    "AWS::SSM::Parameter": NameLimit("Name", 2048, r"[A-Za-z0-9/_.-]+"),
    "AWS::DynamoDB::Table": NameLimit("TableName", 255, r"[A-Za-z0-9_.-]+", min_length=3),
    "AWS::KMS::Alias": NameLimit("AliasName", 256, r"alias/[A-Za-z0-9/_-]+"),
    "AWS::StepFunctions::StateMachine": NameLimit("StateMachineName", 80, r"[A-Za-z0-9_-]+"),
    "AWS::CloudFormation::Stack": NameLimit("StackName", 128, r"[A-Za-z][A-Za-z0-9-]*"),
}
"""Limits AWS documents beyond the schemas, and name properties the schemas' convention misses
(GroupName, FilterName, Family). `AWS::CloudFormation::Stack` stands for every stack: nested stack
resources and the gate's stack pseudo-resource."""

GENERATED = Path(__file__).with_name("name_properties.json")
"""Every type of the CloudFormation resource schemas (as cfn-lint ships them) whose own name
(`<Kind>Name` or `Name`) is a create-only property, i.e. a physical name: `python -m
policies.name_limits` regenerates it; tests/test_naming_coverage.py checks it is current."""


def _from_schemas() -> dict[str, NameLimit]:
    limits = {}
    for resource_type, entry in json.loads(GENERATED.read_text()).items():
        pattern = entry.get("pattern") or ".+"
        limits[resource_type] = NameLimit(
            entry["property"],
            entry.get("maxLength") or 2048,
            pattern.removeprefix("^").removesuffix("$"),  # compiled when a name of the type is judged
            min_length=entry.get("minLength") or 1,
        )
    return limits


NAME_LIMITS = {**_from_schemas(), **NAME_LIMITS}


def _tokens(name: str) -> list[str]:
    """A CamelCase name's words (`DBClusterIdentifier` -> DB, Cluster, Identifier)."""
    return re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|\d+", name)


def names_the_resource(kind: str, candidate: str) -> bool:
    """Whether a property names the resource itself rather than another one it refers to: its stem (before
    Name or Identifier) is the type's own kind, a tail of it (GlobalTable's TableName), or what the kind is a
    version of (LayerVersion's LayerName); an `Id` only when its stem is the whole kind (ReplicationGroupId)."""
    match = re.fullmatch(r"(.*?)(Name|Identifier|Id)", candidate)
    if match is None:
        return False
    stem, words = _tokens(match.group(1)), _tokens(kind)
    if match.group(2) == "Id":
        return stem == words
    return bool(stem) and (words[-len(stem) :] == stem or words == [*stem, "Version"])


def _scoped_to_a_parent(schema: dict) -> set[str]:
    """Properties of a primary identifier that also names another resource (a role's inline policy is
    identified by PolicyName and RoleName): unique only within that parent, not in the account."""
    parts = {pointer.split("/")[-1] for pointer in schema.get("primaryIdentifier", [])} - {"AwsAccountId", "Arn"}
    return parts if len(parts) > 1 else set()


def generate(schemas: Path) -> dict[str, dict[str, object]]:
    """Type -> name property and its schema limits, from the us-east-1 resource schemas in `schemas`: the
    create-only top-level property that names the resource (`<Kind>Name` or `Name` first, then an
    identifier or name of the kind: DBClusterIdentifier, LayerName, TableName)."""
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    found: dict[str, dict[str, object]] = {}
    for resource_type, digest in sorted(index.items()):
        schema = json.loads((schemas / "resources" / f"{digest}.json").read_text())
        kind = resource_type.split("::")[-1]
        create_only = [
            pointer.split("/")[2] for pointer in schema.get("createOnlyProperties", []) if pointer.count("/") == 2
        ]
        properties = schema.get("properties", {})
        candidates = [name for name in (f"{kind}Name", "Name") if name in create_only]
        scoped = _scoped_to_a_parent(schema)
        candidates += sorted(name for name in create_only if names_the_resource(kind, name) and name not in scoped)
        for candidate in candidates:
            spec = properties.get(candidate)
            if isinstance(spec, dict) and spec.get("type", "string") == "string":
                limits = {key: spec[key] for key in ("maxLength", "minLength", "pattern") if key in spec}
                found[resource_type] = {"property": candidate, **limits}
                break
    return found


if __name__ == "__main__":
    import cfnlint

    data = generate(Path(cfnlint.__file__).parent / "data" / "schemas")
    GENERATED.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"{GENERATED}: {len(data)} types")
