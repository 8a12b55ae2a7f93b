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
import botocore.exceptions
import pytest
import requests
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import BaseResponse
from moto.server import ThreadedMotoServer

from tests.rehearsal.aws import FAKE_CREDENTIALS, CodeDeployEngine
from tests.rehearsal.cloudformation import CloudFormation
from tests.rehearsal.codebuild import Build, Project, Sandbox
from tests.rehearsal.iam import Authorizer, decision, evaluated, roles_of, service_may_assume
from tests.rehearsal.templates import REGION, Stack, load_stacks

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_APP = ROOT / "sample-app"
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
def server_credentials() -> Iterator[None]:
    """Credentials for moto's server (the rehearsals' own setup calls), instead of the package's in-process moto."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in FAKE_CREDENTIALS.items():
            patch.setenv(key, value)
        yield


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
        repositories: Mapping[str, Path] = {},
    ) -> None:
        """`deployments`: what CodeDeploy does with each deploy action's deployment (statuses, one per
        poll; by action name), a success after one InProgress unless given. `repositories`: the checkout
        a CodeConnections source action gives (the whole repository, as CODE_ZIP), by FullRepositoryId."""
        self.deployments, self.repositories = deployments, repositories
        self.engines: dict[str, CodeDeployEngine] = {}
        self.actions: list[str] = []
        """The pipeline's actions in the order they ran (a manual approval, when given)."""
        self.stacks = load_stacks(cdk_out)
        self.order = list(self.stacks)
        self.iam = Authorizer(roles_of(list(self.stacks.values())))
        self.cloudformation = CloudFormation(self.session, self.client, self.iam, self.start_build, cdk_out)
        self.stopped = ""
        """Why the pipeline stopped before its end (an action that failed), empty if it ran through."""
        self.problems: list[str] = []
        """What the rehearsal saw go wrong that CodePipeline would not: an action that succeeded before
        its deployment did, deployed tasks that cannot pull their image."""
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

    def play(self, approve: bool = True, application: str = "sample") -> None:
        """`make deploy`, then the application's first run, with IAM evaluated throughout."""
        with evaluated(self.iam):
            self.deploy()
            self.run_pipeline(application, approve=approve)

    # --- make deploy --------------------------------------------------------------------------

    def deploy(self) -> None:
        """Each stack in order, as far as the pipeline's run depends on what it creates."""
        for name in self.order:
            stack = self.stacks[name]
            self.timeline.stage = f"deploy {name}"
            self.cloudformation.deploy(stack)
            self.iam.roles = roles_of(list(self.stacks.values()))  # with the ARNs this stack's creation fixed

    def destroy(self) -> list[str]:
        """`make destroy`: every stack in reverse order; what CloudFormation could not delete."""
        failures = []
        for name in reversed(self.order):
            self.timeline.stage = f"destroy {name}"
            failures += self.cloudformation.destroy(self.stacks[name])
        return failures

    def start_build(self, stack: Stack, project_name: str, variables: dict[str, str]) -> None:
        """A build a custom resource starts (the image bootstrap): no source, the overrides as variables;
        its post_build signals the wait condition."""
        (project_id,) = [
            logical_id
            for logical_id, properties in stack.of_type("AWS::CodeBuild::Project")
            if stack.resolve(properties["Name"]) == project_name
        ]
        self.timeline.stage = "image bootstrap"
        self.builds["bootstrap"] = self.sandbox.run(
            project(stack, project_id, self.edit),
            source=self.sandbox.root / "empty",  # no source: the build starts in an empty directory
            credentials=self.role_credentials(stack, project_id),
            variables=variables,
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
                    version = self.read_source(stack, action)
                    if version is None:
                        return
                    artifacts[action["OutputArtifacts"][0]["Name"]] = SAMPLE_APP
                    self.exported[action["Namespace"]] = {"VersionId": version}
                elif provider == "CodeStarSourceConnection":
                    repository = self.repositories.get(action["Configuration"]["FullRepositoryId"])
                    if repository is None:
                        self.stopped = f"{action['Name']} failed: no repository {action['Configuration']}"
                        return
                    artifacts[action["OutputArtifacts"][0]["Name"]] = repository
                    self.exported[action["Namespace"]] = {"CommitId": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"}
                elif provider == "Manual":
                    if not approve:
                        return
                elif provider == "CodeBuild":
                    build = self.run_action(stack, action, artifacts[action["InputArtifacts"][0]["Name"]])
                    if not build.succeeded or self.problems:
                        self.stopped = f"{action['Name']} failed" if not build.succeeded else self.problems[-1]
                        return
                    for output in action.get("OutputArtifacts", []):
                        artifacts[output["Name"]] = build.artifacts
                    if "Namespace" in action:
                        self.exported[action["Namespace"]] = build.exported
                else:
                    raise ValueError(f"the rehearsal does not play {provider} actions ({action['Name']})")

    def read_source(self, stack: Stack, action: dict[str, Any]) -> str | None:
        """The S3 source action: the object's version (what the deploy-time seeding put there), or None
        when there is none, which fails the pipeline's first run."""
        bucket, key = action["Configuration"]["S3Bucket"], action["Configuration"]["S3ObjectKey"]
        s3 = self.client(self.session(stack.account), "s3")
        try:
            return s3.head_object(Bucket=bucket, Key=key).get("VersionId", "null")
        except botocore.exceptions.ClientError:
            self.stopped = f"{action['Name']} failed: the object s3://{bucket}/{key} does not exist"
            return None

    def run_action(self, stack: Stack, action: dict[str, Any], source: Path) -> Build:
        project_id = action["Configuration"]["ProjectName"]["Ref"]
        variables = {
            entry["name"]: _VARIABLE.sub(lambda m: self.exported[m.group(1)][m.group(2)], entry["value"])
            for entry in json.loads(action["Configuration"].get("EnvironmentVariables", "[]"))
        }
        script = self.deployments.get(action["Name"], ["InProgress", "Succeeded"])
        played = project(stack, project_id, self.edit)
        with CodeDeployEngine(stack.account, script) as self.engines[action["Name"]]:
            build = self.sandbox.run(
                played,
                source=source,
                credentials=self.role_credentials(stack, project_id),
                variables=variables,
            )
        unfinished = [d for d in self.engines[action["Name"]].deployments() if d.status != "Succeeded"]
        if build.succeeded and unfinished:  # CodePipeline would go on while CodeDeploy has not finished
            deployment = unfinished[0]
            self.problems.append(
                f"{action['Name']} succeeded while deployment {deployment.deployment_id} is {deployment.status}"
            )
        if build.succeeded and "EXECUTION_ROLE_ARN" in played.environment:
            refused = self.pull_as_task(played.environment["EXECUTION_ROLE_ARN"], variables["IMAGE_URI"])
            if refused:
                self.problems.append(f"{action['Name']}: the deployed tasks cannot start: {refused}")
        self.builds[action["Name"]] = build
        return build

    def pull_as_task(self, execution_role: str, image_uri: str) -> str:
        """What ECS does to start the deployed tasks: pull the image with the task execution role, from
        the pipeline account's repository (its repository policy admits other accounts). Why it cannot,
        or empty."""
        role = self.iam.roles[execution_role]
        service_may_assume(role, "ecs-tasks.amazonaws.com")
        account, repository = image_uri.split(".")[0], image_uri.split("/", 1)[1].split(":")[0]
        ecr = self.client(self.session(account), "ecr")
        policy = json.loads(ecr.get_repository_policy(repositoryName=repository)["policyText"])
        arn = f"arn:aws:ecr:{REGION}:{account}:repository/{repository}"
        if decision(role.documents, "ecr:GetAuthorizationToken", "*", {"aws:PrincipalArn": role.arn}) != "Allow":
            return f"{role.name} may not ecr:GetAuthorizationToken"
        for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
            if not self.iam.with_resource_policy(role, action, arn, policy):
                return f"{role.name} may not {action} on {arn}"
        return ""


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
