"""Builders of single Sheets API requests and value ranges, shared by the writers."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from bridge.sheets.google_layout import TabInfo
from bridge.sheets.google_read import a1_cell, quote_title

MAX_CELL_TEXT = 50_000  # max characters in one Sheets cell


def cell_value(value: Any) -> Any:
    """Return ``value`` as a JSON cell for RAW input; "" clears the cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | int | float | str):
        return value[:MAX_CELL_TEXT] if isinstance(value, str) else value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return cell_value(value.item())
    return str(value)[:MAX_CELL_TEXT]


def append_dimension(sheet_id: int, dimension: str, length: int) -> dict[str, Any]:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}


def add_sheet(sheet_id: int, title: str, rows: int, columns: int, hidden: bool) -> dict:
    properties: dict[str, Any] = {
        "sheetId": sheet_id,
        "title": title,
        "gridProperties": {"rowCount": max(rows, 1), "columnCount": max(columns, 1)},
    }
    if hidden:
        properties["hidden"] = True
    return {"addSheet": {"properties": properties}}


def clear_tab(sheet_id: int) -> dict[str, Any]:
    return {"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue"}}


def grow_tab(requests: list[dict[str, Any]], tab: TabInfo, rows: int, columns: int) -> None:
    """Append rows and columns so that ``tab`` has at least ``rows`` x ``columns``."""
    if rows > tab.row_count:
        requests.append(append_dimension(tab.sheet_id, "ROWS", rows - tab.row_count))
    if columns > tab.column_count:
        requests.append(append_dimension(tab.sheet_id, "COLUMNS", columns - tab.column_count))


def value_range(title: str, row: int, column: int, rows: list[list[Any]]) -> dict[str, Any]:
    """Return a RAW value range whose top-left cell is the 0-based (row, column)."""
    width = max((len(cells) for cells in rows), default=1) or 1
    last = a1_cell(row + len(rows) - 1, column + width - 1)
    return {
        "range": f"{quote_title(title)}!{a1_cell(row, column)}:{last}",
        "majorDimension": "ROWS",
        "values": [[cell_value(value) for value in cells] for cells in rows],
    }
