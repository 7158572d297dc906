"""Recognising Google Sheets sources among SOURCE arguments."""

from __future__ import annotations

import pytest

from bridge.sheets.google import GoogleSheet
from bridge.sheets.google_source import GoogleSource, parse_google_source
from bridge.sources import LocalSheet, open_source

ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (f"https://docs.google.com/spreadsheets/d/{ID}/edit#gid=123", GoogleSource(ID, 123)),
        (f"https://docs.google.com/spreadsheets/d/{ID}/edit?gid=7#gid=7", GoogleSource(ID, 7)),
        (f"https://docs.google.com/spreadsheets/d/{ID}/edit", GoogleSource(ID)),
        (f"https://docs.google.com/spreadsheets/d/{ID}", GoogleSource(ID)),
        (f"gsheet:{ID}", GoogleSource(ID)),
        ("gsheet:short-id", GoogleSource("short-id")),
        (ID, GoogleSource(ID)),
        ("deals.xlsx", None),
        ("examples/deals.xlsx", None),
        ("https://example.com/spreadsheets/d/abc", None),
    ],
)
def test_parse_source(source, expected):
    assert parse_google_source(source) == expected


def test_open_source_picks_adapter():
    google = open_source(f"https://docs.google.com/spreadsheets/d/{ID}/edit#gid=5")
    assert isinstance(google, GoogleSheet)
    assert (google.spreadsheet_id, google.gid) == (ID, 5)
    assert isinstance(open_source("examples/deals.xlsx"), LocalSheet)
