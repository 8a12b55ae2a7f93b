"""Rehearsal of the registry credentials rotation against moto's Secrets Manager and the Docker Hub
stand-in (docker_hub.py): the test plays Secrets Manager's part (a new AWSPENDING version without a
value, then the four steps in order) and checks the labels the function leaves, which decide whether
the next rotation may start, and the tokens Docker Hub holds afterwards.

The secrets hold what their descriptions tell operators to store: the build secret a read-only access
token, the account secret the account's password. The function calls AWS with its own role from the
synthesized foundation template, under the rehearsal's IAM evaluation."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto.secretsmanager.models import secretsmanager_backends

from stacks.pipeline.credentials import ACCOUNT_PLACEHOLDER, PLACEHOLDER
from stacks.pipeline.runtime.rotation import registry_rotation as rotation
from tests.rehearsal.aws import REGION, assumed
from tests.rehearsal.docker_hub import DockerHubStandIn
from tests.rehearsal.iam import Authorizer, evaluated, roles_of, service_may_assume
from tests.rehearsal.templates import load_stacks
from tests.support import Synthesized

TOKEN = "4b7e1c2a-0000-4000-8000-000000000001"
ROLE = "registry-rotation-role-pipeline-dev"


@dataclass
class Rotation:
    """The foundation stack's two secrets in the pipeline account, and the rotation function's client."""

    account: str
    secrets: Any
    credentials_arn: str
    account_arn: str
    iam: Authorizer

    def stages(self) -> dict[str, list[str]]:
        return self.secrets.describe_secret(SecretId=self.credentials_arn)["VersionIdsToStages"]

    def pending_left(self) -> bool:
        return "AWSPENDING" in [stage for version in self.stages().values() for stage in version]

    def run(self, hub: Any) -> None:
        """What Secrets Manager does for a scheduled rotation: stage an empty AWSPENDING version, enable
        rotation, invoke the four steps in order with the function's role."""
        name = self.credentials_arn.split(":")[-1].rsplit("-", 1)[0]
        stored = secretsmanager_backends[self.account][REGION].secrets[name]
        stored.rotation_requested, stored.rotation_enabled, stored.auto_rotate_after_days = True, True, 30
        stored.versions[TOKEN] = {"createdate": int(time.time()), "version_id": TOKEN, "version_stages": ["AWSPENDING"]}
        with evaluated(self.iam):
            for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
                event = {"SecretId": self.credentials_arn, "ClientRequestToken": TOKEN, "Step": step}
                rotation.rotate(event, self.secrets, rotation.DockerHub(opener=hub), self.account_arn)


@pytest.fixture
def provision(system: Synthesized) -> Iterator[Any]:
    """Creates the foundation stack's two secrets with the given values; returns the Rotation."""

    def create(credentials: dict[str, Any], account: dict[str, Any]) -> Rotation:
        stacks = load_stacks(system.outdir)
        (foundation,) = [stack for name, stack in stacks.items() if name.startswith("cicd-foundation-")]
        admin = assumed(foundation.account).client("secretsmanager")
        values = {"registry-credentials": credentials, "registry-account": account}
        arns = {}
        for logical_id, properties in foundation.of_type("AWS::SecretsManager::Secret"):
            kind = next(kind for kind in values if kind in properties["Name"])
            arn = admin.create_secret(Name=properties["Name"], SecretString=json.dumps(values[kind]))["ARN"]
            foundation.physical[logical_id] = arns[kind] = arn
        roles = roles_of(list(stacks.values()))
        role = roles[f"arn:aws:iam::{foundation.account}:role/{ROLE}"]
        service_may_assume(role, "lambda.amazonaws.com")
        session = assumed(foundation.account, ROLE)
        return Rotation(
            foundation.account,
            session.client("secretsmanager"),
            arns["registry-credentials"],
            arns["registry-account"],
            Authorizer(roles),
        )

    yield create


@pytest.fixture
def hub() -> DockerHubStandIn:
    hub = DockerHubStandIn("ci-bot", "account-password")
    hub.operator_token = hub.issue("set by the operator", ["repo:read"])  # what the description asks for
    return hub


