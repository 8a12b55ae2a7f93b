"""Unit tests of the registry credentials rotation Lambda: Secrets Manager through botocore's Stubber,
the registry through a fake behind the `Registry` interface, and the Docker Hub client through a fake opener."""

from __future__ import annotations

import io
import json
import urllib.error
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from stacks.pipeline.runtime.rotation import registry_rotation as rotation
from stacks.pipeline.runtime.rotation.registry_rotation import Credentials, RegistryError, RotationError

ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:docker-registry-credentials-pipeline-dev-AbCdEf"
TOKEN = "4b7e1c2a-0000-4000-8000-000000000001"
PREVIOUS = "4b7e1c2a-0000-4000-8000-000000000000"
CURRENT_CREDENTIALS = Credentials("docker.io", "ci-bot", "dckr_pat_old", "uuid-old")
NEW_CREDENTIALS = Credentials("docker.io", "ci-bot", "dckr_pat_new", "uuid-new")


class FakeRegistry:
    def __init__(self, *, accepts: bool = True, revoke_fails: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.accepts, self.revoke_fails = accepts, revoke_fails

    def issue_token(self, credentials: Credentials, label: str) -> Credentials:
        self.calls.append(("issue_token", credentials, label))
        return NEW_CREDENTIALS

    def check(self, credentials: Credentials) -> None:
        self.calls.append(("check", credentials))
        if not self.accepts:
            raise RegistryError("POST /v2/auth/token failed: HTTP 401")

    def revoke(self, credentials: Credentials, token_id: str) -> None:
        self.calls.append(("revoke", credentials, token_id))
        if self.revoke_fails:
            raise RegistryError("DELETE failed: HTTP 500")


@pytest.fixture
def secrets() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def describe(stub: Stubber, stages: dict[str, list[str]], enabled: bool = True) -> None:
    stub.add_response(
        "describe_secret", {"ARN": ARN, "RotationEnabled": enabled, "VersionIdsToStages": stages}, {"SecretId": ARN}
    )


def value(stub: Stubber, credentials: Credentials, stage: str, version: str | None = None) -> None:
    request = {"SecretId": ARN, "VersionStage": stage, **({"VersionId": version} if version else {})}
    stub.add_response("get_secret_value", {"ARN": ARN, "SecretString": credentials.dumps()}, request)


def event(step: str) -> dict[str, str]:
    return {"SecretId": ARN, "ClientRequestToken": TOKEN, "Step": step}


ROTATING = {PREVIOUS: ["AWSCURRENT"], TOKEN: ["AWSPENDING"]}


def test_create_secret_stores_a_new_registry_token_as_pending(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    registry = FakeRegistry()
    describe(stub, ROTATING)
    value(stub, CURRENT_CREDENTIALS, "AWSCURRENT")
    stub.add_client_error(
        "get_secret_value",
        "ResourceNotFoundException",
        expected_params={"SecretId": ARN, "VersionId": TOKEN, "VersionStage": "AWSPENDING"},
    )
    stub.add_response(
        "put_secret_value",
        {"ARN": ARN, "VersionId": TOKEN},
        {
            "SecretId": ARN,
            "ClientRequestToken": TOKEN,
            "SecretString": NEW_CREDENTIALS.dumps(),
            "VersionStages": ["AWSPENDING"],
        },
    )
    rotation.rotate(event("createSecret"), client, registry)
    assert registry.calls == [("issue_token", CURRENT_CREDENTIALS, "cicd-rotation-4b7e1c2a")]


def test_create_secret_is_idempotent(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    registry = FakeRegistry()
    describe(stub, ROTATING)
    value(stub, CURRENT_CREDENTIALS, "AWSCURRENT")
    value(stub, NEW_CREDENTIALS, "AWSPENDING", TOKEN)
    rotation.rotate(event("createSecret"), client, registry)
    assert registry.calls == [], "a retried createSecret must not issue a second token"


def test_create_secret_refuses_the_placeholder(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    describe(stub, ROTATING)
    value(stub, Credentials("docker.io", "", "generated-placeholder"), "AWSCURRENT")
    stub.add_client_error("get_secret_value", "ResourceNotFoundException")
    with pytest.raises(RotationError, match="placeholder"):
        rotation.rotate(event("createSecret"), client, FakeRegistry())


def test_set_secret_needs_no_registry_call(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    registry = FakeRegistry()
    describe(stub, ROTATING)
    rotation.rotate(event("setSecret"), client, registry)
    assert registry.calls == []


def test_test_secret_logs_in_with_the_pending_credentials(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    registry = FakeRegistry()
    describe(stub, ROTATING)
    value(stub, NEW_CREDENTIALS, "AWSPENDING", TOKEN)
    rotation.rotate(event("testSecret"), client, registry)
    assert registry.calls == [("check", NEW_CREDENTIALS)]


def test_test_secret_fails_when_the_registry_refuses(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    describe(stub, ROTATING)
    value(stub, NEW_CREDENTIALS, "AWSPENDING", TOKEN)
    with pytest.raises(RegistryError, match="HTTP 401"):
        rotation.rotate(event("testSecret"), client, FakeRegistry(accepts=False))


def test_finish_secret_promotes_pending_then_revokes_the_previous_token(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    registry = FakeRegistry()
    describe(stub, ROTATING)
    describe(stub, ROTATING)
    value(stub, CURRENT_CREDENTIALS, "AWSCURRENT")
    stub.add_response(
        "update_secret_version_stage",
        {"ARN": ARN},
        {"SecretId": ARN, "VersionStage": "AWSCURRENT", "MoveToVersionId": TOKEN, "RemoveFromVersionId": PREVIOUS},
    )
    value(stub, NEW_CREDENTIALS, "AWSCURRENT", TOKEN)
    rotation.rotate(event("finishSecret"), client, registry)
    assert registry.calls == [("revoke", NEW_CREDENTIALS, "uuid-old")]


def test_finish_secret_succeeds_even_if_revoking_the_old_token_fails(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    describe(stub, ROTATING)
    describe(stub, ROTATING)
    value(stub, CURRENT_CREDENTIALS, "AWSCURRENT")
    stub.add_response("update_secret_version_stage", {"ARN": ARN})
    value(stub, NEW_CREDENTIALS, "AWSCURRENT", TOKEN)
    rotation.rotate(event("finishSecret"), client, FakeRegistry(revoke_fails=True))


def test_finish_secret_skips_revocation_of_a_hand_set_token(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    registry = FakeRegistry()
    describe(stub, ROTATING)
    describe(stub, ROTATING)
    value(stub, Credentials("docker.io", "ci-bot", "dckr_pat_by_hand"), "AWSCURRENT")
    stub.add_response("update_secret_version_stage", {"ARN": ARN})
    rotation.rotate(event("finishSecret"), client, registry)
    assert registry.calls == []


def test_version_already_current_is_a_no_op(secrets: tuple[Any, Stubber]) -> None:
    client, stub = secrets
    describe(stub, {TOKEN: ["AWSCURRENT", "AWSPENDING"]})
    rotation.rotate(event("finishSecret"), client, FakeRegistry())


@pytest.mark.parametrize(
    ("stages", "enabled", "message"),
    [
        (ROTATING, False, "not enabled"),
        ({PREVIOUS: ["AWSCURRENT"]}, True, "not staged"),
        ({PREVIOUS: ["AWSCURRENT"], TOKEN: ["AWSPREVIOUS"]}, True, "not AWSPENDING"),
    ],
)
def test_events_secrets_manager_did_not_set_up_are_refused(
    secrets: tuple[Any, Stubber], stages: dict, enabled: bool, message: str
) -> None:
    client, stub = secrets
    describe(stub, stages, enabled)
    with pytest.raises(RotationError, match=message):
        rotation.rotate(event("createSecret"), client, FakeRegistry())


def test_unknown_step_is_refused() -> None:
    with pytest.raises(RotationError, match="unknown rotation step"):
        rotation.rotate(event("deleteSecret"), object(), FakeRegistry())


def test_malformed_secret_is_reported_without_its_content() -> None:
    with pytest.raises(RotationError) as failure:
        Credentials.parse('{"username": "ci-bot", "password": "s3cr3t"}')
    assert "s3cr3t" not in str(failure.value)


# --- the Docker Hub client ----------------------------------------------------------------------


class FakeHub:
    """Stands in for urllib.request.urlopen; answers in order and records the requests."""

    def __init__(self, *responses: Any) -> None:
        self.responses, self.requests = list(responses), []

    def __call__(self, request: Any, timeout: float) -> Any:
        self.requests.append(request)
        response = self.responses.pop(0)
        if isinstance(response, Exception):
            raise response
        return io.BytesIO(json.dumps(response).encode() if response is not None else b"")

    def sent(self, index: int) -> tuple[str, str, dict | None, str | None]:
        request = self.requests[index]
        body = json.loads(request.data) if request.data else None
        return request.get_method(), request.full_url, body, request.get_header("Authorization")


def test_docker_hub_issues_a_read_only_token_with_the_current_credentials() -> None:
    hub = FakeHub({"access_token": "jwt"}, {"uuid": "uuid-new", "token": "dckr_pat_new"})
    issued = rotation.DockerHub(opener=hub).issue_token(CURRENT_CREDENTIALS, "cicd-rotation-4b7e1c2a")
    assert issued == NEW_CREDENTIALS
    assert hub.sent(0) == (
        "POST",
        "https://hub.docker.com/v2/auth/token",
        {"identifier": "ci-bot", "secret": "dckr_pat_old"},
        None,
    )
    assert hub.sent(1) == (
        "POST",
        "https://hub.docker.com/v2/access-tokens",
        {"token_label": "cicd-rotation-4b7e1c2a", "scopes": ["repo:read"]},
        "Bearer jwt",
    )


def test_docker_hub_revokes_by_token_id() -> None:
    hub = FakeHub({"access_token": "jwt"}, None)
    rotation.DockerHub(opener=hub).revoke(NEW_CREDENTIALS, "uuid-old")
    assert hub.sent(1) == ("DELETE", "https://hub.docker.com/v2/access-tokens/uuid-old", None, "Bearer jwt")


def test_docker_hub_errors_carry_the_status_only() -> None:
    refusal = urllib.error.HTTPError(
        "https://hub.docker.com/v2/auth/token", 401, "Unauthorized", {}, io.BytesIO(b'{"detail": "dckr_pat_old"}')
    )
    with pytest.raises(RegistryError) as failure:
        rotation.DockerHub(opener=FakeHub(refusal)).check(CURRENT_CREDENTIALS)
    assert str(failure.value) == "POST /v2/auth/token failed: HTTP 401"
