"""The sample application's unit tests: run in `make test` and, in the pipeline, inside the built image."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from sampleapp import healthcheck
from sampleapp.server import Settings, make_server, page


@pytest.fixture(scope="module")
def server() -> Iterator[Settings]:
    settings = Settings(port=0, health_check_path="/healthz", app_name="demo", version="abc123", environment="dev")
    httpd = make_server(settings, host="127.0.0.1")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Settings(**{**settings.__dict__, "port": httpd.server_address[1]})
    httpd.shutdown()
    httpd.server_close()


def get(settings: Settings, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{settings.port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_health_endpoint_reports_ok_and_version(server: Settings) -> None:
    status, headers, body = get(server, "/healthz")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "version": "abc123"}


def test_health_path_ignores_query_string(server: Settings) -> None:
    assert get(server, "/healthz?probe=alb")[0] == 200


def test_page_names_application_version_and_environment(server: Settings) -> None:
    status, headers, body = get(server, "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b"<h1>demo</h1>" in body and b"abc123" in body and b"dev" in body


def test_unknown_path_is_404(server: Settings) -> None:
    assert get(server, "/admin")[0] == 404


def test_head_sends_headers_without_body(server: Settings) -> None:
    status, headers, body = get(server, "/", method="HEAD")
    assert status == 200 and int(headers["Content-Length"]) > 0 and body == b""


def test_page_escapes_html() -> None:
    assert "<script>" not in page(Settings(version="<script>alert(1)</script>"))


def test_settings_from_environment() -> None:
    settings = Settings.from_environment(
        {"PORT": "9000", "HEALTH_CHECK_PATH": "/ping", "APP_NAME": "x", "APP_VERSION": "v1", "APP_ENVIRONMENT": "prod"}
    )
    assert settings == Settings(port=9000, health_check_path="/ping", app_name="x", version="v1", environment="prod")
    assert Settings.from_environment({}) == Settings()


@pytest.mark.parametrize("env", [{"PORT": "http"}, {"PORT": "70000"}, {"HEALTH_CHECK_PATH": "health"}])
def test_settings_reject_bad_values(env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        Settings.from_environment(env)


def test_healthcheck_passes_against_running_server(server: Settings) -> None:
    env = {"PORT": str(server.port), "HEALTH_CHECK_PATH": server.health_check_path}
    assert healthcheck.main(env) == 0


def test_healthcheck_fails_when_nothing_listens(server: Settings) -> None:
    assert healthcheck.main({"PORT": str(server.port), "HEALTH_CHECK_PATH": "/missing"}) == 1
