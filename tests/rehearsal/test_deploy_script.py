"""Rehearsal of stacks/pipeline/runtime/deploy.py against moto: the deploy project's role in the
pipeline account assumes the target account's deploy role, registers the task definition rendered
from the sample app's taskdef.json, creates the deployment from its appspec.json and waits for
CodeDeploy (played by CodeDeployEngine). Only a succeeded deployment passes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from stacks.pipeline.runtime import deploy
from tests.rehearsal.aws import (
    PIPELINE_ACCOUNT,
    TARGET_ACCOUNT,
    Clock,
    CodeDeployEngine,
    Credentials,
    assumed,
    client,
)
from tests.rehearsal.manifests import image_manifest

ROOT = Path(__file__).resolve().parents[2]
TASKDEF = (ROOT / "sample-app/deploy/taskdef.json").read_text()
APPSPEC = (ROOT / "sample-app/deploy/appspec.json").read_text()
REPOSITORY = "sample-ecr-repository-pipeline-dev"
ENV = {
    "APP_NAME": "sample",
    "TARGET_ENVIRONMENT": "staging",
    "IMAGE_URI": f"{PIPELINE_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/{REPOSITORY}:abc123",
    "IMAGE_TAG": "abc123",
    "TASK_FAMILY": "sample-task-staging-dev",
    "EXECUTION_ROLE_ARN": f"arn:aws:iam::{TARGET_ACCOUNT}:role/sample-execution-role-staging-dev",
    "TASK_ROLE_ARN": f"arn:aws:iam::{TARGET_ACCOUNT}:role/sample-task-role-staging-dev",
    "CONTAINER_NAME": "sample",
    "CONTAINER_PORT": "8080",
    "HEALTH_CHECK_PATH": "/health",
    "CPU": "256",
    "MEMORY": "512",
    "LOG_GROUP": "sample-task-logs-staging-dev",
    "AWS_REGION": "us-east-1",
    "SMOKE_TEST_FUNCTION": "sample-smoke-test-staging-dev",
    "DEPLOY_ROLE_ARN": f"arn:aws:iam::{TARGET_ACCOUNT}:role/deploy-role-staging-dev",
    "EXTERNAL_ID": "cicd-deploy-staging-dev",
    "CODEDEPLOY_APPLICATION": "sample-codedeploy-app-staging-dev",
    "DEPLOYMENT_GROUP": "sample-deployment-group-staging-dev",
    "DEPLOY_TIMEOUT_SECONDS": "3300",
    "REPOSITORY_NAME": REPOSITORY,
}


class Release:
    """The two accounts as the environment and pipeline stacks leave them, and one run of deploy.py."""

    def __init__(self) -> None:
        target = assumed(TARGET_ACCOUNT)
        iam = target.client("iam")
        iam.create_role(RoleName="deploy-role-staging-dev", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
        codedeploy = target.client("codedeploy")
        codedeploy.create_application(applicationName=ENV["CODEDEPLOY_APPLICATION"], computePlatform="ECS")
        codedeploy.create_deployment_group(
            applicationName=ENV["CODEDEPLOY_APPLICATION"],
            deploymentGroupName=ENV["DEPLOYMENT_GROUP"],
            serviceRoleArn=f"arn:aws:iam::{TARGET_ACCOUNT}:role/sample-codedeploy-role-staging-dev",
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        )
        self.ecr = client("ecr")
        self.ecr.create_repository(repositoryName=REPOSITORY, imageTagMutability="IMMUTABLE")
        self.manifest = image_manifest()
        self.ecr.put_image(repositoryName=REPOSITORY, imageManifest=self.manifest, imageTag="abc123")
        self.clock = Clock()
        self.credentials = Credentials(self.clock)
        self.sts = self.credentials.watch_sts(client("sts"))
        self.target_session_keys: list[str] = []

    def clients_for(self, session: boto3.Session) -> tuple[Any, Any]:
        self.target_session_keys.append(session.get_credentials().access_key)
        return (
            self.credentials.enforce(session.client("ecs")),
            self.credentials.enforce(session.client("codedeploy")),
        )

    def run(self, env: dict[str, str] = ENV) -> str:
        return deploy.deploy(
            env,
            taskdef_template=TASKDEF,
            appspec_template=APPSPEC,
            sts=self.sts,
            ecr=self.ecr,
            clients_for=self.clients_for,
            sleep=self.clock.sleep,
            clock=self.clock,
        )

    def tags(self) -> set[str]:
        images = self.ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"]
        return {tag for image in images for tag in image.get("imageTags", [])}


@pytest.fixture
def release(monkeypatch: pytest.MonkeyPatch) -> Release:
    release = Release()
    # STS dates the credentials it issues by the same clock the script sleeps on.
    monkeypatch.setattr(
        "moto.sts.models.utcnow", lambda: datetime.fromtimestamp(release.clock(), UTC).replace(tzinfo=None)
    )
    return release


def deployed_tag(release: Release, env: str = "staging") -> str:
    (image,) = release.ecr.describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": "abc123"}])["imageDetails"]
    return f"deployed-{env}-{image['imageDigest'].removeprefix('sha256:')[:32]}"


def test_release_registers_the_task_definition_in_the_target_account_and_succeeds(release: Release) -> None:
    with CodeDeployEngine(TARGET_ACCOUNT, ["Created", "InProgress", "InProgress", "Succeeded"]) as engine:
        deployment_id = release.run()
    ecs = assumed(TARGET_ACCOUNT).client("ecs")
    (arn,) = ecs.list_task_definitions(familyPrefix="sample-task-staging-dev")["taskDefinitionArns"]
    task = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    assert task["executionRoleArn"] == ENV["EXECUTION_ROLE_ARN"]
    assert task["containerDefinitions"][0]["image"] == ENV["IMAGE_URI"]
    (deployment,) = engine.deployments()
    assert deployment.deployment_id == deployment_id and deployment.status == "Succeeded"
    appspec = json.loads(deployment.revision["appSpecContent"]["content"])
    assert appspec["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"] == arn
    assert appspec["Hooks"] == [{"AfterAllowTestTraffic": "sample-smoke-test-staging-dev"}]


def test_succeeded_release_tags_the_image_so_the_lifecycle_keeps_it(release: Release) -> None:
    """Defect 9: the image an environment runs gets the tag the repository's protected rule keeps."""
    with CodeDeployEngine(TARGET_ACCOUNT, ["Succeeded"]):
        release.run()
    assert release.tags() == {"abc123", deployed_tag(release)}
    with CodeDeployEngine(TARGET_ACCOUNT, ["Succeeded"]):
        release.run()  # a redeploy of the same image to the same environment: the tag is already there
    assert release.tags() == {"abc123", deployed_tag(release)}


