"""Fixtures for the Google Sheets adapter: a fake Sheets API on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.sheets import retry
from bridge.sheets.google import GoogleSheet
from bridge.sheets.google_auth import user_credentials
from tests.fakes.sheets import FakeSheetsApi, FakeSheetsServer

TOKEN = "ya29.test-user-token-7f3c"  # looks like a Google access token; must never leak
SPREADSHEET_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


@pytest.fixture
def fake_sheets(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheetsApi]:
    """A running fake Sheets API; the adapter and CLI are pointed at it, waits skipped."""
    server = FakeSheetsServer().start()
    monkeypatch.setenv("BRIDGE_SHEETS_API_URL", server.url)
    sleeps: list[float] = []
    monkeypatch.setattr(retry, "sleep", sleeps.append)
    server.api.sleeps = sleeps  # type: ignore[attr-defined]
    server.api.url = server.url  # type: ignore[attr-defined]
    try:
        yield server.api
        assert server.api.violations == [], "requests outside the discovery document"
    finally:
        server.stop()


def open_sheet(api: FakeSheetsApi, **options) -> GoogleSheet:
    return GoogleSheet(SPREADSHEET_ID, credentials=user_credentials(TOKEN), **options)
