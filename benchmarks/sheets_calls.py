"""Sheets API calls per validation, counted on the fake Sheets API.

The fake (``tests.fakes.sheets``) serves a spreadsheet filled with a
generated sheet on 127.0.0.1. The Google adapter reads it, the engine
validates it and the adapter writes the managed columns and the
highlighting rules back, exactly as ``bridge validate`` does. The first run adds
the managed columns and the second finds them again by developer metadata,
so both are counted. The OAuth token endpoint is not counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks.generate import AS_OF, SERIAL_EPOCH, generate, parse_size
from benchmarks.validation import example_design
from bridge.sheets.google import GoogleSheet
from bridge.sheets.google_auth import user_credentials
from bridge.validation import build_writeback
from tests.fakes.sheets import FakeSheetsApi, FakeSheetsServer
from validators.engine import validate

TOKEN = "ya29.benchmark-token"
SPREADSHEET_ID = "1BenchmarkSpreadsheetId0123456789abcdefgh"
MAX_CALLS = 4


@dataclass
class CallCount:
    rows: int
    first_run: int  # adds the managed columns
    second_run: int  # finds them by developer metadata
    by_method: dict[str, int]  # calls of the second run per API method
    largest_body: int  # bytes of the largest request body of the first run


@contextmanager
def fake_sheets_api() -> Iterator[FakeSheetsApi]:
    """Run the fake Sheets API and point the adapter at it for the duration."""
    server = FakeSheetsServer().start()
    previous = os.environ.get("BRIDGE_SHEETS_API_URL")
    os.environ["BRIDGE_SHEETS_API_URL"] = server.url
    try:
        yield server.api
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("BRIDGE_SHEETS_API_URL", None)
        else:
            os.environ["BRIDGE_SHEETS_API_URL"] = previous


def _as_read_from_google(cell: Any) -> Any:
    """Return a cell as the Sheets API returns it unformatted: dates as serial numbers."""
    if isinstance(cell, dt.date):
        return (cell - SERIAL_EPOCH).days
    return cell


def count_calls(rows: int, *, seed: int = 7) -> CallCount:
    sheet = generate(rows, seed=seed)
    design = example_design()
    grid = [sheet.table.headers] + [
        list(map(_as_read_from_google, row)) for row in sheet.table.rows
    ]
    counts = []
    largest = 0
    with fake_sheets_api() as api:
        spreadsheet = api.add_spreadsheet(SPREADSHEET_ID, TOKEN)
        spreadsheet.add_sheet(design.sheet.tab or sheet.table.title, grid)
        for _ in range(2):
            api.calls.clear()
            api.body_sizes.clear()
            adapter = GoogleSheet(SPREADSHEET_ID, credentials=user_credentials(TOKEN))
            table = adapter.read(design)
            result = validate(table, design, AS_OF)
            adapter.write(table, build_writeback(result, "ja"))
            counts.append(api.api_calls())
            largest = largest or max(api.body_sizes)
        if api.refused_sizes:
            raise RuntimeError(f"request bodies rejected as too large: {api.refused_sizes}")
        if api.violations:
            raise RuntimeError(f"requests outside the Sheets discovery document: {api.violations}")
        by_method = {method: count for method, count in api.calls.items() if method != "token"}
    return CallCount(rows, counts[0], counts[1], by_method, largest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Count Sheets API calls per validation.")
    parser.add_argument("--sizes", default="1k,10k", help="comma-separated row counts")
    args = parser.parse_args(argv)
    for size in args.sizes.split(","):
        count = count_calls(parse_size(size))
        print(f"{count.rows:>8} rows  first run {count.first_run} calls  "
              f"second run {count.second_run} calls  "
              f"largest body {count.largest_body / 2**20:.1f} MiB  {count.by_method}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
