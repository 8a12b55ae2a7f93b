"""Unit tests of stacks/pipeline/runtime/deploy.py with botocore's Stubber: only a succeeded deployment
passes; failed, stopped, rolled-back or timed-out deployments fail the action."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from stacks.pipeline.runtime import deploy

ROOT = Path(__file__).resolve().parent.parent
TASKDEF = (ROOT / "sample-app/deploy/taskdef.json").read_text()
APPSPEC = (ROOT / "sample-app/deploy/appspec.json").read_text()
TASK_DEFINITION_ARN = "arn:aws:ecs:us-east-1:222222222222:task-definition/sample-task-staging-dev:7"
DEPLOY_ROLE_ARN = "arn:aws:iam::222222222222:role/deploy-role-staging-dev"

ENV = {
    "APP_NAME": "sample",
    "TARGET_ENVIRONMENT": "staging",
    "IMAGE_URI": "111111111111.dkr.ecr.us-east-1.amazonaws.com/sample-ecr-repository-pipeline-dev:abc123",
    "IMAGE_TAG": "abc123",
    "TASK_FAMILY": "sample-task-staging-dev",
    "EXECUTION_ROLE_ARN": "arn:aws:iam::222222222222:role/sample-execution-role-staging-dev",
    "TASK_ROLE_ARN": "arn:aws:iam::222222222222:role/sample-task-role-staging-dev",
    "CONTAINER_NAME": "sample",
    "CONTAINER_PORT": "8080",
    "HEALTH_CHECK_PATH": "/health",
    "CPU": "256",
    "MEMORY": "512",
    "LOG_GROUP": "sample-task-logs-staging-dev",
    "AWS_REGION": "us-east-1",
    "SMOKE_TEST_FUNCTION": "sample-smoke-test-staging-dev",
    "DEPLOY_ROLE_ARN": DEPLOY_ROLE_ARN,
    "EXTERNAL_ID": "cicd-deploy-staging-dev",
    "CODEDEPLOY_APPLICATION": "sample-codedeploy-app-staging-dev",
    "DEPLOYMENT_GROUP": "sample-deployment-group-staging-dev",
    "DEPLOY_TIMEOUT_SECONDS": "600",
}


def client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


class Clients:
    """Stubbed STS in the pipeline account; stubbed ECS and CodeDeploy behind the assumed role."""

    def __init__(self) -> None:
        self.sts, self.ecs, self.codedeploy = client("sts"), client("ecs"), client("codedeploy")
        self.stubs = [Stubber(c) for c in (self.sts, self.ecs, self.codedeploy)]
        self.sessions: list[boto3.Session] = []
        self.sleeps: list[float] = []
        self.now = 0.0

    def clients_for(self, session: boto3.Session) -> tuple[Any, Any]:
        self.sessions.append(session)
        return self.ecs, self.codedeploy

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def run(self, env: dict[str, str] = ENV, taskdef: str = TASKDEF) -> str:
        return deploy.deploy(
            env,
            taskdef_template=taskdef,
            appspec_template=APPSPEC,
            sts=self.sts,
            clients_for=self.clients_for,
            sleep=self.sleep,
            clock=lambda: self.now,
        )

    def expect_setup(self) -> None:
        """Assume role, register the revision, create the deployment, all with the exact expected requests."""
        sts, ecs, codedeploy = self.stubs
        sts.add_response(
            "assume_role",
            {
                "Credentials": {
                    "AccessKeyId": "ASIAEXAMPLEEXAMPLE00",
                    "SecretAccessKey": "secret",
                    "SessionToken": "session",
                    "Expiration": "2030-01-01T00:00:00Z",
                }
            },
            {
                "RoleArn": DEPLOY_ROLE_ARN,
                "RoleSessionName": "sample-staging-deploy",
                "ExternalId": "cicd-deploy-staging-dev",
            },
        )
        taskdef = deploy.render(TASKDEF, ENV)
        ecs.add_response(
            "register_task_definition",
            {"taskDefinition": {"taskDefinitionArn": TASK_DEFINITION_ARN}},
            taskdef,
        )
        appspec = deploy.render(APPSPEC, {**ENV, "TASK_DEFINITION_ARN": TASK_DEFINITION_ARN})
        codedeploy.add_response(
            "create_deployment",
            {"deploymentId": "d-EXAMPLE01"},
            {
                "applicationName": "sample-codedeploy-app-staging-dev",
                "deploymentGroupName": "sample-deployment-group-staging-dev",
                "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(appspec)}},
                "description": "sample abc123 to staging",
            },
        )

    def expect_status(self, status: str, **info: Any) -> None:
        self.stubs[2].add_response(
            "get_deployment",
            {"deploymentInfo": {"deploymentId": "d-EXAMPLE01", "status": status, **info}},
            {"deploymentId": "d-EXAMPLE01"},
        )


@pytest.fixture
def clients() -> Iterator[Clients]:
    clients = Clients()
    for stub in clients.stubs:
        stub.activate()
    yield clients
    for stub in clients.stubs:
        stub.deactivate()


def test_succeeded_deployment_passes_after_polling(clients: Clients) -> None:
    clients.expect_setup()
    for status in ("Created", "InProgress", "InProgress", "Succeeded"):
        clients.expect_status(status)
    assert clients.run() == "d-EXAMPLE01"
    assert clients.sleeps == [deploy.POLL_SECONDS] * 3
    credentials = clients.sessions[0].get_credentials()
    assert credentials.access_key == "ASIAEXAMPLEEXAMPLE00", "ECS and CodeDeploy are called as the deploy role"
    for stub in clients.stubs:
        stub.assert_no_pending_responses()


def test_rolled_back_deployment_fails_the_action(clients: Clients) -> None:
    clients.expect_setup()
    clients.expect_status("InProgress")
    clients.expect_status(
        "Failed",
        errorInformation={"code": "ALARM_ACTIVE", "message": "One or more alarms have been activated"},
        rollbackInfo={"rollbackDeploymentId": "d-ROLLBACK1", "rollbackMessage": "Deployment rolled back"},
    )
    with pytest.raises(deploy.DeploymentError) as failure:
        clients.run()
    message = str(failure.value)
    assert "d-EXAMPLE01 failed" in message and "ALARM_ACTIVE" in message
    assert "rolled back by deployment d-ROLLBACK1" in message


def test_stopped_deployment_fails_the_action(clients: Clients) -> None:
    clients.expect_setup()
    clients.expect_status("Stopped", rollbackInfo={"rollbackDeploymentId": "d-ROLLBACK2"})
    with pytest.raises(deploy.DeploymentError, match="stopped; rolled back by deployment d-ROLLBACK2"):
        clients.run()


def test_deployment_still_running_at_the_deadline_fails(clients: Clients) -> None:
    clients.expect_setup()
    polls = int(ENV["DEPLOY_TIMEOUT_SECONDS"]) // deploy.POLL_SECONDS + 1
    for _ in range(polls):
        clients.expect_status("InProgress")
    with pytest.raises(deploy.DeploymentError, match="still InProgress after 600 seconds"):
        clients.run()


def test_aws_error_fails_the_action(clients: Clients) -> None:
    clients.expect_setup()
    clients.stubs[2].add_client_error("get_deployment", "DeploymentDoesNotExistException")
    with pytest.raises(deploy.ClientError):
        clients.run()


def test_template_placeholder_without_value_fails_before_any_aws_call(clients: Clients) -> None:
    with pytest.raises(deploy.DeploymentError, match=r"placeholder \$\{UNKNOWN\} has no value"):
        clients.run(taskdef=TASKDEF.replace("${CPU}", "${UNKNOWN}"))
    for stub in clients.stubs:
        stub.assert_no_pending_responses()


def test_missing_environment_variable_is_named(clients: Clients) -> None:
    env = {key: value for key, value in ENV.items() if key != "EXTERNAL_ID"}
    with pytest.raises(deploy.DeploymentError, match="not set: EXTERNAL_ID"):
        clients.run(env=env)


def test_rendered_templates_are_valid_requests_for_ecs_and_codedeploy() -> None:
    taskdef = deploy.render(TASKDEF, ENV)
    assert taskdef["containerDefinitions"][0]["portMappings"] == [{"containerPort": 8080, "protocol": "tcp"}]
    appspec = deploy.render(APPSPEC, {**ENV, "TASK_DEFINITION_ARN": TASK_DEFINITION_ARN})
    assert appspec["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"] == TASK_DEFINITION_ARN


def succeeds(*args: Any, **kwargs: Any) -> str:
    return "d-1"


def rolls_back(*args: Any, **kwargs: Any) -> str:
    raise deploy.DeploymentError("deployment d-1 failed; rolled back by deployment d-2")


@pytest.mark.parametrize(("outcome", "exit_code"), [(succeeds, 0), (rolls_back, 1)])
def test_main_exit_status_follows_the_deployment(
    outcome: Any, exit_code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "taskdef.json").write_text(TASKDEF)
    (tmp_path / "appspec.json").write_text(APPSPEC)
    monkeypatch.setattr(deploy, "deploy", outcome)
    argv = ["--taskdef", str(tmp_path / "taskdef.json"), "--appspec", str(tmp_path / "appspec.json")]
    assert deploy.main(argv, env=ENV, sts=object()) == exit_code
    if exit_code:
        assert "deploy failed: deployment d-1 failed; rolled back" in capsys.readouterr().err


def test_main_fails_when_the_templates_are_missing(tmp_path: Path) -> None:
    assert deploy.main(["--taskdef", str(tmp_path / "none.json")], env=ENV, sts=object()) == 1
