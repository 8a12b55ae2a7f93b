"""Deploy one application image to one environment (runs in the pipeline account's deploy project).

Assumes the environment's deploy role with its external ID, registers a task definition revision
rendered from the build's `taskdef.json`, starts a CodeDeploy blue/green deployment with the
rendered `appspec.json` and waits for it. The exit status is 0 only when the deployment succeeded:
a failed, stopped or rolled-back deployment, a timeout or an AWS error fails the pipeline action.

The deploy role is assumed from the project's own role (role chaining), so its credentials last at
most an hour: they are assumed again before they run out, however long the deployment waits. A
deployment still running at the deadline is stopped with rollback, and the script waits until it
has stopped, so the next release can start. A succeeded deployment tags its image in the pipeline
account's repository (`deployed-<environment>-<digest>`), which the repository's lifecycle keeps.

Standard library and boto3 only (the deploy project installs the pinned boto3).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import string
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

SUCCEEDED = "Succeeded"
FAILED = frozenset({"Failed", "Stopped"})
ENDED = FAILED | {SUCCEEDED}
POLL_SECONDS = 15
SESSION_SECONDS = 3600
"""Role chaining caps the deploy role's session at one hour."""
REFRESH_MARGIN_SECONDS = 600
"""Assume the role again when its credentials have less than this left."""
STOP_WAIT_SECONDS = 300
"""How long a timed-out deployment may take to stop and roll back (DEPLOY_STOP_WAIT_SECONDS); the
project's timeout covers the wait, this and the build's own steps."""
DEPLOYED_TAG_PREFIX = "deployed-"

TEMPLATE_VARIABLES = (
    "APP_NAME",
    "TARGET_ENVIRONMENT",
    "IMAGE_URI",
    "IMAGE_TAG",
    "TASK_FAMILY",
    "EXECUTION_ROLE_ARN",
    "TASK_ROLE_ARN",
    "CONTAINER_NAME",
    "CONTAINER_PORT",
    "HEALTH_CHECK_PATH",
    "CPU",
    "MEMORY",
    "LOG_GROUP",
    "AWS_REGION",
    "SMOKE_TEST_FUNCTION",
)
"""Placeholders the task definition and appspec templates may use (`${NAME}`), from the environment;
`TASK_DEFINITION_ARN` is added for the appspec once the revision is registered."""

TARGET_VARIABLES = ("DEPLOY_ROLE_ARN", "EXTERNAL_ID", "CODEDEPLOY_APPLICATION", "DEPLOYMENT_GROUP", "REPOSITORY_NAME")

Clock = Callable[[], float]
"""Seconds since the epoch (the credentials' expiry is a wall-clock time)."""


class DeploymentError(Exception):
    """The deployment did not succeed; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where to deploy: the target account's deploy role and CodeDeploy deployment group."""

    role_arn: str
    external_id: str
    application: str
    deployment_group: str
    repository: str
    timeout_seconds: int
    stop_wait_seconds: int = STOP_WAIT_SECONDS

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Target:
        values = _required(env, TARGET_VARIABLES)
        return cls(
            role_arn=values["DEPLOY_ROLE_ARN"],
            external_id=values["EXTERNAL_ID"],
            application=values["CODEDEPLOY_APPLICATION"],
            deployment_group=values["DEPLOYMENT_GROUP"],
            repository=values["REPOSITORY_NAME"],
            timeout_seconds=int(env.get("DEPLOY_TIMEOUT_SECONDS", "3600")),
            stop_wait_seconds=int(env.get("DEPLOY_STOP_WAIT_SECONDS", str(STOP_WAIT_SECONDS))),
        )


