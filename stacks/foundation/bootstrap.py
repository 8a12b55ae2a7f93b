"""Puts the tools images into the tools repository at deploy time, before anything uses them."""

from __future__ import annotations

import hashlib
import json

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.naming import PIPELINE, Names
from stacks.pipeline import buildspecs
from stacks.pipeline.projects import BuildProject, ProjectDefaults
from stacks.sdk_calls import sdk_call

BOOTSTRAP_IMAGE = codebuild.LinuxBuildImage.AMAZON_LINUX_2_5
"""CodeBuild's managed standard image: the project that creates the tools images cannot run on them."""
WAIT_SECONDS = 3600


class ImageBootstrap(Construct):
    """A CodeBuild project that copies and builds the tools images, started by CloudFormation, and a
    wait condition that its build signals.

    `ready` is the wait condition: stacks and resources that use the images depend on it, so nothing
    deploys before the images exist, and a failed bootstrap fails the deploy with the build's ID.
    A change to the images (a digest, the Dockerfile) renames the wait condition, which CloudFormation
    replaces, and starts the project again; images already in the repository are skipped.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        names: Names,
        repository: ecr.IRepository,
        defaults: ProjectDefaults,
    ) -> None:
        super().__init__(scope, construct_id)
        spec = buildspecs.bootstrap_spec()
        self.project = BuildProject(
            self,
            "Project",
            project_name=names("image-bootstrap", PIPELINE, "AWS::CodeBuild::Project"),
            role_name=names("image-bootstrap-role", PIPELINE, "AWS::IAM::Role"),
            description="Copies the pinned tools images into the tools repository and builds the build image",
            build_spec=spec,
            defaults=defaults,
            build_image=BOOTSTRAP_IMAGE,
            privileged=True,  # docker pull, build and push
            standalone=True,
            environment_variables={
                "TOOLS_REPOSITORY_URI": repository.repository_uri,
                "TOOLS_REPOSITORY_NAME": repository.repository_name,
            },
        )
        repository.grant_pull_push(self.project.role)
        repository.grant(self.project.role, "ecr:DescribeImages")

        version = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
        handle = cdk.CfnWaitConditionHandle(self, f"Handle{version}")
        start = sdk_call(
            self,
            f"Start{version}",
            names=names,
            environment=PIPELINE,
            call=cr.AwsSdkCall(
                service="CodeBuild",
                action="startBuild",
                parameters={
                    "projectName": self.project.project.project_name,
                    "environmentVariablesOverride": [
                        {"name": buildspecs.WAIT_HANDLE_VARIABLE, "value": handle.ref, "type": "PLAINTEXT"}
                    ],
                },
                physical_resource_id=cr.PhysicalResourceId.from_response("build.id"),
                output_paths=["build.id"],
            ),
            statements=[
                iam.PolicyStatement(actions=["codebuild:StartBuild"], resources=[self.project.project.project_arn])
            ],
            on_update=False,
        )
        # The build starts at once: its role's policy (a separate resource) must exist by then.
        start.node.add_dependency(self.project.role)
        self.ready = cdk.CfnWaitCondition(
            self, f"Ready{version}", handle=handle.ref, timeout=str(WAIT_SECONDS), count=1
        )
        self.ready.node.add_dependency(start)
