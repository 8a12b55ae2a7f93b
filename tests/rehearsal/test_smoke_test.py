"""Rehearsal of the AfterAllowTestTraffic hook (stacks/environment/smoke_test/runtime/handler.py): it
probes the green tasks through the test listener, here the sample application started locally as its
container starts it, and reports to CodeDeploy (moto, with the hook call CodeDeployEngine adds).
It must report Succeeded only for a healthy green, and always report."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stacks.environment.smoke_test.runtime import handler as hook
from tests.rehearsal.aws import PIPELINE_ACCOUNT, CodeDeployEngine, assumed, client
from tests.rehearsal.iam import Authorizer, evaluated, roles_of, service_may_assume
from tests.rehearsal.templates import load_stacks
from tests.support import Synthesized

SAMPLE_APP = Path(__file__).resolve().parents[2] / "sample-app"
HEALTH_CHECK_PATH = "/health"


@pytest.fixture(scope="module")
def green() -> Iterator[str]:
    """The sample application as its image runs it (`python -m sampleapp`), on a free local port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, PORT=str(port), HEALTH_CHECK_PATH=HEALTH_CHECK_PATH, APP_VERSION="rehearsal")
    app = subprocess.Popen([sys.executable, "-m", "sampleapp"], cwd=SAMPLE_APP, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a process start: real time, generous on a loaded machine
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + HEALTH_CHECK_PATH, timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    yield url
    app.terminate()
    app.wait(timeout=10)


def start_deployment(codedeploy: Any, account: str) -> str:
    """A blue/green deployment of a new application and group in `account`; its ID."""
    codedeploy.create_application(applicationName="sample", computePlatform="ECS")
    codedeploy.create_deployment_group(
        applicationName="sample",
        deploymentGroupName="sample-group",
        serviceRoleArn=f"arn:aws:iam::{account}:role/codedeploy",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    )
    return codedeploy.create_deployment(applicationName="sample", deploymentGroupName="sample-group")["deploymentId"]


@pytest.fixture
def deployment() -> Iterator[tuple[CodeDeployEngine, str]]:
    """A blue/green deployment in progress, waiting for the hook's verdict."""
    deployment_id = start_deployment(client("codedeploy"), PIPELINE_ACCOUNT)
    with CodeDeployEngine(PIPELINE_ACCOUNT, []) as engine:
        yield engine, deployment_id


def event(deployment_id: str) -> dict[str, str]:
    return {"DeploymentId": deployment_id, "LifecycleEventHookExecutionId": "hook-execution-id"}


def run(deployment_id: str, url: str, attempts: int = 3, **test: object) -> tuple[str, list[float]]:
    sleeps: list[float] = []
    status = hook.handle(
        event(deployment_id),
        client=client("codedeploy"),
        url=url,
        attempts=attempts,
        interval=7,
        sleep=sleeps.append,
        **test,
    )
    return status, sleeps


def test_healthy_green_reports_succeeded(green: str, deployment: tuple[CodeDeployEngine, str]) -> None:
    engine, deployment_id = deployment
    assert run(deployment_id, green + HEALTH_CHECK_PATH) == ("Succeeded", [])
    assert engine.hooks == [{"deploymentId": deployment_id, "status": "Succeeded"}]


def test_green_without_the_health_path_reports_failed_after_every_attempt(
    green: str, deployment: tuple[CodeDeployEngine, str]
) -> None:
    engine, deployment_id = deployment
    assert run(deployment_id, green + "/no-such-path") == ("Failed", [7, 7])
    assert engine.hooks == [{"deploymentId": deployment_id, "status": "Failed"}]


def test_green_that_is_not_listening_reports_failed(deployment: tuple[CodeDeployEngine, str]) -> None:
    engine, deployment_id = deployment
    assert run(deployment_id, "http://127.0.0.1:9/health", attempts=2) == ("Failed", [7])
    assert engine.hooks[0]["status"] == "Failed"


def test_green_that_becomes_healthy_within_the_attempts_succeeds(
    green: str, deployment: tuple[CodeDeployEngine, str]
) -> None:
    _, deployment_id = deployment
    urls = iter(["http://127.0.0.1:9/health", green + "/no-such-path", green + HEALTH_CHECK_PATH])
    assert run(deployment_id, "unused", probe=lambda _: hook.probe(next(urls), timeout=1)) == ("Succeeded", [7, 7])


def test_unexpected_error_in_the_test_still_reports_failed(deployment: tuple[CodeDeployEngine, str]) -> None:
    engine, deployment_id = deployment

    def broken(url: str) -> int:
        raise RuntimeError("bug")

    assert run(deployment_id, "unused", probe=broken)[0] == "Failed"
    assert engine.hooks[0]["status"] == "Failed"


def test_a_report_for_an_unknown_deployment_raises_so_the_invocation_fails(
    green: str, deployment: tuple[CodeDeployEngine, str]
) -> None:
    codedeploy = client("codedeploy")
    with pytest.raises(codedeploy.exceptions.DeploymentDoesNotExistException):
        run("d-UNKNOWN00", green + HEALTH_CHECK_PATH)


def test_lambda_entry_point_reads_its_configuration(
    green: str, deployment: tuple[CodeDeployEngine, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, deployment_id = deployment
    monkeypatch.setenv("TEST_URL", green + HEALTH_CHECK_PATH)
    monkeypatch.setenv("SMOKE_TEST_ATTEMPTS", "2")
    monkeypatch.setenv("SMOKE_TEST_INTERVAL_SECONDS", "0")
    assert hook.handler(event(deployment_id), None) == {"status": "Succeeded"}
    assert engine.hooks == [{"deploymentId": deployment_id, "status": "Succeeded"}]


def test_the_hook_reports_with_its_own_roles_rights(green: str, system: Synthesized) -> None:
    """The function's role from the synthesized service stack, its calls judged by the rehearsal's IAM."""
    stacks = load_stacks(system.outdir)
    stack = stacks["cicd-staging-sample-dev"]
    deployment_id = start_deployment(assumed(stack.account).client("codedeploy"), stack.account)
    authorizer = Authorizer(roles_of(list(stacks.values())))
    role = authorizer.roles[f"arn:aws:iam::{stack.account}:role/sample-smoke-test-role-staging-dev"]
    service_may_assume(role, "lambda.amazonaws.com")
    as_role = assumed(stack.account, role.name).client("codedeploy")
    with CodeDeployEngine(stack.account, []) as engine, evaluated(authorizer):
        status = hook.handle(
            event(deployment_id), client=as_role, url=green + HEALTH_CHECK_PATH, attempts=1, interval=0
        )
    assert status == "Succeeded" and engine.hooks == [{"deploymentId": deployment_id, "status": "Succeeded"}]
    assert [(name, action, verdict) for name, action, _, verdict in authorizer.decisions] == [
        (role.name, "codedeploy:PutLifecycleEventHookExecutionStatus", "Allow")
    ]
