"""Google Sheets' limit on the cells of one spreadsheet, checked before a write.

Google rejects a ``spreadsheets.batchUpdate`` that would take a spreadsheet
past 10 million cells, counting every tab's whole grid, empty cells
included. The write-back adds managed columns to the data tab and may add
or grow the bridge's own tabs, so the adapter counts the grid the planned
requests leave behind and stops before sending anything.
"""

from __future__ import annotations

from typing import Any

from bridge.sheets.google_layout import SpreadsheetLayout

CELL_LIMIT = 10_000_000
DEFAULT_ROWS, DEFAULT_COLUMNS = 1000, 26  # grid of a tab added without gridProperties


def grid_cells(layout: SpreadsheetLayout) -> int:
    """Return the cells of every tab's grid, as Google counts them for its limit."""
    return sum(tab.row_count * tab.column_count for tab in layout.tabs)


def grid_cells_after(layout: SpreadsheetLayout, requests: list[dict[str, Any]]) -> int:
    """Return the cells of the spreadsheet once ``requests`` added and grew their tabs."""
    grids = {tab.sheet_id: [tab.row_count, tab.column_count] for tab in layout.tabs}
    for request in requests:
        if "addSheet" in request:
            properties = request["addSheet"]["properties"]
            grid = properties.get("gridProperties", {})
            grids[properties["sheetId"]] = [
                grid.get("rowCount", DEFAULT_ROWS),
                grid.get("columnCount", DEFAULT_COLUMNS),
            ]
        elif "appendDimension" in request:
            spec = request["appendDimension"]
            axis = 0 if spec["dimension"] == "ROWS" else 1
            grids[spec["sheetId"]][axis] += spec["length"]
    return sum(rows * columns for rows, columns in grids.values())
