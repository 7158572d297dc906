"""Structured logs: JSON fields, request ids, and no token anywhere."""

from __future__ import annotations

import io
import json
import logging
import sys

from bridge.logging_setup import (
    JsonFormatter,
    RedactTokens,
    configure_logging,
    log_context,
    redact,
)
from tests.service.conftest import ACCESS_TOKEN, SHEET_ID, wait_for_job


def json_handler() -> tuple[logging.Handler, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(project="test-project"))
    handler.addFilter(RedactTokens())
    return handler, stream


def test_json_line_has_context():
    handler, stream = json_handler()
    logger = logging.getLogger("bridge.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with log_context(request_id="r1", user="a@example.co.jp", job_id="j1", trace="abc"):
            logger.info("validated %s rows", 12)
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["severity"] == "INFO"
    assert entry["message"] == "validated 12 rows"
    assert entry["request_id"] == "r1"
    assert entry["user"] == "a@example.co.jp"
    assert entry["job_id"] == "j1"
    assert entry["logging.googleapis.com/trace"] == "projects/test-project/traces/abc"


def test_redact_tokens():
    jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    text = redact(f"Authorization: Bearer abc.def token={ACCESS_TOKEN} id={jwt_like}")
    assert ACCESS_TOKEN not in text
    assert jwt_like not in text
    assert "abc.def" not in text
    assert text.count("[redacted]") == 3


def test_filter_redacts_arguments_and_exceptions():
    handler, stream = json_handler()
    logger = logging.getLogger("bridge.test.redact")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad token {ACCESS_TOKEN}")
        except ValueError:
            logger.exception("call failed with %s", ACCESS_TOKEN)
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert ACCESS_TOKEN not in output
    assert "[redacted]" in json.loads(output)["exception"]


def test_service_logs_hold_no_token(client, headers, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.post("/api/v1/validations", json={"spreadsheet": SHEET_ID}, headers=headers)
    wait_for_job(client, response.get_json()["status_url"], headers)
    client.post("/api/v1/validations", json={}, headers={"Authorization": "Bearer broken.x.y"})
    id_token = headers["Authorization"].split()[1]
    assert caplog.records
    for record in caplog.records:
        message = record.getMessage()
        assert ACCESS_TOKEN not in message
        assert id_token not in message
        assert "broken.x.y" not in message


def test_json_logging_drops_plain_stderr_handler(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # handlers and level restored after the test
    monkeypatch.setattr(root, "level", root.level)
    plain = logging.StreamHandler(sys.stderr)
    root.addHandler(plain)

    configure_logging()

    assert plain not in root.handlers
    assert [type(handler.formatter) for handler in root.handlers] == [JsonFormatter]
