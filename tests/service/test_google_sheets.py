"""The service with its default Google Sheets adapter, against the fake Sheets API."""

from __future__ import annotations

import pytest

from bridge.app import create_app
from bridge.sheets import retry
from tests.fakes.sheets import FakeSheetsServer
from tests.service.conftest import ACCESS_TOKEN, wait_for_job
from tests.service.sheet_files import EXAMPLE_SHEET
from tests.service.test_jobs import AS_OF, non_blank_rows
from tests.sheets.sheet_data import example_rows

SPREADSHEET_ID = "1GoogleSheetAbcdefghijklmnopqrstuvwxyz01"
TAB = "案件一覧"


@pytest.fixture
def fake_sheets(monkeypatch):
    server = FakeSheetsServer().start()
    monkeypatch.setenv("BRIDGE_SHEETS_API_URL", server.url)
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)
    try:
        yield server.api
        assert server.api.violations == []
    finally:
        server.stop()


@pytest.fixture
def google_app(settings, fake_sheets):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, ACCESS_TOKEN)
    spreadsheet.add_sheet(TAB, [list(row) for row in example_rows()])
    return create_app({**settings, "TESTING": True})


def test_validation_writes_google_sheet(google_app, fake_sheets, headers):
    client = google_app.test_client()
    url = f"https://docs.google.com/spreadsheets/d/{SPREADSHEET_ID}/edit#gid=0"
    response = client.post(
        "/api/v1/validations", json={"spreadsheet": url, "as_of": AS_OF}, headers=headers
    )
    assert response.status_code == 202, response.get_json()
    job = wait_for_job(client, response.get_json()["status_url"], headers)
    assert job["state"] == "done", job

    assert job["result"]["summary"]["rows_checked"] == non_blank_rows(EXAMPLE_SHEET)
    assert fake_sheets.calls["spreadsheets.values.batchUpdate"] == 1
    assert fake_sheets.calls["spreadsheets.batchUpdate"] == 1
    width = len(example_rows()[0])
    sheet = fake_sheets.spreadsheets[SPREADSHEET_ID].sheet(TAB)
    assert len(sheet.grid()[0]) > width


def test_foreign_users_token_is_denied(google_app, fake_sheets, signing_key):
    client = google_app.test_client()
    stranger = {
        "Authorization": f"Bearer {signing_key.sign()}",
        "X-Goog-OAuth-Token": "ya29.someone-without-access",
    }
    response = client.post(
        "/api/v1/validations", json={"spreadsheet": SPREADSHEET_ID}, headers=stranger
    )
    job = wait_for_job(client, response.get_json()["status_url"], stranger)
    assert job["state"] == "failed"
    assert job["error"]["code"] == "sheet-access-denied"
    assert job["error"]["status"] == 403
