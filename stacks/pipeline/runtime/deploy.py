"""Deploy one application image to one environment (runs in the pipeline account's deploy project).

Assumes the environment's deploy role with its external ID, registers a task definition revision
rendered from the build's `taskdef.json`, starts a CodeDeploy blue/green deployment with the
rendered `appspec.json` and waits for it. The exit status is 0 only when the deployment succeeded:
a failed, stopped or rolled-back deployment, a timeout or an AWS error fails the pipeline action.

Standard library and boto3 only: the CodeBuild standard image provides both.
"""

from __future__ import annotations

import argparse
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
POLL_SECONDS = 15

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

TARGET_VARIABLES = ("DEPLOY_ROLE_ARN", "EXTERNAL_ID", "CODEDEPLOY_APPLICATION", "DEPLOYMENT_GROUP")


class DeploymentError(Exception):
    """The deployment did not succeed; the message says why."""


@dataclass(frozen=True)
class Target:
    """Where to deploy: the target account's deploy role and CodeDeploy deployment group."""

    role_arn: str
    external_id: str
    application: str
    deployment_group: str
    timeout_seconds: int

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Target:
        values = _required(env, TARGET_VARIABLES)
        return cls(
            role_arn=values["DEPLOY_ROLE_ARN"],
            external_id=values["EXTERNAL_ID"],
            application=values["CODEDEPLOY_APPLICATION"],
            deployment_group=values["DEPLOYMENT_GROUP"],
            timeout_seconds=int(env.get("DEPLOY_TIMEOUT_SECONDS", "3600")),
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


def assume_role(sts: Any, target: Target, session_name: str, region: str) -> boto3.Session:
    """A session with the target account's deploy role (the external ID guards against confused deputies)."""
    credentials = sts.assume_role(
        RoleArn=target.role_arn,
        RoleSessionName=session_name[:64],
        ExternalId=target.external_id,
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


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
    codedeploy: Any,
    deployment_id: str,
    *,
    timeout_seconds: int,
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Return when the deployment succeeded; raise DeploymentError when it failed, stopped, rolled back
    or did not finish within `timeout_seconds`."""
    deadline = clock() + timeout_seconds
    last_status = None
    while True:
        info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        status = info["status"]
        if status != last_status:
            print(f"deployment {deployment_id}: {status}")
            last_status = status
        if status == SUCCEEDED:
            return
        if status in FAILED:
            raise DeploymentError(failure_message(info))
        if clock() >= deadline:
            raise DeploymentError(f"deployment {deployment_id} still {status} after {timeout_seconds} seconds")
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


def deploy(
    env: Mapping[str, str],
    *,
    taskdef_template: str,
    appspec_template: str,
    sts: Any,
    clients_for: Callable[[boto3.Session], tuple[Any, Any]] = lambda s: (s.client("ecs"), s.client("codedeploy")),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Run the whole deployment; returns the succeeded deployment's ID."""
    target = Target.from_environment(env)
    values = _required(env, TEMPLATE_VARIABLES)
    task_definition = render(taskdef_template, values)
    session_name = f"{values['APP_NAME']}-{values['TARGET_ENVIRONMENT']}-deploy"
    ecs, codedeploy = clients_for(assume_role(sts, target, session_name, values["AWS_REGION"]))
    task_definition_arn = register_task_definition(ecs, task_definition)
    appspec = render(appspec_template, {**values, "TASK_DEFINITION_ARN": task_definition_arn})
    description = f"{values['APP_NAME']} {values['IMAGE_TAG']} to {values['TARGET_ENVIRONMENT']}"
    deployment_id = start_deployment(codedeploy, target, appspec, description)
    wait_for_deployment(codedeploy, deployment_id, timeout_seconds=target.timeout_seconds, sleep=sleep, clock=clock)
    return deployment_id


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None, sts: Any = None) -> int:
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
        )
    except (DeploymentError, ClientError, BotoCoreError, OSError) as error:
        print(f"deploy failed: {error}", file=sys.stderr)
        return 1
    print(f"deployment {deployment_id} succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
