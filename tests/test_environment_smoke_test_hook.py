"""The AfterAllowTestTraffic hook handler: it must report Succeeded only for a healthy green, and always report."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.stub import Stubber

from stacks.environment.smoke_test.runtime import handler as hook

EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "hook-execution-id"}


@pytest.fixture
def codedeploy() -> Iterator[tuple[object, Stubber]]:
    client = boto3.client(
        "codedeploy", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_report(stubber: Stubber, status: str) -> None:
    stubber.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": EVENT["LifecycleEventHookExecutionId"]},
        {
            "deploymentId": EVENT["DeploymentId"],
            "lifecycleEventHookExecutionId": EVENT["LifecycleEventHookExecutionId"],
            "status": status,
        },
    )


class Probe:
    """Answers with the given statuses (or raises the given exceptions) in turn."""

    def __init__(self, *outcomes: int | Exception) -> None:
        self.outcomes = list(outcomes)
        self.urls: list[str] = []

    def __call__(self, url: str) -> int:
        self.urls.append(url)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def run(client: object, probe: Probe, attempts: int = 3) -> tuple[str, list[float]]:
    sleeps: list[float] = []
    status = hook.handle(
        EVENT,
        client=client,
        url="http://lb.example:8080/health",
        attempts=attempts,
        interval=7,
        probe=probe,
        sleep=sleeps.append,
    )
    return status, sleeps


def test_healthy_green_reports_succeeded(codedeploy) -> None:
    client, stubber = codedeploy
    expect_report(stubber, "Succeeded")
    probe = Probe(200)
    assert run(client, probe) == ("Succeeded", [])
    assert probe.urls == ["http://lb.example:8080/health"]


def test_failing_green_reports_failed_after_every_attempt(codedeploy) -> None:
    client, stubber = codedeploy
    expect_report(stubber, "Failed")
    probe = Probe(503, 500, 502)
    assert run(client, probe) == ("Failed", [7, 7])
    assert not probe.outcomes


def test_green_that_becomes_healthy_within_the_attempts_succeeds(codedeploy) -> None:
    client, stubber = codedeploy
    expect_report(stubber, "Succeeded")
    assert run(client, Probe(ConnectionRefusedError(), TimeoutError(), 200)) == ("Succeeded", [7, 7])


def test_redirect_or_other_non_200_is_not_healthy(codedeploy) -> None:
    client, stubber = codedeploy
    expect_report(stubber, "Failed")
    assert run(client, Probe(301), attempts=1) == ("Failed", [])


def test_unexpected_error_in_the_test_still_reports_failed(codedeploy) -> None:
    client, stubber = codedeploy
    expect_report(stubber, "Failed")
    assert run(client, Probe(RuntimeError("bug")))[0] == "Failed"


def test_a_failed_report_raises_so_the_invocation_fails(codedeploy) -> None:
    client, stubber = codedeploy
    stubber.add_client_error("put_lifecycle_event_hook_execution_status", "DeploymentDoesNotExistException")
    with pytest.raises(client.exceptions.DeploymentDoesNotExistException):
        run(client, Probe(200))


# --- the real probe against a local HTTP server ------------------------------------------------


class _Green(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def green_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Green)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_probe_returns_the_http_status(green_url: str) -> None:
    assert hook.probe(f"{green_url}/health") == 200
    assert hook.probe(f"{green_url}/broken") == 503


def test_probe_raises_os_error_when_nothing_listens() -> None:
    with pytest.raises(OSError):
        hook.probe("http://127.0.0.1:9/health", timeout=1)


def test_lambda_entry_point_reads_its_configuration(codedeploy, green_url, monkeypatch) -> None:
    client, stubber = codedeploy
    expect_report(stubber, "Failed")
    monkeypatch.setattr(boto3, "client", lambda service: client)
    monkeypatch.setenv("TEST_URL", f"{green_url}/broken")
    monkeypatch.setenv("SMOKE_TEST_ATTEMPTS", "2")
    monkeypatch.setenv("SMOKE_TEST_INTERVAL_SECONDS", "0")
    assert hook.handler(EVENT, None) == {"status": "Failed"}
