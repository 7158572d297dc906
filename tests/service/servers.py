"""Local HTTP servers the service tests talk to: Google's certificates, Cloud Tasks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RecordingServer(ThreadingHTTPServer):
    """A server on 127.0.0.1 that responds from ``routes`` and records every request."""

    def __init__(self, routes: dict[tuple[str, str], tuple[int, dict[str, str], Any]]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: RecordingServer

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.requests.append(
                {"method": method, "path": self.path, "headers": dict(self.headers), "body": body}
            )
        route = self.server.routes.get((method, self.path))
        if route is None:
            status, headers, payload = 404, {}, {"error": {"code": 404}}
        else:
            status, headers, payload = route
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextmanager
def serve(
    routes: dict[tuple[str, str], tuple[int, dict[str, str], Any]],
) -> Iterator[RecordingServer]:
    server = RecordingServer(routes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
