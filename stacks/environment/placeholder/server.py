"""Placeholder HTTP server: 200 on every GET, so a fresh service turns healthy before the first deploy."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"placeholder: the pipeline has not deployed this application yet\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


if __name__ == "__main__":
    # The port comes as the argument (the task definition's command), so the task definition needs no environment.
    ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1] if len(sys.argv) > 1 else "8080")), Handler).serve_forever()