def test_failed_deployment_fails_the_action_and_leaves_the_image_untagged(release: Release) -> None:
    with CodeDeployEngine(TARGET_ACCOUNT, ["InProgress", "Failed"]), pytest.raises(deploy.DeploymentError) as failure:
        release.run()
    assert str(failure.value).endswith(" failed")
    assert release.tags() == {"abc123"}


def test_timeout_stops_the_deployment_with_rollback_and_waits_until_it_stopped(release: Release) -> None:
    """Defect 8: a deployment left running would refuse the next release's CreateDeployment."""
    with CodeDeployEngine(TARGET_ACCOUNT, ["InProgress"] * 1000) as engine:
        with pytest.raises(deploy.DeploymentError) as failure:
            release.run({**ENV, "DEPLOY_TIMEOUT_SECONDS": "600"})
        (deployment,) = engine.deployments()
    assert engine.stops == [{"deploymentId": deployment.deployment_id, "autoRollbackEnabled": True}]
    assert deployment.status == "Stopped"
    assert str(failure.value) == (
        f"deployment {deployment.deployment_id} did not finish within 600 seconds; "
        f"stopped it: deployment {deployment.deployment_id} stopped"
    )


def test_credentials_are_assumed_again_before_the_role_chaining_hour_runs_out(release: Release) -> None:
    """Defect 7: a blue/green deployment with a long termination wait outlives one chained session."""
    polls = 55 * 60 // deploy.POLL_SECONDS  # 55 minutes of InProgress, then success
    with CodeDeployEngine(TARGET_ACCOUNT, ["InProgress"] * polls + ["Succeeded"]):
        release.run()
    assert release.clock.slept >= 55 * 60
    assert len(set(release.target_session_keys)) == 2, "assumed once, then again before the first session expired"


