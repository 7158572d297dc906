"""Fixtures of the service tests: signed ID tokens, a local certs server, the app, sheets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bridge.app import create_app
from tests.service.keys import AUDIENCE, DOMAIN, SigningKey, make_key
from tests.service.servers import RecordingServer, serve
from tests.service.sheet_files import EXAMPLE_SHEET, SheetFiles

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["EXAMPLE_SHEET", "ROOT"]
SHEET_ID = "1TestSheetAbcdefghijklmnopqrstuvwxyz012"
ACCESS_TOKEN = "ya29.test-user-access-token-0001"
CERTS_PATH = "/oauth2/v1/certs"
FINISHED = ("done", "failed", "paused")


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return make_key("test-key-1")


@pytest.fixture(scope="session")
def foreign_key() -> SigningKey:
    """A key with the served key id whose certificate is not served (a forged signature)."""
    return make_key("test-key-1")


@pytest.fixture(scope="session")
def certs_server(signing_key: SigningKey):
    payload = {signing_key.key_id: signing_key.certificate_pem}
    routes = {("GET", CERTS_PATH): (200, {"Cache-Control": "public, max-age=3600"}, payload)}
    with serve(routes) as server:
        yield server


@pytest.fixture
def sheets(tmp_path: Path) -> SheetFiles:
    files = SheetFiles(tmp_path)
    files.add(SHEET_ID)
    return files


@pytest.fixture
def settings(certs_server: RecordingServer) -> dict[str, Any]:
    return {
        "audience": AUDIENCE,
        "allowed_domains": (DOMAIN,),
        "certs_url": certs_server.url + CERTS_PATH,
        "max_body_bytes": 64 * 1024,
    }


@pytest.fixture
def app(settings: dict[str, Any], sheets: SheetFiles):
    return create_app({**settings, "TESTING": True, "SHEET_OPENER": sheets})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def headers(signing_key: SigningKey) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {signing_key.sign()}",
        "X-Goog-OAuth-Token": ACCESS_TOKEN,
    }


def wait_for_job(client, status_url: str, headers: dict[str, str], limit: float = 60.0) -> dict:
    """Poll a job until it is done, failed or paused (bounded, no timing assertion)."""
    deadline = time.monotonic() + limit
    while True:
        response = client.get(status_url, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        if body["state"] in FINISHED or time.monotonic() > deadline:
            return body
        time.sleep(0.05)
