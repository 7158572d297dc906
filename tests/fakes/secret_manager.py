"""A fake Google Secret Manager API v1 on 127.0.0.1, keeping secrets in memory.

It serves ``projects.secrets.versions.access`` with responses shaped like
the real API's: the payload's data in base64 with its ``dataCrc32c``, the version's name
with the project number, and Google's error JSON for 401, 403 and 404. Every
request is first checked against the Secret Manager v1 discovery document
shipped in google-api-python-client
(``googleapiclient/discovery_cache/documents/secretmanager.v1.json``) with the
checker of ``tests.fakes.discovery``. A request the document does not allow
gets a 400 and is recorded in ``violations``. Each response body is checked
against the document's ``AccessSecretVersionResponse`` schema too.

A request must carry ``Authorization: Bearer <token>`` with the token the
fake was built with, which ``FakeCredentials`` sends.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import google.auth.credentials
import googleapiclient
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.discovery import DiscoveryChecker, SchemaViolation

DOCUMENT_PATH = (
    Path(googleapiclient.__file__).parent
    / "discovery_cache"
    / "documents"
    / "secretmanager.v1.json"
)
TOKEN = "ya29.fake-secret-manager-token"
PROJECT_NUMBER = "123456789012"
TIMEOUT = "timeout"  # a fault that delays the response by ``slow_seconds``

_CHECKER = DiscoveryChecker(json.loads(DOCUMENT_PATH.read_text(encoding="utf-8")))
_ACCESS_METHOD = "secretmanager.projects.secrets.versions.access"


def crc32c(data: bytes) -> int:
    """Return the CRC-32C (Castagnoli) checksum of ``data``, bit by bit."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


class FakeCredentials(google.auth.credentials.Credentials):
    """Credentials with a fixed token. A refresh keeps the token and contacts no token server."""

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.refreshes = 0

    def refresh(self, request: Any) -> None:
        self.refreshes += 1


@dataclass
class FakeSecret:
    """One secret: its versions' payloads in order, the latest last."""

    versions: list[bytes] = field(default_factory=list)
    denied: bool = False  # every access returns 403
    raw_data: str | None = None  # sent as payload.data instead of the encoded latest version


class FakeSecretManager:
    """The WSGI application, its secrets, the requests it saw and fault injection."""

    def __init__(self, token: str = TOKEN, slow_seconds: float = 1.0) -> None:
        self.token = token
        self.url = ""  # set by FakeSecretManagerServer
        self.slow_seconds = slow_seconds
        self.secrets: dict[tuple[str, str], FakeSecret] = {}
        self.requests: list[dict[str, Any]] = []  # method, path and authorization of each call
        self.violations: list[str] = []
        self.faults: list[int | str] = []  # statuses (or TIMEOUT) for the next calls, in order
        self._lock = threading.Lock()

    def add_version(self, project: str, name: str, value: str | bytes) -> FakeSecret:
        """Add a version of secret ``name``, creating the secret. A str is stored as UTF-8."""
        secret = self.secrets.setdefault((project, name), FakeSecret())
        secret.versions.append(value.encode() if isinstance(value, str) else value)
        return secret

    def fail_next(self, *faults: int | str) -> None:
        self.faults.extend(faults)

    def access_count(self, name: str | None = None) -> int:
        """Return how many access requests came in, for secret ``name`` when given."""
        return sum(
            1
            for request in self.requests
            if request["method"] == _ACCESS_METHOD and name in (None, request["secret"])
        )

    # -- WSGI --------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        try:
            method, params = _CHECKER.match(request.method, request.path)
            query = parse_qs(request.query_string.decode(), keep_blank_values=True)
            _CHECKER.check_query(method, query)
            _CHECKER.check_body(
                method, json.loads(request.get_data()) if request.get_data() else None
            )
        except SchemaViolation as violation:
            with self._lock:
                self.violations.append(str(violation))
            return _error(400, f"Invalid request: {violation}", "INVALID_ARGUMENT")

        with self._lock:
            self.requests.append(
                {
                    "method": method.id,
                    "path": request.path,
                    "secret": params.get("secretsId"),
                    "authorization": request.headers.get("Authorization"),
                }
            )
            fault = self.faults.pop(0) if self.faults else None
        if fault == TIMEOUT:
            time.sleep(self.slow_seconds)
        elif fault is not None:
            return _error(int(fault), "Injected failure", "UNAVAILABLE")

        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(
                401,
                "Request had invalid authentication credentials.",
                "UNAUTHENTICATED",
            )
        if method.id != _ACCESS_METHOD:
            return _error(501, f"{method.id} is not implemented by the fake", "UNIMPLEMENTED")
        return self._access(params["projectsId"], params["secretsId"], params["versionsId"])

    def _access(self, project: str, name: str, version: str) -> Response:
        resource = f"projects/{project}/secrets/{name}/versions/{version}"
        secret = self.secrets.get((project, name))
        if secret is not None and secret.denied:
            return _error(
                403,
                f"Permission 'secretmanager.versions.access' denied for resource "
                f"'{resource}' (or it may not exist).",
                "PERMISSION_DENIED",
            )
        if secret is None or not secret.versions:
            return _error(
                404,
                f"Secret [projects/{PROJECT_NUMBER}/secrets/{name}] not found or has no versions.",
                "NOT_FOUND",
            )
        number = len(secret.versions) if version == "latest" else int(version)
        if not 1 <= number <= len(secret.versions):
            return _error(
                404,
                f"Secret Version [projects/{PROJECT_NUMBER}/secrets/{name}/versions/{version}] "
                "not found.",
                "NOT_FOUND",
            )
        data = secret.versions[number - 1]
        body = {
            "name": f"projects/{PROJECT_NUMBER}/secrets/{name}/versions/{number}",
            "payload": {
                "data": secret.raw_data
                if secret.raw_data is not None
                else base64.b64encode(data).decode("ascii"),
                "dataCrc32c": str(crc32c(data)),
            },
        }
        _CHECKER.check_value({"$ref": "AccessSecretVersionResponse"}, body, "response")
        return Response(json.dumps(body), 200, content_type="application/json")


def _error(status: int, message: str, reason: str) -> Response:
    body = {"error": {"code": status, "message": message, "status": reason}}
    return Response(json.dumps(body), status, content_type="application/json")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # the requests are kept in FakeSecretManager.requests instead


class FakeSecretManagerServer:
    """Runs ``FakeSecretManager`` in a thread on 127.0.0.1 at a free port."""

    def __init__(self, api: FakeSecretManager | None = None) -> None:
        self.api = api or FakeSecretManager()
        self._server = make_server(
            "127.0.0.1", 0, self.api, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.api.url = self.url
        # A short poll interval, so that stop() returns quickly after each test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FakeSecretManagerServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
