"""Rehearsal of the registry credentials rotation against moto's Secrets Manager: the test plays
Secrets Manager's part (a new AWSPENDING version without a value, then the four steps in order) and
checks the labels the function leaves, which decide whether the next rotation may start."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from moto.secretsmanager.models import secretsmanager_backends

from stacks.pipeline.credentials import PLACEHOLDER
from stacks.pipeline.runtime.rotation import registry_rotation as rotation
from tests.rehearsal.aws import PIPELINE_ACCOUNT, REGION, client
from tests.test_rotation_lambda import CURRENT_CREDENTIALS, FakeRegistry

NAME = "docker-registry-credentials-pipeline-dev"
TOKEN = "4b7e1c2a-0000-4000-8000-000000000001"


def secret(value: str) -> tuple[Any, str]:
    secrets = client("secretsmanager")
    arn = secrets.create_secret(Name=NAME, SecretString=value)["ARN"]
    return secrets, arn


def rotate_as_secrets_manager(secrets: Any, arn: str, registry: FakeRegistry) -> None:
    """What Secrets Manager does for a scheduled rotation: stage an empty AWSPENDING version, enable
    rotation, invoke the four steps in order."""
    stored = secretsmanager_backends[PIPELINE_ACCOUNT][REGION].secrets[NAME]
    stored.rotation_requested, stored.rotation_enabled, stored.auto_rotate_after_days = True, True, 30
    stored.rotation_lambda_arn = f"arn:aws:lambda:{REGION}:{PIPELINE_ACCOUNT}:function:registry-rotation-pipeline-dev"
    stored.versions[TOKEN] = {"createdate": int(time.time()), "version_id": TOKEN, "version_stages": ["AWSPENDING"]}
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rotation.rotate({"SecretId": arn, "ClientRequestToken": TOKEN, "Step": step}, secrets, registry)


def stages(secrets: Any, arn: str) -> dict[str, list[str]]:
    return secrets.describe_secret(SecretId=arn)["VersionIdsToStages"]


def test_placeholder_rotation_is_a_clean_no_op(caplog: pytest.LogCaptureFixture) -> None:
    """Defect 10: the first scheduled rotation runs on the stack's placeholder; it must succeed, keep the
    placeholder current, and leave no AWSPENDING behind (or the next rotation is refused as in progress)."""
    placeholder = json.dumps({**PLACEHOLDER, "password": "generated"})
    secrets, arn = secret(placeholder)
    registry = FakeRegistry()
    with caplog.at_level(logging.INFO):
        rotate_as_secrets_manager(secrets, arn, registry)
    assert registry.calls == []
    assert secrets.get_secret_value(SecretId=arn)["SecretString"] == placeholder
    labels = stages(secrets, arn)
    assert "AWSPENDING" not in [stage for version in labels.values() for stage in version]
    assert [record.getMessage() for record in caplog.records].count(
        "createSecret: the secret still holds its placeholder (no username): nothing to rotate"
    ) == 1


def test_real_credentials_rotate_through_all_four_steps() -> None:
    secrets, arn = secret(CURRENT_CREDENTIALS.dumps())
    registry = FakeRegistry()
    rotate_as_secrets_manager(secrets, arn, registry)
    # moto keeps the value-less version Secrets Manager staged instead of filling it with PutSecretValue,
    # so the rehearsal checks the calls and the labels, not the stored token.
    assert [call[0] for call in registry.calls] == ["issue_token", "check", "revoke"]
    assert "AWSCURRENT" in stages(secrets, arn)[TOKEN]
    assert registry.calls[0][1] == CURRENT_CREDENTIALS
    assert registry.calls[-1][2] == CURRENT_CREDENTIALS.token_id


def test_registry_refusing_the_new_token_fails_the_rotation_before_it_is_current() -> None:
    secrets, arn = secret(CURRENT_CREDENTIALS.dumps())
    with pytest.raises(rotation.RegistryError):
        rotate_as_secrets_manager(secrets, arn, FakeRegistry(accepts=False))
    assert json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"]) == json.loads(CURRENT_CREDENTIALS.dumps())