def test_without_refresh_the_stand_in_refuses_expired_credentials(release: Release, monkeypatch) -> None:
    """The stand-in refuses what STS refuses: the same wait on one session fails with ExpiredToken."""
    monkeypatch.setattr(deploy, "REFRESH_MARGIN_SECONDS", -deploy.SESSION_SECONDS)
    polls = 65 * 60 // deploy.POLL_SECONDS
    with CodeDeployEngine(TARGET_ACCOUNT, ["InProgress"] * polls + ["Succeeded"]), pytest.raises(Exception) as error:
        release.run({**ENV, "DEPLOY_TIMEOUT_SECONDS": "7200"})
    assert "ExpiredTokenException" in str(error.value)


def test_missing_variable_is_named_before_any_aws_call(release: Release) -> None:
    env = {key: value for key, value in ENV.items() if key != "EXTERNAL_ID"}
    with pytest.raises(deploy.DeploymentError, match="not set: EXTERNAL_ID"):
        release.run(env)
    assert release.target_session_keys == []


def test_main_exit_status_and_message(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    Release()
    (tmp_path / "taskdef.json").write_text(TASKDEF)
    (tmp_path / "appspec.json").write_text(APPSPEC.replace("${CONTAINER_NAME}", "${UNKNOWN}"))
    argv = ["--taskdef", str(tmp_path / "taskdef.json"), "--appspec", str(tmp_path / "appspec.json")]
    with CodeDeployEngine(TARGET_ACCOUNT, ["Succeeded"]):
        assert deploy.main(argv, env=ENV) == 1
    assert "deploy failed: template placeholder ${UNKNOWN} has no value" in capsys.readouterr().err


def test_a_deployment_that_completes_as_it_is_being_stopped_succeeds(release: Release) -> None:
    """Defect 7 of issue 22: CodeDeploy answers DeploymentAlreadyCompletedException, which is not a failure."""
    polls = 600 // deploy.POLL_SECONDS + 1  # every poll within the wait sees InProgress
    with CodeDeployEngine(TARGET_ACCOUNT, ["InProgress"] * polls + ["Succeeded"]) as engine:
        deployment_id = release.run({**ENV, "DEPLOY_TIMEOUT_SECONDS": "600"})
    assert engine.stops == []
    assert next(engine.deployments()).status == "Succeeded" and deployment_id
    assert release.tags() == {"abc123", deployed_tag(release)}


def test_a_deployment_that_fails_as_it_is_being_stopped_fails(release: Release) -> None:
    polls = 600 // deploy.POLL_SECONDS + 1
    engine = CodeDeployEngine(TARGET_ACCOUNT, ["InProgress"] * polls + ["Failed"])
    with engine, pytest.raises(deploy.DeploymentError, match=r"deployment \S+ failed$"):
        release.run({**ENV, "DEPLOY_TIMEOUT_SECONDS": "600"})
    assert release.tags() == {"abc123"}


def test_the_deploy_projects_timeout_covers_the_wait_the_stop_and_the_builds_own_steps(system) -> None:
    """Defect 7 of issue 22: the project's timeout must not kill the build while the script stops a deployment."""
    template = system.raw("cicd-pipeline-sample-dev")
    projects = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CodeBuild::Project"]
    deploys = [p for p in projects if "-deploy-" in p["Name"]]
    assert len(deploys) == 3
    for project in deploys:
        variables = {v["Name"]: v["Value"] for v in project["Environment"]["EnvironmentVariables"]}
        wait, stop = int(variables["DEPLOY_TIMEOUT_SECONDS"]), int(variables["DEPLOY_STOP_WAIT_SECONDS"])
        assert project["TimeoutInMinutes"] * 60 - wait - stop >= 10 * 60, project["Name"]
        assert stop >= 5 * 60
