"""The synthesized stacks as the rehearsals read them: each template, its account, and the values its
intrinsic functions take once CloudFormation has created the resources.

Names come from the templates (every resource the release touches is named); ARNs are built in each
resource type's documented format. A value CloudFormation would generate (a listener's ARN, an ID)
becomes an opaque `<unresolved ...>` string, which no policy pattern written for real ARNs matches, so
a grant that depends on it grants nothing in the rehearsal rather than everything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REGION = "us-east-1"
_NAMES = {
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::IAM::Role": "RoleName",
    "AWS::CodeBuild::ReportGroup": "Name",
    "AWS::CodeBuild::Project": "Name",
    "AWS::CodeDeploy::Application": "ApplicationName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    "AWS::CodePipeline::Pipeline": "Name",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::SNS::Topic": "TopicName",
}
"""The property that holds each named type's physical name (what Ref returns, except where _REF_ARNS says)."""
_ARNS = {
    "AWS::ECR::Repository": "arn:aws:ecr:{region}:{account}:repository/{name}",
    "AWS::IAM::Role": "arn:aws:iam::{account}:role/{name}",
    "AWS::CodeBuild::ReportGroup": "arn:aws:codebuild:{region}:{account}:report-group/{name}",
    "AWS::CodeBuild::Project": "arn:aws:codebuild:{region}:{account}:project/{name}",
    "AWS::S3::Bucket": "arn:aws:s3:::{name}",
    "AWS::Lambda::Function": "arn:aws:lambda:{region}:{account}:function:{name}",
    "AWS::Logs::LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}:*",
    "AWS::CloudWatch::Alarm": "arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
    "AWS::SNS::Topic": "arn:aws:sns:{region}:{account}:{name}",
    "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:{region}:{account}:secret:{name}-AbCdEf",
}
"""Each type's Arn attribute (Secrets Manager adds six random characters to a secret's ARN)."""
_REF_ARNS = {"AWS::SecretsManager::Secret", "AWS::SNS::Topic"}
"""Types whose Ref is their ARN."""
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class Stack:
    """One synthesized stack: its template, account, and the values its Refs and GetAtts take."""

    def __init__(self, cdk_out: Path, artifact: dict[str, Any], name: str) -> None:
        self.name = name
        self.account = artifact["environment"].split("/")[2]
        self.template = json.loads((cdk_out / artifact["properties"]["templateFile"]).read_text())
        self.resources = self.template["Resources"]
        self.physical: dict[str, str] = {}
        """Values learnt when the rehearsal created a resource (a secret's ARN), by logical ID."""

    def of_type(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource["Type"] == resource_type:
                yield logical_id, resource.get("Properties", {})

    def ref(self, logical_id: str) -> str:
        pseudo = {
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Region": REGION,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::StackName": self.name,
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        if logical_id in self.physical:
            return self.physical[logical_id]
        resource_type = self.resources[logical_id]["Type"]
        if resource_type == "AWS::CloudFormation::WaitConditionHandle":  # a pre-signed URL
            return (
                f"https://cloudformation-waitcondition-{REGION}.s3.amazonaws.com/arn%3Aaws%3Acloudformation%3A"
                f"{REGION}%3A{self.account}%3Astack/{self.name}/{logical_id}?X-Amz-Signature=rehearsal"
            )
        if resource_type in _REF_ARNS:
            return self.attribute(logical_id, "Arn")
        if resource_type == "AWS::ECS::Service":
            properties = self.resources[logical_id]["Properties"]
            cluster = self.resolve(properties["Cluster"])
            return f"arn:aws:ecs:{REGION}:{self.account}:service/{cluster}/{self.resolve(properties['ServiceName'])}"
        return self.name_of(logical_id)

    def name_of(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        key = _NAMES.get(resource["Type"], "Name")
        if key not in resource.get("Properties", {}):
            return f"<unresolved {logical_id}>"
        return self.resolve(resource["Properties"][key])

    def attribute(self, logical_id: str, attribute: str) -> str:
        resource_type = self.resources[logical_id]["Type"]
        if attribute != "Arn" or resource_type not in _ARNS:
            return f"<unresolved {logical_id}.{attribute}>"
        return _ARNS[resource_type].format(region=REGION, account=self.account, name=self.name_of(logical_id))

    def resolve(self, value: Any) -> Any:
        """A template value with the intrinsic functions evaluated (Ref, GetAtt, Join, Select, Split, Sub)."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self.ref(value["Ref"])
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self.attribute(logical_id, attribute)
        if "Fn::Join" in value:
            separator, items = value["Fn::Join"]
            return separator.join(str(self.resolve(item)) for item in items)
        if "Fn::Select" in value:
            index, items = value["Fn::Select"]
            return self.resolve(items)[int(index)]
        if "Fn::Split" in value:
            separator, text = value["Fn::Split"]
            return self.resolve(text).split(separator)
        if "Fn::Sub" in value:
            text, variables = value["Fn::Sub"] if isinstance(value["Fn::Sub"], list) else (value["Fn::Sub"], {})
            return _SUB.sub(lambda match: self._substitute(match.group(1), variables), text)
        if "Fn::ImportValue" in value:
            return f"<unresolved import {value['Fn::ImportValue']}>"
        return {key: self.resolve(item) for key, item in value.items()}

    def _substitute(self, name: str, variables: dict[str, Any]) -> str:
        if name in variables:
            return str(self.resolve(variables[name]))
        if "." in name and not name.startswith("AWS::"):
            return self.attribute(*name.split(".", 1))
        return self.ref(name)


def load_stacks(cdk_out: Path) -> dict[str, Stack]:
    """Every stack of the assembly, in the order `cdk deploy --all` deploys them."""
    artifacts = json.loads((cdk_out / "manifest.json").read_text())["artifacts"]
    stacks = {name: a for name, a in artifacts.items() if a["type"] == "aws:cloudformation:stack"}
    return {name: Stack(cdk_out, stacks[name], name) for name in deploy_order(stacks)}


def deploy_order(stacks: dict[str, dict[str, Any]]) -> list[str]:
    """The CDK CLI's order for `deploy --all`: every stack after the stacks it depends on."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or name not in stacks:
            return
        for dependency in stacks[name].get("dependencies", []):
            visit(dependency)
        order.append(name)

    for name in sorted(stacks):
        visit(name)
    return order