def _required(env: Mapping[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    missing = [key for key in keys if not env.get(key)]
    if missing:
        raise DeploymentError(f"environment variables not set: {', '.join(missing)}")
    return {key: env[key] for key in keys}


def render(template: str, values: Mapping[str, str]) -> dict[str, Any]:
    """Fill `${NAME}` placeholders and parse the result as JSON."""
    try:
        return json.loads(string.Template(template).substitute(values))
    except KeyError as missing:
        raise DeploymentError(f"template placeholder ${{{missing.args[0]}}} has no value") from None
    except ValueError as error:  # a malformed placeholder or invalid JSON
        raise DeploymentError(f"template does not render to JSON: {error}") from None


class TargetAccount:
    """ECS and CodeDeploy clients as the target account's deploy role (the external ID guards against
    confused deputies), assumed again whenever its credentials come within REFRESH_MARGIN_SECONDS of
    expiring."""

    def __init__(
        self,
        sts: Any,
        target: Target,
        *,
        session_name: str,
        region: str,
        clients_for: Callable[[boto3.Session], tuple[Any, Any]],
        clock: Clock,
    ) -> None:
        self._sts, self._target, self._session_name, self._region = sts, target, session_name[:64], region
        self._clients_for, self._clock = clients_for, clock
        self._expires_at = 0.0
        self._clients: tuple[Any, Any] = (None, None)
        self.sessions = 0

    @property
    def ecs(self) -> Any:
        return self._fresh()[0]

    @property
    def codedeploy(self) -> Any:
        return self._fresh()[1]

    def _fresh(self) -> tuple[Any, Any]:
        if self._expires_at - self._clock() < REFRESH_MARGIN_SECONDS:
            credentials = self._sts.assume_role(
                RoleArn=self._target.role_arn,
                RoleSessionName=self._session_name,
                ExternalId=self._target.external_id,
                DurationSeconds=SESSION_SECONDS,
            )["Credentials"]
            self._expires_at = credentials["Expiration"].timestamp()
            self.sessions += 1
            if self.sessions > 1:
                print(f"assumed {self._target.role_arn} again: the previous credentials were about to expire")
            session = boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                region_name=self._region,
            )
            self._clients = self._clients_for(session)
        return self._clients


def register_task_definition(ecs: Any, task_definition: dict[str, Any]) -> str:
    arn = ecs.register_task_definition(**task_definition)["taskDefinition"]["taskDefinitionArn"]
    print(f"registered task definition {arn}")
    return arn


def start_deployment(codedeploy: Any, target: Target, appspec: dict[str, Any], description: str) -> str:
    deployment_id = codedeploy.create_deployment(
        applicationName=target.application,
        deploymentGroupName=target.deployment_group,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(appspec)}},
        description=description[:100],
    )["deploymentId"]
    print(f"started deployment {deployment_id} of {target.deployment_group}")
    return deployment_id


def wait_for_deployment(
    account: TargetAccount,
    deployment_id: str,
    *,
    timeout_seconds: int,
    stop_wait_seconds: int = STOP_WAIT_SECONDS,
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Clock = time.time,
) -> None:
    """Return when the deployment succeeded (also when it completed just as it was being stopped);
    raise DeploymentError when it failed, stopped or rolled back, and when it did not finish within
    `timeout_seconds` (after stopping it)."""
    info = _poll(account, deployment_id, ENDED, timeout_seconds, poll_seconds, sleep, clock)
    if info is None:
        print(f"stopping deployment {deployment_id} with rollback")
        try:
            account.codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        except account.codedeploy.exceptions.DeploymentAlreadyCompletedException:
            info = account.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
            print(f"deployment {deployment_id} completed before it could be stopped: {info['status']}")
        else:
            info = _poll(account, deployment_id, ENDED, stop_wait_seconds, poll_seconds, sleep, clock)
            if info is None:
                raise DeploymentError(
                    f"deployment {deployment_id} did not finish within {timeout_seconds} seconds; stopping it did "
                    f"not end it within {stop_wait_seconds} seconds: stop it in the CodeDeploy console"
                )
            if info["status"] != SUCCEEDED:
                raise DeploymentError(
                    f"deployment {deployment_id} did not finish within {timeout_seconds} seconds; "
                    f"stopped it: {failure_message(info)}"
                )
    if info["status"] != SUCCEEDED:
        raise DeploymentError(failure_message(info))


def _poll(
    account: TargetAccount,
    deployment_id: str,
    until: frozenset[str],
    timeout_seconds: float,
    poll_seconds: float,
    sleep: Callable[[float], None],
    clock: Clock,
) -> dict[str, Any] | None:
    """The deployment's info once its status is in `until`; None when `timeout_seconds` pass first."""
    deadline = clock() + timeout_seconds
    last_status = None
    while True:
        info = account.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        if info["status"] != last_status:
            last_status = info["status"]
            print(f"deployment {deployment_id}: {last_status}")
        if last_status in until:
            return info
        if clock() >= deadline:
            return None
        sleep(poll_seconds)


