"""The service under gunicorn on 127.0.0.1, called over HTTP, and fuzzed by schemathesis."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.service.conftest import ACCESS_TOKEN, CERTS_PATH, ROOT, SHEET_ID
from tests.service.keys import AUDIENCE, DOMAIN
from tests.service.sheet_files import EXAMPLE_SHEET
from tests.service.test_jobs import AS_OF, non_blank_rows

STARTUP_LIMIT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GunicornServer:
    def __init__(self, folder: Path, certs_url: str) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        sheet = folder / "sheet.xlsx"
        shutil.copy(EXAMPLE_SHEET, sheet)
        self.stdout = (folder / "stdout.log").open("w+", encoding="utf-8")
        self.stderr = (folder / "stderr.log").open("w+", encoding="utf-8")
        environ = {
            **os.environ,
            "BRIDGE_AUDIENCE": AUDIENCE,
            "BRIDGE_ALLOWED_DOMAINS": DOMAIN,
            "BRIDGE_CERTS_URL": certs_url,
            "BRIDGE_JOB_STORE": "database",
            "BRIDGE_MAX_BODY_BYTES": "65536",
            "DATABASE_URL": f"sqlite:///{folder / 'bridge.db'}",
            "BRIDGE_TEST_SHEETS": json.dumps({SHEET_ID: str(sheet)}),
            "BRIDGE_TEST_OUTPUT": str(folder),
        }
        command = [
            sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{self.port}", "-w", "2",
            "--threads", "2", "tests.service.gunicorn_app:create_test_app()",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=environ, stdout=self.stdout, stderr=self.stderr
        )
        try:
            self._wait_until_up()
        except BaseException:  # never leave a server running behind a failed start
            self.stop()
            raise

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_LIMIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url + "/healthz", timeout=10).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: " + self.log("stderr"))

    def log(self, name: str) -> str:
        handle = self.stdout if name == "stdout" else self.stderr
        handle.flush()
        return Path(handle.name).read_text(encoding="utf-8")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory, certs_server):
    instance = GunicornServer(tmp_path_factory.mktemp("gunicorn"), certs_server.url + CERTS_PATH)
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def auth(signing_key) -> dict[str, str]:
    return {"Authorization": f"Bearer {signing_key.sign()}", "X-Goog-OAuth-Token": ACCESS_TOKEN}


def test_validation_over_http(server, auth):
    response = requests.post(
        server.url + "/api/v1/validations",
        json={"spreadsheet": SHEET_ID, "as_of": AS_OF, "write": False},
        headers=auth,
        timeout=30,
    )
    assert response.status_code == 202, response.text
    status_url = server.url + response.json()["status_url"]

    # Two gunicorn workers: the polls reach both, and both read the shared jobs table.
    deadline = time.monotonic() + 60
    job = {}
    while time.monotonic() < deadline:
        job = requests.get(status_url, headers=auth, timeout=30).json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert job["state"] == "done", job
    assert job["result"]["summary"]["rows_checked"] == non_blank_rows(EXAMPLE_SHEET)


def test_problem_over_http(server):
    response = requests.post(server.url + "/api/v1/design/check", json={}, timeout=30)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "token-missing"


def test_logs_are_json_without_tokens(server, auth):
    requests.get(server.url + "/healthz", headers={"X-Request-Id": "req-test-0001"}, timeout=30)
    requests.post(server.url + "/api/v1/design/check", json={"design_yaml": "x: ["}, headers=auth)
    stdout = server.log("stdout")
    entries = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert entries
    assert all({"severity", "message", "time"} <= set(entry) for entry in entries)
    assert any(entry.get("request_id") == "req-test-0001" for entry in entries)
    assert any(entry.get("user") == "tanaka@example.co.jp" for entry in entries)
    for text in (stdout, server.log("stderr")):
        assert ACCESS_TOKEN not in text
        assert auth["Authorization"].split()[1] not in text


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(server.url + "/openapi.json")


fuzzed = schemathesis.pytest.from_fixture("api_schema")


@fuzzed.parametrize()
@settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, auth):
    response = case.call(headers=auth, timeout=30)
    case.validate_response(response, checks=[not_a_server_error])
