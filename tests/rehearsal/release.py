"""The first release, rehearsed offline from a synthesized cloud assembly.

`make deploy` deploys the stacks in dependency order; the foundation stack's image bootstrap fills the
tools repository and signals its wait condition; the sample application's pipeline then runs Build,
Test and the three deploy projects, each one's buildspec under bash (codebuild.py) against moto's
server, with the variables and artifacts each action hands to the next. Every AWS call the scripts
and stand-ins make is logged by the server with the stage that made it and the account it landed in.

`python -m tests.rehearsal.release [CDK_OUT]` prints that timeline.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import BaseResponse
from moto.server import ThreadedMotoServer

from tests.rehearsal.aws import CodeDeployEngine
from tests.rehearsal.codebuild import Build, Project, Sandbox
from tests.rehearsal.iam import Authorizer, evaluated, roles_of, service_may_assume
from tests.rehearsal.templates import REGION, Stack, load_stacks

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_APP = ROOT / "sample-app"
WAIT_HANDLE_URL = "https://cloudformation-waitcondition-us-east-1.s3.amazonaws.com/arn%3Aaws%3Acloudformation/handle?X-Amz-Signature=rehearsal"
Edit = Callable[[str, dict[str, Any]], dict[str, Any]]
"""A change to a project's buildspec (by project name), to rehearse what a defect would do."""
_VARIABLE = re.compile(r"#\{([^.}]+)\.([^}]+)\}")


@dataclass
class Call:
    stage: str
    call: str
    account: str


@dataclass
class Timeline:
    """The AWS calls the server answered, with the stage the rehearsal was in."""

    stage: str = "setup"
    calls: list[Call] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per run of the same call (polls collapse into `xN`)."""
        runs: list[tuple[Call, int]] = []
        for call in self.calls:
            if runs and runs[-1][0] == call:
                runs[-1] = (call, runs[-1][1] + 1)
            else:
                runs.append((call, 1))
        width = max((len(call.stage) for call, _ in runs), default=0)
        return [f"{'stage':<{width}}  {'account':<12}  call (S3 object calls are not logged)"] + [
            f"{call.stage:<{width}}  {call.account}  {call.call}{f' x{count}' if count > 1 else ''}"
            for call, count in runs
        ]


@contextmanager
def moto_server(timeline: Timeline) -> Iterator[str]:
    """moto's server on a free local port, logging every call it answers into `timeline`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    original = BaseResponse.call_action

    def logged(response: BaseResponse) -> Any:
        result = original(response)
        if response.current_account != DEFAULT_ACCOUNT_ID:  # not the rehearsal's own setup calls
            timeline.calls.append(
                Call(timeline.stage, f"{response.service_name}:{response._get_action()}", response.current_account)
            )
        return result

    BaseResponse.call_action = logged
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()  # one process's backends
        timeline.calls.clear()
        yield endpoint
    finally:
        server.stop()
        BaseResponse.call_action = original


def project(stack: Stack, logical_id: str, edit: Edit) -> Project:
    """A CodeBuild project of the stack, its buildspec changed by `edit`."""
    found = Project.from_template(stack.resources[logical_id]["Properties"], stack.resolve)
    found.spec = edit(found.name, found.spec)
    return found