def failure_message(info: Mapping[str, Any]) -> str:
    """Why a deployment failed, including the rollback CodeDeploy started for it."""
    message = f"deployment {info.get('deploymentId')} {info['status'].lower()}"
    error = info.get("errorInformation") or {}
    if error:
        message += f": {error.get('code', 'error')}: {error.get('message', '')}".rstrip()
    rollback = info.get("rollbackInfo") or {}
    if rollback.get("rollbackDeploymentId"):
        message += f"; rolled back by deployment {rollback['rollbackDeploymentId']}"
    if rollback.get("rollbackMessage"):
        message += f" ({rollback['rollbackMessage']})"
    return message


def protect_image(ecr: Any, repository: str, tag: str, environment: str) -> str:
    """Tag the deployed image `deployed-<environment>-<digest>` in the pipeline account's repository,
    where a lifecycle rule of higher priority than the catch-all keeps such images."""
    image = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": tag}])["images"][0]
    digest = image["imageId"]["imageDigest"].split(":", 1)[1]
    deployed_tag = f"{DEPLOYED_TAG_PREFIX}{environment}-{digest[:32]}"
    request = {"repositoryName": repository, "imageManifest": image["imageManifest"], "imageTag": deployed_tag}
    if image.get("imageManifestMediaType"):
        request["imageManifestMediaType"] = image["imageManifestMediaType"]
    # Deployed to this environment before: the tag is already there.
    with contextlib.suppress(ecr.exceptions.ImageAlreadyExistsException, ecr.exceptions.ImageTagAlreadyExistsException):
        ecr.put_image(**request)
    print(f"tagged {repository}:{tag} as {deployed_tag}")
    return deployed_tag


def deploy(
    env: Mapping[str, str],
    *,
    taskdef_template: str,
    appspec_template: str,
    sts: Any,
    ecr: Any,
    clients_for: Callable[[boto3.Session], tuple[Any, Any]] = lambda s: (s.client("ecs"), s.client("codedeploy")),
    sleep: Callable[[float], None] = time.sleep,
    clock: Clock = time.time,
) -> str:
    """Run the whole deployment; returns the succeeded deployment's ID."""
    target = Target.from_environment(env)
    values = _required(env, TEMPLATE_VARIABLES)
    task_definition = render(taskdef_template, values)
    account = TargetAccount(
        sts,
        target,
        session_name=f"{values['APP_NAME']}-{values['TARGET_ENVIRONMENT']}-deploy",
        region=values["AWS_REGION"],
        clients_for=clients_for,
        clock=clock,
    )
    task_definition_arn = register_task_definition(account.ecs, task_definition)
    appspec = render(appspec_template, {**values, "TASK_DEFINITION_ARN": task_definition_arn})
    description = f"{values['APP_NAME']} {values['IMAGE_TAG']} to {values['TARGET_ENVIRONMENT']}"
    deployment_id = start_deployment(account.codedeploy, target, appspec, description)
    wait_for_deployment(
        account,
        deployment_id,
        timeout_seconds=target.timeout_seconds,
        stop_wait_seconds=target.stop_wait_seconds,
        sleep=sleep,
        clock=clock,
    )
    protect_image(ecr, target.repository, values["IMAGE_TAG"], values["TARGET_ENVIRONMENT"])
    return deployment_id


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None, sts: Any = None, ecr: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taskdef", type=Path, default=Path("taskdef.json"))
    parser.add_argument("--appspec", type=Path, default=Path("appspec.json"))
    args = parser.parse_args(argv)
    env = os.environ if env is None else env
    try:
        deployment_id = deploy(
            env,
            taskdef_template=args.taskdef.read_text(),
            appspec_template=args.appspec.read_text(),
            sts=sts or boto3.client("sts", region_name=env.get("AWS_REGION")),
            ecr=ecr or boto3.client("ecr", region_name=env.get("AWS_REGION")),
        )
    except (DeploymentError, ClientError, BotoCoreError, OSError) as error:
        print(f"deploy failed: {error}", file=sys.stderr)
        return 1
    print(f"deployment {deployment_id} succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
