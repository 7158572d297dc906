"""Recognise Google Sheets sources: URLs, ``gsheet:ID`` and bare spreadsheet ids."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_URL = re.compile(r"^https://docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]+)(?:[/?#].*)?$")
_GID = re.compile(r"[#?&]gid=(\d+)")
_BARE_ID = re.compile(r"^[A-Za-z0-9_-]{25,}$")
_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class GoogleSource:
    """A spreadsheet id and, from ``#gid=N``, the id of one tab."""

    spreadsheet_id: str
    gid: int | None = None


def parse_google_source(source: str) -> GoogleSource | None:
    """Return the spreadsheet a SOURCE argument names, or None for a local path.

    Accepted: ``https://docs.google.com/spreadsheets/d/ID/edit#gid=N`` (the
    gid selects the tab), ``gsheet:ID`` and a bare id of 25 or more letters,
    digits, ``-`` and ``_`` that is not an existing file.
    """
    text = source.strip()
    match = _URL.match(text)
    if match:
        gid = _GID.search(text)
        return GoogleSource(match[1], int(gid[1]) if gid else None)
    if text.startswith("gsheet:"):
        spreadsheet_id = text.removeprefix("gsheet:")
        return GoogleSource(spreadsheet_id) if _ID.match(spreadsheet_id) else None
    if _BARE_ID.match(text) and not Path(text).exists():
        return GoogleSource(text)
    return None
