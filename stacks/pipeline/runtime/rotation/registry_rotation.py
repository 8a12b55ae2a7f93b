"""Secrets Manager rotation of the Docker registry credentials used by image builds.

Two secrets, as Secrets Manager's rotation with a separate administrator secret works:
- the credentials secret, which builds read: JSON {"registry", "username", "password"[, "token_id"]},
  where the password is an access token (Docker Hub: a read-only personal access token);
- the account secret (`ACCOUNT_SECRET_ID`), which only this function reads: JSON {"username",
  "password"} of the registry account that owns the tokens. Docker Hub issues and deletes access
  tokens only for a session opened with the account's password, never with an access token, so the
  token builds use cannot rotate itself.

The four rotation steps:
- createSecret: ask the registry, signed in with the account, for a new access token; store it as
  the AWSPENDING version.
- setSecret: nothing to do; the registry itself issued the token, so it already knows it.
- testSecret: log in to the registry with the pending credentials, as a build does.
- finishSecret: make the pending version AWSCURRENT, then revoke the previous token.

A step that fails before finishSecret takes AWSPENDING off the version (and revokes a token it
issued), so a failed rotation never leaves the secret stuck "in progress": the next scheduled one
starts clean. While either secret still holds its placeholder (no username), a scheduled rotation is
a clean no-op: each step logs that there is nothing to rotate, and finishSecret removes the
AWSPENDING label Secrets Manager put on the empty new version.

Every registry call goes through the small `Registry` interface; `DockerHub` implements it for
Docker Hub's API with the standard library.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"


class RotationError(Exception):
    """Rotation cannot proceed; Secrets Manager records the failure and retries later."""


class RegistryError(RotationError):
    """The registry refused or failed a request."""


@dataclass(frozen=True)
class Credentials:
    registry: str
    username: str
    password: str
    token_id: str | None = None
    """The registry's ID of the access token in `password`, to revoke it later; None for a token
    the operator set by hand."""

    @classmethod
    def parse(cls, secret_string: str) -> Credentials:
        try:
            value = json.loads(secret_string)
            return cls(
                registry=value["registry"],
                username=value["username"],
                password=value["password"],
                token_id=value.get("token_id"),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise RotationError(f"secret is not registry/username/password JSON: {type(error).__name__}") from None

    def dumps(self) -> str:
        return json.dumps({key: value for key, value in asdict(self).items() if value is not None})


@dataclass(frozen=True)
class Account:
    """The registry account that owns the access tokens (its password, never a token)."""

    username: str
    password: str

    @classmethod
    def parse(cls, secret_string: str) -> Account:
        try:
            value = json.loads(secret_string)
            return cls(username=value["username"], password=value.get("password", ""))
        except (ValueError, KeyError, TypeError) as error:
            raise RotationError(f"account secret is not username/password JSON: {type(error).__name__}") from None


class Registry(Protocol):
    """The registry calls rotation needs."""

    def issue_token(self, account: Account, registry: str, label: str) -> Credentials:
        """New credentials with a fresh access token, issued by the registry to `account`."""
        ...

    def check(self, credentials: Credentials) -> None:
        """Raise RegistryError unless the registry accepts `credentials`."""
        ...

    def revoke(self, account: Account, token_id: str) -> None:
        """Delete `account`'s access token `token_id`."""
        ...


Opener = Callable[..., Any]


class DockerHub:
    """Docker Hub's access-token API (https://docs.docker.com/reference/api/hub/latest/)."""

    BASE_URL = "https://hub.docker.com"
    SCOPES = ("repo:read",)
    """Builds only pull base images."""

    def __init__(self, opener: Opener = urllib.request.urlopen, timeout: float = 10) -> None:
        self._open = opener
        self._timeout = timeout

    def issue_token(self, account: Account, registry: str, label: str) -> Credentials:
        body = {"token_label": label, "scopes": list(self.SCOPES)}
        token = self._call("POST", "/v2/access-tokens", body, bearer=self._bearer(account.username, account.password))
        return Credentials(registry, account.username, token["token"], token["uuid"])

    def check(self, credentials: Credentials) -> None:
        self._bearer(credentials.username, credentials.password)

    def revoke(self, account: Account, token_id: str) -> None:
        bearer = self._bearer(account.username, account.password)
        self._call("DELETE", f"/v2/access-tokens/{token_id}", None, bearer=bearer)

    def _bearer(self, identifier: str, secret: str) -> str:
        body = {"identifier": identifier, "secret": secret}
        return self._call("POST", "/v2/auth/token", body)["access_token"]

    def _call(self, method: str, path: str, body: dict | None, bearer: str | None = None) -> dict[str, Any]:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.BASE_URL + path, data=data, headers=headers, method=method)
        try:
            with self._open(request, timeout=self._timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            # Only the status: response bodies may echo what was sent.
            raise RegistryError(f"{method} {path} failed: HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise RegistryError(f"{method} {path} failed: {error}") from None
        return json.loads(payload) if payload else {}


# --- the four steps ----------------------------------------------------------------------------


def create_secret(secrets: Any, registry: Registry, arn: str, token: str, account: Account) -> None:
    current = _credentials(secrets, arn, stage=CURRENT)
    try:
        secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)
        logger.info("createSecret: version %s already has credentials", token)
        return
    except secrets.exceptions.ResourceNotFoundException:
        pass
    # If storing fails after this call, the new token is orphaned in the registry until revoked by hand.
    pending = registry.issue_token(account, current.registry, label=f"cicd-rotation-{token[:8]}")
    secrets.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString=pending.dumps(), VersionStages=[PENDING]
    )
    logger.info("createSecret: stored a new access token as version %s", token)


