"""moto as the AWS of the rehearsals: the pipeline account and a target account, CodeDeploy driven
like the service drives it, and credentials that stop working when they expire.

moto keeps one backend per account and maps assumed-role credentials to the role's account, so a
call made with the deploy role's credentials lands in the target account. What moto does not do is
added here, in the shape of the real API (botocore still validates every request):
- CodeDeploy never advances a deployment: `CodeDeployEngine` moves it through the statuses a test
  scripts, one step per poll, and answers StopDeployment and PutLifecycleEventHookExecutionStatus
  (which moto lacks): the first stops the deployment, the second records the hook's verdict.
- moto accepts expired credentials: `Credentials` refuses calls made with them after their
  Expiration, as STS-issued credentials are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
import botocore.exceptions
from moto.codedeploy.models import codedeploy_backends
from moto.codedeploy.responses import CodeDeployResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult

REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}
"""What every rehearsal's own calls sign with: moto accepts any keys."""
PIPELINE_ACCOUNT = "123456789012"
"""moto's default account: credentials without an assumed role act in it."""
TARGET_ACCOUNT = "222222222222"
ENDED = ("Succeeded", "Failed", "Stopped")


def client(service: str, **credentials: str) -> Any:
    return boto3.client(service, region_name=REGION, **credentials)


def assumed(account: str, role_name: str = "rehearsal-admin") -> boto3.Session:
    """A session in `account` (moto maps assumed-role credentials to the role's account)."""
    credentials = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role_name}", RoleSessionName="rehearsal"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


@dataclass
class Clock:
    """Wall-clock seconds that move only when the script sleeps."""

    now: float = field(default_factory=lambda: datetime.now().timestamp())
    slept: float = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


class Credentials:
    """Records the expiry of every credential STS issues and refuses calls made with expired ones."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.expiry: dict[str, float] = {}

    def watch_sts(self, sts: Any) -> Any:
        def record(parsed: dict[str, Any], **_: Any) -> None:
            issued = parsed["Credentials"]
            self.expiry[issued["AccessKeyId"]] = issued["Expiration"].timestamp()

        sts.meta.events.register("after-call.sts.AssumeRole", record)
        return sts

    def enforce(self, service_client: Any) -> Any:
        key = service_client._request_signer._credentials.access_key

        def refuse_expired(model: Any, **_: Any) -> None:
            if key in self.expiry and self.clock() >= self.expiry[key]:
                raise botocore.exceptions.ClientError(
                    {
                        "Error": {
                            "Code": "ExpiredTokenException",
                            "Message": "The security token included in the request is expired",
                        }
                    },
                    model.name,
                )

        service_client.meta.events.register("before-call.*.*", refuse_expired)
        return service_client


class CodeDeployEngine:
    """Plays CodeDeploy for the deployments of one account: each poll (GetDeployment) moves a
        deployment one status further along its script; StopDeployment moves it one status on too (it
    went on running while the caller decided), then stops and rolls it back, or answers
    DeploymentAlreadyCompletedException when that status ended it."""

    def __init__(self, account: str, script: list[str]) -> None:
        self.account, self.script = account, list(script)
        self.stops: list[dict[str, Any]] = []
        self.hooks: list[dict[str, Any]] = []
        self.backend = codedeploy_backends[account][REGION]
        self._original_get = CodeDeployResponse.get_deployment

    def __enter__(self) -> CodeDeployEngine:
        engine = self
        self._before = {deployment.deployment_id for deployment in _all_deployments()}

        def get_deployment(response: CodeDeployResponse) -> ActionResult:
            engine.backend = response.codedeploy_backend
            deployment = engine.backend.get_deployment(response._get_param("deploymentId"))
            if engine.script and deployment.status not in ENDED:
                deployment.status = engine.script.pop(0)
            return engine._original_get(response)

        def stop_deployment(response: CodeDeployResponse) -> ActionResult:
            deployment = response.codedeploy_backend.get_deployment(response._get_param("deploymentId"))
            if engine.script and deployment.status not in ENDED:  # it went on while the caller decided
                deployment.status = engine.script.pop(0)
            if deployment.status in ENDED:
                raise JsonRESTError("DeploymentAlreadyCompletedException", "The deployment is already complete.")
            engine.stops.append(
                {
                    "deploymentId": deployment.deployment_id,
                    "autoRollbackEnabled": response._get_param("autoRollbackEnabled"),
                }
            )
            deployment.status = "Stopped"
            engine.script.clear()
            return ActionResult({"status": "Succeeded", "statusMessage": "stopped, traffic rerouted to the original"})

        def put_hook_status(response: CodeDeployResponse) -> ActionResult:
            deployment = response.codedeploy_backend.get_deployment(response._get_param("deploymentId"))
            execution = response._get_param("lifecycleEventHookExecutionId")
            engine.hooks.append({"deploymentId": deployment.deployment_id, "status": response._get_param("status")})
            return ActionResult({"lifecycleEventHookExecutionId": execution})

        CodeDeployResponse.get_deployment = get_deployment
        CodeDeployResponse.stop_deployment = stop_deployment
        CodeDeployResponse.put_lifecycle_event_hook_execution_status = put_hook_status
        return self

    def __exit__(self, *exc: object) -> None:
        CodeDeployResponse.get_deployment = self._original_get
        del CodeDeployResponse.stop_deployment
        del CodeDeployResponse.put_lifecycle_event_hook_execution_status

    def deployments(self) -> Iterator[Any]:
        """The deployments created, in any account, since the engine started."""
        return (deployment for deployment in _all_deployments() if deployment.deployment_id not in self._before)


def _all_deployments() -> Iterator[Any]:
    for account in list(codedeploy_backends.keys()):
        regions = codedeploy_backends[account]
        if REGION in regions:
            yield from regions[REGION].deployments.values()
