"""The HTTP server: standard library only, configured from environment variables."""

from __future__ import annotations

import html
import json
import os
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Settings:
    port: int = 8080
    health_check_path: str = "/health"
    app_name: str = "sample"
    version: str = "dev"
    environment: str = "local"

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> Settings:
        port = env.get("PORT", str(cls.port))
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"PORT={port!r}: expected a TCP port number")
        path = env.get("HEALTH_CHECK_PATH", cls.health_check_path)
        if not path.startswith("/"):
            raise ValueError(f"HEALTH_CHECK_PATH={path!r}: expected a path starting with /")
        return cls(
            port=int(port),
            health_check_path=path,
            app_name=env.get("APP_NAME", cls.app_name),
            version=env.get("APP_VERSION", cls.version),
            environment=env.get("APP_ENVIRONMENT", cls.environment),
        )


def page(settings: Settings) -> str:
    name, version, environment = (html.escape(v) for v in (settings.app_name, settings.version, settings.environment))
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{name}</title></head>\n'
        f"<body><h1>{name}</h1><p>Version <code>{version}</code> running in <strong>{environment}</strong>.</p>"
        "</body></html>\n"
    )


def make_handler(settings: Settings) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = settings.app_name

        def do_GET(self) -> None:
            self._respond(send_body=True)

        def do_HEAD(self) -> None:
            self._respond(send_body=False)

        def _respond(self, *, send_body: bool) -> None:
            path = self.path.split("?", 1)[0]
            if path == settings.health_check_path:
                body = {"status": "ok", "version": settings.version}
                status, content_type, payload = HTTPStatus.OK, "application/json", json.dumps(body)
            elif path == "/":
                status, content_type, payload = HTTPStatus.OK, "text/html; charset=utf-8", page(settings)
            else:
                status, content_type, payload = HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", "not found\n"
            data = payload.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if send_body:
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            # One JSON line per request on stderr, which the awslogs driver ships as one event.
            print(json.dumps({"client": self.client_address[0], "request": format % args}), file=sys.stderr)

    return Handler


def make_server(settings: Settings, host: str = "0.0.0.0") -> ThreadingHTTPServer:
    return ThreadingHTTPServer((host, settings.port), make_handler(settings))


def serve(settings: Settings) -> None:
    """Serve until SIGTERM (ECS stopping the task) or SIGINT."""
    server = make_server(settings)

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"listening": settings.port, "version": settings.version}), file=sys.stderr)
    with server:
        server.serve_forever()