def set_secret(secrets: Any, registry: Registry, arn: str, token: str, account: Account) -> None:
    logger.info("setSecret: the registry issued the token in createSecret; nothing to set")


def test_secret(secrets: Any, registry: Registry, arn: str, token: str, account: Account) -> None:
    registry.check(_credentials(secrets, arn, stage=PENDING, version=token))
    logger.info("testSecret: the registry accepts version %s", token)


test_secret.__test__ = False  # a rotation step named by AWS, not a pytest test


def finish_secret(secrets: Any, registry: Registry, arn: str, token: str, account: Account) -> None:
    versions = secrets.describe_secret(SecretId=arn)["VersionIdsToStages"]
    current_version = next(version for version, stages in versions.items() if CURRENT in stages)
    if current_version == token:
        logger.info("finishSecret: version %s is already current", token)
        return
    previous = _credentials(secrets, arn, stage=CURRENT)
    secrets.update_secret_version_stage(
        SecretId=arn, VersionStage=CURRENT, MoveToVersionId=token, RemoveFromVersionId=current_version
    )
    logger.info("finishSecret: version %s is now current", token)
    if previous.token_id:
        try:
            registry.revoke(account, previous.token_id)
        except RegistryError as error:
            # Rotation itself succeeded; the old token stays valid until revoked in the registry.
            logger.warning("finishSecret: could not revoke the previous token: %s", error)


STEPS = {
    "createSecret": create_secret,
    "setSecret": set_secret,
    "testSecret": test_secret,
    "finishSecret": finish_secret,
}


def skip_placeholder(secrets: Any, arn: str, token: str, step: str, which: str = "the secret") -> None:
    """The rotation of a secret that holds no registry credentials yet: nothing to issue, test or revoke."""
    logger.info("%s: %s still holds its placeholder (no username): nothing to rotate", step, which)
    if step == "finishSecret":
        secrets.update_secret_version_stage(SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=token)
        logger.info("finishSecret: removed %s from the empty version %s; the placeholder stays current", PENDING, token)


def _credentials(secrets: Any, arn: str, *, stage: str, version: str | None = None) -> Credentials:
    request = {"SecretId": arn, "VersionStage": stage}
    if version:
        request["VersionId"] = version
    return Credentials.parse(secrets.get_secret_value(**request)["SecretString"])


def abandon(secrets: Any, registry: Registry, arn: str, token: str, account: Account) -> None:
    """After a failed step: revoke the token this rotation issued, if any, and take AWSPENDING off its
    version, so the next rotation starts clean instead of being refused as still in progress."""
    try:
        pending = _credentials(secrets, arn, stage=PENDING, version=token)
    except (ClientError, RotationError):  # createSecret failed before it stored anything
        pending = None
    if pending is not None and pending.token_id:
        try:
            registry.revoke(account, pending.token_id)
        except RegistryError as error:
            logger.warning("could not revoke the token this failed rotation issued: %s", error)
    secrets.update_secret_version_stage(SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=token)
    logger.info("removed %s from version %s: the next rotation starts clean", PENDING, token)


def rotate(event: dict[str, str], secrets: Any, registry: Registry, account_secret: str) -> None:
    """Check that the event is a rotation Secrets Manager set up, then run its step."""
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    if step not in STEPS:
        raise RotationError(f"unknown rotation step {step!r}")
    metadata = secrets.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise RotationError("rotation is not enabled on the secret")
    stages = metadata.get("VersionIdsToStages", {}).get(token)
    if stages is None:
        raise RotationError(f"version {token} is not staged for rotation")
    if CURRENT in stages:
        logger.info("%s: version %s is already current", step, token)
        return
    if PENDING not in stages:
        raise RotationError(f"version {token} is not AWSPENDING")
    if not _credentials(secrets, arn, stage=CURRENT).username:
        skip_placeholder(secrets, arn, token, step)
        return
    account = Account.parse(secrets.get_secret_value(SecretId=account_secret)["SecretString"])
    if not account.username:
        skip_placeholder(secrets, arn, token, step, which="the account secret")
        return
    try:
        STEPS[step](secrets, registry, arn, token, account)
    except Exception:
        if step != "finishSecret":
            abandon(secrets, registry, arn, token, account)
        raise


def handler(event: dict[str, str], context: Any) -> None:
    """Lambda entry point."""
    rotate(event, boto3.client("secretsmanager"), DockerHub(), os.environ["ACCOUNT_SECRET_ID"])
