"""What `make deploy` and `make destroy` do with the templates, as far as the release depends on it: the
resources the release uses, created from each template in its account (repositories with their
lifecycle and repository policies, secrets, buckets, CodeDeploy), the file assets the CLI publishes,
the AWS API calls CDK's AwsCustomResource makes at deploy time (read from each custom resource's
`Create` property and made only if its provider role's policies allow them), and, on destroy, what
CloudFormation refuses to delete.

What CloudFormation would refuse is refused here in its words: an ECS cluster in an account without
the ECS service-linked role, a bucket or repository that is not empty at deletion.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from tests.rehearsal.iam import Authorizer, decision
from tests.rehearsal.templates import REGION, Stack

ECS_SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"


class DeployFailed(AssertionError):
    """CloudFormation would fail the stack operation; the message says why."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass
class CloudFormation:
    """Deploys and destroys the stacks' relevant resources with an administrator session per account."""

    session: Callable[..., boto3.Session]
    client: Callable[[boto3.Session, str], Any]
    iam: Authorizer
    start_build: Callable[[Stack, str, dict[str, str]], None]
    cdk_out: Path
    sdk_calls: list[tuple[str, str, str]] = field(default_factory=list)
    """(stack, service:action, role) of every deploy-time API call made."""

    def deploy(self, stack: Stack) -> None:
        admin = self.session(stack.account)
        ecr, secrets, codedeploy, s3 = (self.client(admin, s) for s in ("ecr", "secretsmanager", "codedeploy", "s3"))
        for _, properties in stack.of_type("AWS::ECR::Repository"):
            properties = stack.resolve(properties)
            name = properties["RepositoryName"]
            ecr.create_repository(
                repositoryName=name,
                imageTagMutability=properties.get("ImageTagMutability", "MUTABLE"),
                imageScanningConfiguration={
                    "scanOnPush": properties.get("ImageScanningConfiguration", {}).get("ScanOnPush", False)
                },
            )
            if "LifecyclePolicy" in properties:
                text = properties["LifecyclePolicy"]["LifecyclePolicyText"]
                ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=text)
            if "RepositoryPolicyText" in properties:
                ecr.set_repository_policy(
                    repositoryName=name, policyText=json.dumps(properties["RepositoryPolicyText"])
                )
        for logical_id, properties in stack.of_type("AWS::SecretsManager::Secret"):
            generate = properties["GenerateSecretString"]
            value = {
                **json.loads(generate["SecretStringTemplate"]),
                generate["GenerateStringKey"]: "generated-by-secrets-manager",
            }
            created = secrets.create_secret(Name=properties["Name"], SecretString=json.dumps(value))
            stack.physical[logical_id] = created["ARN"]
        for _, properties in stack.of_type("AWS::CodeDeploy::Application"):
            codedeploy.create_application(
                applicationName=properties["ApplicationName"], computePlatform=properties["ComputePlatform"]
            )
        for _, properties in stack.of_type("AWS::CodeDeploy::DeploymentGroup"):
            codedeploy.create_deployment_group(
                applicationName=stack.ref(properties["ApplicationName"]["Ref"]),
                deploymentGroupName=properties["DeploymentGroupName"],
                serviceRoleArn=stack.attribute(properties["ServiceRoleArn"]["Fn::GetAtt"][0], "Arn"),
                deploymentStyle={
                    key[0].lower() + key[1:]: value for key, value in properties["DeploymentStyle"].items()
                },
            )
        for _, properties in stack.of_type("AWS::S3::Bucket"):
            name = stack.resolve(properties["BucketName"])
            s3.create_bucket(Bucket=name)
            if properties.get("VersioningConfiguration", {}).get("Status") == "Enabled":
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        self.publish_assets(stack)
        for logical_id, properties in stack.of_type("Custom::AWS"):
            self.sdk_call(stack, logical_id, properties)
        if any(True for _ in stack.of_type("AWS::ECS::Cluster")):
            roles = self.client(admin, "iam").list_roles(PathPrefix="/aws-service-role/ecs.amazonaws.com/")["Roles"]
            if not roles:
                raise DeployFailed(
                    f"{stack.name}: ECS cannot create the cluster's services: the account has no "
                    f"{ECS_SERVICE_LINKED_ROLE} service-linked role"
                )

    def publish_assets(self, stack: Stack) -> None:
        """What the CLI uploads before it deploys the stack: each file asset to the bootstrap bucket."""
        manifest = self.cdk_out / f"{stack.name}.assets.json"
        files = json.loads(manifest.read_text()).get("files", {}) if manifest.exists() else {}
        s3 = self.client(self.session(stack.account), "s3")
        for asset in files.values():
            for destination in asset["destinations"].values():
                bucket = destination["bucketName"]
                if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
                    s3.create_bucket(Bucket=bucket)  # `cdk bootstrap` made it
                s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=asset["source"]["path"].encode())

    def sdk_call(self, stack: Stack, logical_id: str, properties: dict[str, Any]) -> None:
        """The custom resource's Create call, with its provider role's permissions evaluated."""
        call = json.loads(stack.resolve(properties["Create"]))
        function = stack.resources[properties["ServiceToken"]["Fn::GetAtt"][0]]["Properties"]
        role = self.iam.roles[stack.resolve(function["Role"])]
        service, action, parameters = call["service"], call["action"], call.get("parameters", {})
        for iam_action, resource, context in _permissions(service, action, parameters, stack.account):
            allowed = decision(role.documents, iam_action, resource, {"aws:PrincipalArn": role.arn, **context})
            self.iam.decisions.append((role.name, iam_action, resource, allowed or "Deny"))
            if allowed != "Allow":
                raise DeployFailed(f"{stack.name}/{logical_id}: {role.name} may not {iam_action} on {resource}")
        self.sdk_calls.append((stack.name, f"{service}:{action}", role.name))
        if (service, action) == ("CodeBuild", "startBuild"):
            overrides = {item["name"]: item["value"] for item in parameters.get("environmentVariablesOverride", [])}
            self.start_build(stack, parameters["projectName"], overrides)
            return
        client = self.client(self.session(stack.account), service.lower())
        try:
            getattr(client, _snake(action))(**parameters)
        except ClientError as error:
            if not re.fullmatch(call.get("ignoreErrorCodesMatching", "(?!)"), error.response["Error"]["Code"]):
                raise DeployFailed(f"{stack.name}/{logical_id}: {service}.{action} failed: {error}") from None

    def destroy(self, stack: Stack) -> list[str]:
        """`cdk destroy` of the stack's buckets and repositories; what CloudFormation could not delete."""
        admin = self.session(stack.account)
        s3, ecr = self.client(admin, "s3"), self.client(admin, "ecr")
        emptied = {
            stack.resolve(properties["BucketName"]) for _, properties in stack.of_type("Custom::S3AutoDeleteObjects")
        }
        failures = []
        for _, properties in stack.of_type("AWS::S3::Bucket"):
            name = stack.resolve(properties["BucketName"])
            if name in emptied:  # the auto-delete provider empties it first
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
                    for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                        s3.delete_object(Bucket=name, Key=version["Key"], VersionId=version["VersionId"])
            try:
                s3.delete_bucket(Bucket=name)
            except ClientError as error:
                failures.append(f"{stack.name}: bucket {name}: {error.response['Error']['Code']}")
        for _, properties in stack.of_type("AWS::ECR::Repository"):
            name = stack.resolve(properties["RepositoryName"])
            try:
                ecr.delete_repository(repositoryName=name, force=bool(properties.get("EmptyOnDelete")))
            except ClientError as error:
                failures.append(f"{stack.name}: repository {name}: {error.response['Error']['Code']}")
        return failures


def _permissions(
    service: str, action: str, parameters: dict[str, Any], account: str
) -> list[tuple[str, str, dict[str, str]]]:
    """The IAM actions and resources an SDK call needs (Service Authorization Reference)."""
    if (service, action) == ("S3", "copyObject"):
        return [
            ("s3:GetObject", f"arn:aws:s3:::{parameters['CopySource']}", {}),
            ("s3:PutObject", f"arn:aws:s3:::{parameters['Bucket']}/{parameters['Key']}", {}),
        ]
    if (service, action) == ("IAM", "createServiceLinkedRole") and parameters["AWSServiceName"] == "ecs.amazonaws.com":
        name = parameters["AWSServiceName"]
        arn = f"arn:aws:iam::{account}:role/aws-service-role/{name}/{ECS_SERVICE_LINKED_ROLE}"
        return [("iam:CreateServiceLinkedRole", arn, {"iam:AWSServiceName": name})]
    if (service, action) == ("CodeBuild", "startBuild"):
        return [
            ("codebuild:StartBuild", f"arn:aws:codebuild:{REGION}:{account}:project/{parameters['projectName']}", {})
        ]
    raise NotImplementedError(f"the rehearsal does not know the permissions of {service}.{action}")
