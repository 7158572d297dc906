"""Errors as application/problem+json, in Japanese or English."""

from __future__ import annotations

import io

import pytest

from bridge.app import create_app
from bridge.web.problems import PROBLEM_BASE, PROBLEMS
from tests.service.conftest import SHEET_ID, wait_for_job

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance", "request_id"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= PROBLEM_KEYS
    assert body["type"] == PROBLEM_BASE + code
    assert body["code"] == code
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body


def test_japanese_is_default(client):
    body = assert_problem(client.post("/api/v1/validations", json={}), 401, "token-missing")
    assert body["title"] == "サインインが必要です"
    assert "Google ID トークン" in body["detail"]


def test_accept_language_english(client):
    response = client.post("/api/v1/validations", headers={"Accept-Language": "en-US,en;q=0.9"})
    body = assert_problem(response, 401, "token-missing")
    assert body["title"] == "Sign-in required"
    assert response.headers["Content-Language"] == "en"


def test_body_lang_wins_over_accept_language(client, headers):
    response = client.post(
        "/api/v1/validations",
        json={"spreadsheet": "not a sheet", "lang": "en"},
        headers={**headers, "Accept-Language": "ja"},
    )
    body = assert_problem(response, 422, "source-not-supported")
    assert body["detail"].startswith("not a sheet is not a Google Sheets URL")


def test_not_found_and_method_not_allowed(client):
    body = assert_problem(client.get("/nowhere"), 404, "not-found")
    assert "/nowhere" in body["detail"]
    response = client.get("/api/v1/validations")
    body = assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("payload", "field", "english"),
    [
        ({}, "spreadsheet", "the field is required."),
        (
            {"spreadsheet": SHEET_ID, "as_of": "2024/13/01"},
            "as_of",
            "write the date as 2024-04-01.",
        ),
        ({"spreadsheet": SHEET_ID, "lang": "fr"}, "lang", "the value must be one of: "),
        ({"spreadsheet": SHEET_ID, "colour": 1}, "colour", "the field is not part of this request"),
    ],
)
def test_invalid_field_is_422(client, headers, payload, field, english):
    response = client.post(
        "/api/v1/validations", json=payload, headers={**headers, "Accept-Language": "en"}
    )
    body = assert_problem(response, 422, "invalid-request")
    assert body["errors"][0]["field"] == field
    assert english in body["errors"][0]["message"]
    assert field in body["detail"]


def test_invalid_field_in_japanese(client, headers):
    response = client.post("/api/v1/validations", json={}, headers=headers)
    body = assert_problem(response, 422, "invalid-request")
    assert body["errors"][0]["message"] == "この項目は必須です。"


def test_body_not_json_is_415(client, headers):
    response = client.post("/api/v1/validations", data="spreadsheet=x", headers=headers)
    assert_problem(response, 415, "unsupported-media-type")


def test_broken_json_is_422(client, headers):
    response = client.post(
        "/api/v1/validations",
        data="{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422, "invalid-request")
    assert "(body)" in body["detail"]
    assert "JSON" in body["detail"]


def test_body_over_limit_is_413(client, headers):
    design = "x" * (64 * 1024 + 1)
    response = client.post(
        "/api/v1/design/check",
        json={"design_yaml": design, "lang": "en"},
        headers={**headers, "Accept-Language": "en"},
    )
    body = assert_problem(response, 413, "request-too-large")
    assert str(64 * 1024) in body["detail"]


def test_row_limit_fails_job_with_422(settings, sheets, headers):
    app = create_app({**settings, "max_rows": 50, "TESTING": True, "SHEET_OPENER": sheets})
    client = app.test_client()
    response = client.post(
        "/api/v1/validations", json={"spreadsheet": SHEET_ID, "lang": "en"}, headers=headers
    )
    job = wait_for_job(client, response.get_json()["status_url"], headers)
    assert job["state"] == "failed"
    error = job["error"]
    assert error["status"] == 422
    assert error["code"] == "too-many-rows"
    assert "案件一覧" in error["detail"]
    assert "at most 50" in error["detail"]
    assert sheets.output(SHEET_ID).exists() is False


def test_invalid_design_fails_job(client, headers):
    response = client.post(
        "/api/v1/validations",
        json={"spreadsheet": SHEET_ID, "design_yaml": "properties: [", "lang": "en"},
        headers=headers,
    )
    job = wait_for_job(client, response.get_json()["status_url"], headers)
    assert job["error"]["code"] == "design-invalid"
    assert "not valid YAML" in job["error"]["detail"]


def test_crash_is_500_without_traceback(app, client, headers):
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/explode", "explode", explode)
    response = client.get("/api/v1/explode", headers=headers)
    body = assert_problem(response, 500, "internal-error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["request_id"] in body["detail"]


def test_kpi_period_backwards_is_422(client, headers):
    response = client.post(
        "/api/v1/kpis",
        json={"spreadsheet": SHEET_ID, "period": "2026-03-31..2025-04-01", "lang": "en"},
        headers=headers,
    )
    body = assert_problem(response, 422, "invalid-request")
    assert body["errors"][0]["field"] == "period"
    assert "start before it ends" in body["detail"]


def test_every_problem_has_japanese_title(app):
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        from bridge.web.problems import problem_document

        for code in PROBLEMS:
            document = problem_document(code, "ja", message="m", service="s")
            english = problem_document(code, "en", message="m", service="s")
            assert document["title"] != english["title"], code


def test_design_check(client, headers):
    from bridge.validation import EXAMPLE_DESIGN

    text = EXAMPLE_DESIGN.read_text(encoding="utf-8")
    body = client.post("/api/v1/design/check", json={"design_yaml": text}, headers=headers)
    assert body.status_code == 200
    result = body.get_json()
    assert result["valid"] is True
    assert result["pipelines"] == text.count("\n  - id: ") or result["pipelines"] >= 1

    broken = text.replace("type: number", "type: nummber", 1)
    result = client.post(
        "/api/v1/design/check", json={"design_yaml": broken, "lang": "en"}, headers=headers
    ).get_json()
    assert result["valid"] is False
    assert "nummber" in result["problems"][0]["message"]
    assert result["problems"][0]["line"] is not None


@pytest.mark.parametrize("spreadsheet", ["0" * 2000, "abc\x00def", "../../etc/passwd"])
def test_unusable_spreadsheet_is_422(client, headers, spreadsheet):
    response = client.post(
        "/api/v1/validations", json={"spreadsheet": spreadsheet}, headers=headers
    )
    assert_problem(response, 422, "source-not-supported")


def test_unknown_lang_falls_back_to_japanese(client, headers):
    response = client.post("/api/v1/validations", json={"lang": "fr"}, headers=headers)
    body = assert_problem(response, 422, "invalid-request")
    assert response.headers["Content-Language"] == "ja"
    assert body["errors"][0]["message"] == "この項目は必須です。"


def test_invalid_json_lists_body_error(client, headers):
    response = client.post(
        "/api/v1/validations",
        data='{"spreadsheet": ',
        headers={**headers, "Content-Type": "application/json", "Accept-Language": "en"},
    )
    body = assert_problem(response, 422, "invalid-request")
    assert body["errors"] == [
        {"field": "(body)", "code": "json_invalid", "message": "the body is not valid JSON."}
    ]


def test_chunked_body_over_limit_is_413(client, headers, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"spreadsheet": "' + b"x" * limit + b'"}'
    # A chunked body has no Content-Length; the server marks its end instead.
    response = client.post(
        "/api/v1/validations",
        input_stream=io.BytesIO(body),
        headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_problem(response, 413, "request-too-large")
