"""Docker Hub's access-token API, played for the rotation rehearsals (an opener for DockerHub, in
place of urllib.request.urlopen).

What it refuses is what Docker Hub documents (https://docs.docker.com/reference/api/hub/latest/ and
the personal access token guide): `POST /v2/auth/token` opens a session with the account's password
or an active access token; access tokens are created and deleted only in a session opened with the
password (a token cannot manage tokens: HTTP 403); a deleted token no longer signs in (HTTP 401).
"""

from __future__ import annotations

import io
import json
import secrets
import urllib.error
import uuid
from typing import Any


class DockerHubStandIn:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.tokens: dict[str, dict[str, Any]] = {}
        """Active access tokens by ID: their secret, label and scopes."""
        self.sessions: dict[str, str] = {}
        """Bearer -> "password" or "token": how the session was opened."""

    def issue(self, label: str, scopes: list[str]) -> tuple[str, str]:
        token_id, token = str(uuid.uuid4()), f"dckr_pat_{secrets.token_hex(12)}"
        self.tokens[token_id] = {"token": token, "label": label, "scopes": scopes}
        return token_id, token

    def __call__(self, request: Any, timeout: float) -> Any:
        method, path = request.get_method(), request.full_url.removeprefix("https://hub.docker.com")
        body = json.loads(request.data) if request.data else None
        if (method, path) == ("POST", "/v2/auth/token"):
            return self._respond(self._sign_in(request, body))
        kind = self.sessions.get((request.get_header("Authorization") or "").removeprefix("Bearer "))
        if kind is None:
            self._fail(request, 401)
        if kind != "password" and path.startswith("/v2/access-tokens"):
            self._fail(request, 403)  # an access token cannot create or delete access tokens
        if (method, path) == ("POST", "/v2/access-tokens"):
            token_id, token = self.issue(body["token_label"], body["scopes"])
            return self._respond({"uuid": token_id, "token": token, "token_label": body["token_label"]})
        if method == "DELETE" and path.startswith("/v2/access-tokens/"):
            if self.tokens.pop(path.rsplit("/", 1)[1], None) is None:
                self._fail(request, 404)
            return self._respond(None)
        self._fail(request, 404)

    def _sign_in(self, request: Any, body: dict[str, Any]) -> dict[str, str]:
        if body.get("identifier") != self.username:
            self._fail(request, 401)
        if body.get("secret") == self.password:
            kind = "password"
        elif any(entry["token"] == body.get("secret") for entry in self.tokens.values()):
            kind = "token"
        else:
            self._fail(request, 401)
        bearer = secrets.token_hex(16)
        self.sessions[bearer] = kind
        return {"access_token": bearer}

    @staticmethod
    def _respond(payload: Any) -> io.BytesIO:
        return io.BytesIO(json.dumps(payload).encode() if payload is not None else b"")

    @staticmethod
    def _fail(request: Any, status: int) -> None:
        raise urllib.error.HTTPError(request.full_url, status, "refused", {}, io.BytesIO(b"{}"))