def build_secret(hub: DockerHubStandIn, *, token_id: bool = True) -> dict[str, str]:
    uuid, token = hub.operator_token
    return {
        "registry": "docker.io",
        "username": "ci-bot",
        "password": token,
        **({"token_id": uuid} if token_id else {}),
    }


def test_rotation_issues_a_new_read_only_token_with_the_account_and_revokes_the_old_one(provision, hub) -> None:
    """Defect 5: Docker Hub creates tokens only for a password session; the account secret provides it."""
    rotation_run = provision(build_secret(hub), {"username": "ci-bot", "password": "account-password"})
    rotation_run.run(hub)
    (token,) = hub.tokens.values()
    assert token["label"] == "cicd-rotation-4b7e1c2a" and token["scopes"] == ["repo:read"]
    assert hub.operator_token[0] not in hub.tokens  # revoked
    assert "AWSCURRENT" in rotation_run.stages()[TOKEN]  # Secrets Manager then drops AWSPENDING itself
    assert rotation_run.iam.denied() == []
    assert (
        "registry-rotation-role-pipeline-dev",
        "secretsmanager:GetSecretValue",
        rotation_run.account_arn,
        "Allow",
    ) in (rotation_run.iam.decisions)


def test_a_token_cannot_issue_tokens(hub) -> None:
    """The stand-in refuses what Docker Hub refuses: signed in with an access token, creating one is 403."""
    client = rotation.DockerHub(opener=hub)
    with pytest.raises(rotation.RegistryError, match="HTTP 403"):
        client.issue_token(rotation.Account("ci-bot", hub.operator_token[1]), "docker.io", "label")


def test_a_refused_account_fails_the_rotation_without_leaving_it_pending(provision, hub) -> None:
    rotation_run = provision(build_secret(hub), {"username": "ci-bot", "password": "wrong"})
    with pytest.raises(rotation.RegistryError, match="HTTP 401"):
        rotation_run.run(hub)
    assert not rotation_run.pending_left(), "the next rotation would be refused as still in progress"
    assert list(hub.tokens) == [hub.operator_token[0]]
    assert json.loads(rotation_run.secrets.get_secret_value(SecretId=rotation_run.credentials_arn)["SecretString"]) == (
        build_secret(hub)
    )


def test_a_new_token_that_does_not_sign_in_is_revoked_and_the_rotation_not_left_pending(
    provision, hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    rotation_run = provision(build_secret(hub), {"username": "ci-bot", "password": "account-password"})
    monkeypatch.setattr(
        rotation.DockerHub,
        "check",
        lambda self, credentials: (_ for _ in ()).throw(rotation.RegistryError("POST /v2/auth/token failed: HTTP 401")),
    )
    with pytest.raises(rotation.RegistryError):
        rotation_run.run(hub)
    assert list(hub.tokens) == [hub.operator_token[0]], "the token this rotation issued is revoked"
    assert not rotation_run.pending_left()


def test_placeholders_make_rotation_a_clean_no_op(provision, hub, caplog: pytest.LogCaptureFixture) -> None:
    """Defect 10 (issue 10): the first scheduled rotation runs on the stack's placeholders; it must
    succeed, keep the placeholder current, and leave no AWSPENDING behind."""
    for credentials, account, which in (
        ({**PLACEHOLDER, "password": "generated"}, {**ACCOUNT_PLACEHOLDER, "password": "generated"}, "the secret"),
        (build_secret(hub), {**ACCOUNT_PLACEHOLDER, "password": "generated"}, "the account secret"),
    ):
        rotation_run = provision(credentials, account)
        with caplog.at_level(logging.INFO):
            rotation_run.run(hub)
        assert list(hub.tokens) == [hub.operator_token[0]]
        stored = rotation_run.secrets.get_secret_value(SecretId=rotation_run.credentials_arn)["SecretString"]
        assert json.loads(stored) == credentials and not rotation_run.pending_left()
        assert f"createSecret: {which} still holds its placeholder (no username): nothing to rotate" in caplog.messages
        admin = assumed(rotation_run.account).client("secretsmanager")
        for arn in (rotation_run.credentials_arn, rotation_run.account_arn):
            admin.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
