"""Unit tests of the registry credentials rotation Lambda's parts that need no AWS: event checks, the
secret's format, and the Docker Hub client through a fake opener. The four steps against Secrets
Manager (moto) are rehearsed in tests/rehearsal/test_rotation.py."""

from __future__ import annotations

import io
import json
import urllib.error
from typing import Any

import pytest

from stacks.pipeline.runtime.rotation import registry_rotation as rotation
from stacks.pipeline.runtime.rotation.registry_rotation import Account, Credentials, RegistryError, RotationError

ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:docker-registry-credentials-pipeline-dev-AbCdEf"
TOKEN = "4b7e1c2a-0000-4000-8000-000000000001"
PREVIOUS = "4b7e1c2a-0000-4000-8000-000000000000"
CURRENT_CREDENTIALS = Credentials("docker.io", "ci-bot", "dckr_pat_old", "uuid-old")
NEW_CREDENTIALS = Credentials("docker.io", "ci-bot", "dckr_pat_new", "uuid-new")
ACCOUNT = Account("ci-bot", "account-password")


class FakeRegistry:
    def __init__(self, *, accepts: bool = True, revoke_fails: bool = False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.accepts, self.revoke_fails = accepts, revoke_fails

    def issue_token(self, account: Account, registry: str, label: str) -> Credentials:
        self.calls.append(("issue_token", account, label))
        return NEW_CREDENTIALS

    def check(self, credentials: Credentials) -> None:
        self.calls.append(("check", credentials))
        if not self.accepts:
            raise RegistryError("POST /v2/auth/token failed: HTTP 401")

    def revoke(self, account: Account, token_id: str) -> None:
        self.calls.append(("revoke", account, token_id))
        if self.revoke_fails:
            raise RegistryError("DELETE failed: HTTP 500")


def event(step: str, token: str = TOKEN) -> dict[str, str]:
    return {"SecretId": ARN, "ClientRequestToken": token, "Step": step}


def test_unknown_step_is_refused() -> None:
    with pytest.raises(RotationError, match="unknown rotation step"):
        rotation.rotate(event("deleteSecret"), object(), FakeRegistry(), "account")


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


def test_docker_hub_issues_a_read_only_token_signed_in_with_the_account() -> None:
    hub = FakeHub({"access_token": "jwt"}, {"uuid": "uuid-new", "token": "dckr_pat_new"})
    issued = rotation.DockerHub(opener=hub).issue_token(ACCOUNT, "docker.io", "cicd-rotation-4b7e1c2a")
    assert issued == NEW_CREDENTIALS
    assert hub.sent(0) == (
        "POST",
        "https://hub.docker.com/v2/auth/token",
        {"identifier": "ci-bot", "secret": "account-password"},
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
    rotation.DockerHub(opener=hub).revoke(ACCOUNT, "uuid-old")
    assert hub.sent(1) == ("DELETE", "https://hub.docker.com/v2/access-tokens/uuid-old", None, "Bearer jwt")


def test_docker_hub_errors_carry_the_status_only() -> None:
    refusal = urllib.error.HTTPError(
        "https://hub.docker.com/v2/auth/token", 401, "Unauthorized", {}, io.BytesIO(b'{"detail": "dckr_pat_old"}')
    )
    with pytest.raises(RegistryError) as failure:
        rotation.DockerHub(opener=FakeHub(refusal)).check(CURRENT_CREDENTIALS)
    assert str(failure.value) == "POST /v2/auth/token failed: HTTP 401"
