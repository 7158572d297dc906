"""Google ID token checks: 401 for bad tokens, 403 for foreign domains and sheets."""

from __future__ import annotations

import time

import pytest

from bridge.app import create_app
from tests.service.conftest import ACCESS_TOKEN, SHEET_ID
from tests.service.keys import AUDIENCE

BODY = {"spreadsheet": SHEET_ID, "lang": "en"}


def post(client, token: str | None, access_token: str | None = ACCESS_TOKEN, **extra):
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if access_token:
        headers["X-Goog-OAuth-Token"] = access_token
    return client.post("/api/v1/validations", json=BODY, headers=headers, **extra)


def test_valid_token_starts_job(client, signing_key):
    response = post(client, signing_key.sign())
    assert response.status_code == 202
    assert response.get_json()["state"] == "queued"


def test_missing_token_is_401(client):
    response = post(client, None)
    assert response.status_code == 401
    assert response.get_json()["code"] == "token-missing"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_non_bearer_scheme_is_401(client, signing_key):
    response = client.post(
        "/api/v1/validations", json=BODY, headers={"Authorization": "Basic dXNlcjpwdw=="}
    )
    assert response.status_code == 401
    assert response.get_json()["code"] == "token-missing"


def test_expired_token_is_401(client, signing_key):
    past = int(time.time()) - 7200
    response = post(client, signing_key.sign(iat=past, exp=past + 3600))
    assert response.status_code == 401
    assert response.get_json()["code"] == "token-expired"


def test_wrong_audience_is_401(client, signing_key):
    response = post(client, signing_key.sign(aud="someone-else.apps.googleusercontent.com"))
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == "token-invalid"
    assert "audience" in body["detail"]


def test_forged_signature_is_401(client, foreign_key):
    response = post(client, foreign_key.sign())
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == "token-invalid"
    assert "signature" in body["detail"]


def test_malformed_token_is_401(client):
    response = post(client, "not-a-jwt")
    assert response.status_code == 401
    assert response.get_json()["code"] == "token-invalid"


def test_foreign_issuer_is_401(client, signing_key):
    response = post(client, signing_key.sign(iss="https://evil.example"))
    assert response.status_code == 401
    assert response.get_json()["code"] == "token-invalid"


def test_unverified_email_is_401(client, signing_key):
    response = post(client, signing_key.sign(email_verified=False))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "user@gmail.com", "hd": None}, 403),
        ({"email": "user@other.co.jp", "hd": "other.co.jp"}, 403),
        ({"email": "sato@example.co.jp", "hd": None}, 202),
        ({"email": "SATO@EXAMPLE.CO.JP", "hd": None}, 202),
    ],
)
def test_domain_allow_list(client, signing_key, claims, expected):
    response = post(client, signing_key.sign(**claims))
    assert response.status_code == expected
    if expected == 403:
        body = response.get_json()
        assert body["code"] == "domain-not-allowed"
        assert claims["email"] in body["detail"]


def test_service_account_mode_rejects_unlisted_sheet(client, signing_key):
    response = post(client, signing_key.sign(), access_token=None)
    assert response.status_code == 403
    body = response.get_json()
    assert body["code"] == "spreadsheet-not-allowed"
    assert SHEET_ID in body["detail"]


def test_service_account_mode_allows_listed_sheet(settings, sheets, signing_key):
    app = create_app(
        {**settings, "service_account_sheets": (SHEET_ID,), "TESTING": True, "SHEET_OPENER": sheets}
    )
    response = post(app.test_client(), signing_key.sign(), access_token=None)
    assert response.status_code == 202


def test_certificates_fetched_once(settings, sheets, signing_key, certs_server):
    app = create_app({**settings, "TESTING": True, "SHEET_OPENER": sheets})
    client = app.test_client()
    before = len(certs_server.requests)
    for _ in range(3):
        assert post(client, signing_key.sign()).status_code == 202
    assert len(certs_server.requests) - before == 1


def test_unreachable_certs_is_503(settings, sheets, signing_key):
    app = create_app(
        {
            **settings,
            "certs_url": "http://127.0.0.1:9/oauth2/v1/certs",
            "TESTING": True,
            "SHEET_OPENER": sheets,
        }
    )
    response = post(app.test_client(), signing_key.sign())
    assert response.status_code == 503
    assert response.get_json()["code"] == "service-unavailable"


def test_health_and_openapi_need_no_token(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_audience_is_required():
    with pytest.raises(ValueError, match="audience|BRIDGE_AUDIENCE"):
        create_app({"TESTING": True})


def test_audience_constant_matches_settings(settings):
    assert settings["audience"] == AUDIENCE


def test_token_reason_in_japanese(client, signing_key):
    token = signing_key.sign(aud="someone-else.apps.googleusercontent.com")
    response = client.post(
        "/api/v1/validations",
        json={"spreadsheet": "x"},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "ja"},
    )
    detail = response.get_json()["detail"]
    assert "対象（audience）が違います" in detail
    assert "wrong audience" not in detail
