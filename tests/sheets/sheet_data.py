"""Spreadsheet contents for the Google adapter tests, in the form the Sheets API returns.

Dates become serial numbers (days since 1899-12-30), as UNFORMATTED_VALUE with
SERIAL_NUMBER returns them; everything else keeps the type openpyxl read.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_AS_OF = dt.date(2026, 12, 1)
SERIAL_EPOCH = dt.datetime(1899, 12, 30)


def to_serial(value: Any) -> Any:
    """Return a date or datetime as a Sheets serial number; other values unchanged."""
    if isinstance(value, dt.datetime):
        return (value - SERIAL_EPOCH).total_seconds() / 86_400
    if isinstance(value, dt.date):
        return (value - SERIAL_EPOCH.date()).days
    return "" if value is None else value


@cache
def example_rows() -> tuple[tuple[Any, ...], ...]:
    """Return the example deal sheet (header first) as the Sheets API would."""
    workbook = openpyxl.load_workbook(EXAMPLES / "deals.xlsx")
    sheet = workbook["案件一覧"]
    return tuple(tuple(to_serial(v) for v in row) for row in sheet.iter_rows(values_only=True))


@cache
def fault_rows() -> frozenset[int]:
    """Return the sheet rows where the example has a deliberate fault."""
    faults = json.loads((EXAMPLES / "deals.faults.json").read_text(encoding="utf-8"))
    return frozenset(fault["row"] for fault in faults["faults"])


def generated_rows(count: int) -> list[list[Any]]:
    """Return a header and ``count`` data rows copied from the example's rows without faults.

    Each copy gets its own deal id, so the key column stays unique, and no
    corporate number, which the example design marks unique too.
    """
    header, *data = example_rows()
    corporate_number = header.index("法人番号")
    faults = fault_rows()
    clean = [row for number, row in enumerate(data, start=2) if number not in faults and row[0]]
    rows = [list(header)]
    for index in range(count):
        row = list(clean[index % len(clean)])
        row[0] = 100_000 + index
        row[corporate_number] = ""
        rows.append(row)
    return rows