class FirstRelease:
    """Fresh accounts, `make deploy`, and the sample application's first run through its pipeline."""

    def __init__(
        self,
        cdk_out: Path,
        root: Path,
        endpoint: str,
        timeline: Timeline,
        edit: Edit = lambda name, spec: spec,
        deployments: Mapping[str, list[str]] = {},
    ) -> None:
        """`deployments`: what CodeDeploy does with each deploy action's deployment (statuses, one per
        poll; by action name), a success after one InProgress unless given."""
        self.deployments = deployments
        self.engines: dict[str, CodeDeployEngine] = {}
        self.actions: list[str] = []
        """The pipeline's actions in the order they ran (a manual approval, when given)."""
        self.stacks = load_stacks(cdk_out)
        self.order = list(self.stacks)
        self.iam = Authorizer(roles_of(list(self.stacks.values())))
        self.endpoint, self.timeline, self.edit = endpoint, timeline, edit
        self.sandbox = Sandbox(root, endpoint)
        (root / "empty").mkdir(exist_ok=True)
        self.builds: dict[str, Build] = {}
        self.exported: dict[str, dict[str, str]] = {}

    def stack(self, kind: str) -> Stack:
        """The one stack whose name starts with `cicd-<kind>-`."""
        (found,) = [stack for name, stack in self.stacks.items() if name.startswith(f"cicd-{kind}-")]
        return found

    def session(self, account: str, role: str = "rehearsal-admin") -> boto3.Session:
        sts = boto3.client("sts", endpoint_url=self.endpoint, region_name=REGION)
        credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="rehearsal")[
            "Credentials"
        ]
        return boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=REGION,
        )

    def client(self, session: boto3.Session, service: str) -> Any:
        return session.client(service, endpoint_url=self.endpoint)

    def role_credentials(self, stack: Stack, project_id: str) -> dict[str, str]:
        """What CodeBuild gives a build: the project's service role's credentials (its trust policy
        must let CodeBuild assume it)."""
        role = stack.resolve(stack.resources[project_id]["Properties"]["ServiceRole"])
        service_may_assume(self.iam.roles[role], "codebuild.amazonaws.com")
        session = self.session(stack.account, role.rsplit("/", 1)[1]).get_credentials()
        return {
            "AWS_ACCESS_KEY_ID": session.access_key,
            "AWS_SECRET_ACCESS_KEY": session.secret_key,
            "AWS_SESSION_TOKEN": session.token,
        }

    def play(self, approve: bool = True) -> None:
        """`make deploy`, then the sample application's first run, with IAM evaluated throughout."""
        with evaluated(self.iam):
            self.deploy()
            self.run_pipeline(approve=approve)

    # --- make deploy --------------------------------------------------------------------------

    def deploy(self) -> None:
        """Each stack in order, as far as the pipeline's run depends on what it creates."""
        for name in self.order:
            stack = self.stacks[name]
            self.timeline.stage = f"deploy {name}"
            self.provision(stack)
            if name.startswith("cicd-foundation-"):
                self.bootstrap_images(stack)

    def provision(self, stack: Stack) -> None:
        """The resources the release touches, created from the stack's template in its account."""
        session = self.session(stack.account)
        ecr, secrets, codedeploy, s3 = (self.client(session, s) for s in ("ecr", "secretsmanager", "codedeploy", "s3"))
        for _, properties in stack.of_type("AWS::ECR::Repository"):
            ecr.create_repository(
                repositoryName=properties["RepositoryName"],
                imageTagMutability=properties.get("ImageTagMutability", "MUTABLE"),
                imageScanningConfiguration={
                    "scanOnPush": properties.get("ImageScanningConfiguration", {}).get("ScanOnPush", False)
                },
            )
        for logical_id, properties in stack.of_type("AWS::SecretsManager::Secret"):
            generate = properties["GenerateSecretString"]
            value = {
                **json.loads(generate["SecretStringTemplate"]),
                generate["GenerateStringKey"]: "generated-by-secrets-manager",
            }
            stack.physical[logical_id] = secrets.create_secret(Name=properties["Name"], SecretString=json.dumps(value))[
                "ARN"
            ]
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
            s3.create_bucket(Bucket=properties["BucketName"])
            if properties.get("VersioningConfiguration", {}).get("Status") == "Enabled":
                s3.put_bucket_versioning(Bucket=properties["BucketName"], VersioningConfiguration={"Status": "Enabled"})

    def bootstrap_images(self, stack: Stack) -> None:
        """The custom resource starts the bootstrap build; its post_build signals the wait condition."""
        (project_id,) = [logical_id for logical_id, _ in stack.of_type("AWS::CodeBuild::Project")]
        self.timeline.stage = "image bootstrap"
        self.builds["bootstrap"] = self.sandbox.run(
            project(stack, project_id, self.edit),
            source=self.sandbox.root / "empty",  # no source: the build starts in an empty directory
            credentials=self.role_credentials(stack, project_id),
            variables={"WAIT_HANDLE_URL": WAIT_HANDLE_URL},
        )

    # --- the pipeline's first run -------------------------------------------------------------

    def run_pipeline(self, application: str = "sample", approve: bool = True) -> None:
        stack = self.stack("pipeline")
        (pipeline,) = [
            p for _, p in stack.of_type("AWS::CodePipeline::Pipeline") if application in json.dumps(p["Name"])
        ]
        artifacts: dict[str, Path] = {}
        for stage in pipeline["Stages"]:
            for action in sorted(stage["Actions"], key=lambda a: a.get("RunOrder", 1)):
                self.timeline.stage = f"{stage['Name']}/{action['Name']}"
                self.actions.append(action["Name"])
                provider = action["ActionTypeId"]["Provider"]
                if provider == "S3":
                    artifacts[action["OutputArtifacts"][0]["Name"]] = SAMPLE_APP
                    self.exported[action["Namespace"]] = {"VersionId": self.seed_source(stack, action)}
                elif provider == "Manual":
                    if not approve:
                        return
                elif provider == "CodeBuild":
                    build = self.run_action(stack, action, artifacts[action["InputArtifacts"][0]["Name"]])
                    if not build.succeeded:
                        return
                    for output in action.get("OutputArtifacts", []):
                        artifacts[output["Name"]] = build.artifacts
                    if "Namespace" in action:
                        self.exported[action["Namespace"]] = build.exported
                else:
                    raise ValueError(f"the rehearsal does not play {provider} actions ({action['Name']})")

    def seed_source(self, stack: Stack, action: dict[str, Any]) -> str:
        """What the SampleSource custom resource copies to the source key before the pipeline exists."""
        bucket = action["Configuration"]["S3Bucket"]  # the foundation stack's, by name
        s3 = self.client(self.session(stack.account), "s3")
        put = s3.put_object(Bucket=bucket, Key=action["Configuration"]["S3ObjectKey"], Body=b"sample-app bundle")
        return put.get("VersionId", "null")

    def run_action(self, stack: Stack, action: dict[str, Any], source: Path) -> Build:
        project_id = action["Configuration"]["ProjectName"]["Ref"]
        variables = {
            entry["name"]: _VARIABLE.sub(lambda m: self.exported[m.group(1)][m.group(2)], entry["value"])
            for entry in json.loads(action["Configuration"].get("EnvironmentVariables", "[]"))
        }
        script = self.deployments.get(action["Name"], ["InProgress", "Succeeded"])
        with CodeDeployEngine(stack.account, script) as self.engines[action["Name"]]:
            build = self.sandbox.run(
                project(stack, project_id, self.edit),
                source=source,
                credentials=self.role_credentials(stack, project_id),
                variables=variables,
            )
        self.builds[action["Name"]] = build
        return build


def main(argv: list[str]) -> int:
    cdk_out = Path(argv[0]) if argv else ROOT / "cdk.out"
    # moto's server answers everything; real credentials, if any are set, are never used.
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    timeline = Timeline()
    with tempfile.TemporaryDirectory() as root, moto_server(timeline) as endpoint:
        release = FirstRelease(cdk_out, Path(root), endpoint, timeline)
        release.play()
    print("\n".join(timeline.lines()))
    failed = [name for name, build in release.builds.items() if not build.succeeded]
    for name in failed:
        print(f"\n{name} failed:\n{release.builds[name].output}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
