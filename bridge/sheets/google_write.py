"""Plan the write-back of one run as Sheets API request bodies.

Two calls carry everything, in this order:

1. ``spreadsheets:batchUpdate``: grid growth and new tabs come first, so that
   no later request writes past the grid. Then follow developer metadata marking new
   managed columns, widths and hiding of new managed columns, removal of
   highlights that older versions wrote into cells, the conditional format
   rules of the highlights (``google_highlights``), the frozen header row,
   clearing of the bridge's extra tabs, their row links and charts.
2. ``values:batchUpdate`` with valueInputOption RAW, so nothing is evaluated
   as a formula: managed columns (with the hidden marks column that the
   highlight rules read), headers of new managed columns, extra tabs and the
   hidden state tab. Of the managed columns that exist already, only the rows
   whose values change are sent, so a re-run of an unchanged sheet writes
   none of them.

A body over ``MAX_PAYLOAD_BYTES`` is split into several calls of the same kind,
keeping the order of requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bridge.sheets.google_highlights import (
    highlight_area,
    legacy_marks_elsewhere,
    legacy_undo_requests,
    rule_requests,
    with_marks_column,
)
from bridge.sheets.google_http import encode_json
from bridge.sheets.google_layout import METADATA_KEY, SpreadsheetLayout, TabInfo
from bridge.sheets.google_read import STATE_HEADERS, a1_cell
from bridge.sheets.google_requests import append_dimension, cell_value, value_range
from bridge.sheets.google_tabs import (
    PlacedTab,
    chart_requests,
    extra_tab_values,
    link_requests,
    plan_extra_tabs,
    plan_state_tab,
)
from bridge.sheets.managed import STATE_SHEET, managed_header
from bridge.sheets.writeback import WriteBack, check_writeback, plan_column_positions
from validators.findings import column_letter
from validators.table import ManagedColumn, SheetTable

# Largest request body sent in one call; larger plans are split into more calls.
# Google documents no hard size limit for the Sheets API and recommends 2 MB
# for speed. Bodies above 10 MiB fail with "Request payload size exceeds the
# limit: 10485760 bytes" (reported by API users, not documented). Each extra
# body costs a round trip and a write against the quota of 60 per user per
# minute, so one body carries up to 9 MiB, the results of about 100,000 rows.
MAX_PAYLOAD_BYTES = 9 * 1024 * 1024
COLUMN_WIDTHS = {ManagedColumn.STATUS: 110, ManagedColumn.FINDINGS: 360}
DEFAULT_COLUMN_WIDTH = 120


@dataclass
class WritePlan:
    """Request bodies of one write-back, before splitting."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[ManagedColumn, int] = field(default_factory=dict)


def plan_write(table: SheetTable, layout: SpreadsheetLayout, result: WriteBack) -> WritePlan:
    """Return the requests and value ranges that write ``result`` into the sheet."""
    check_writeback(table, result)
    result = with_marks_column(table, result)
    tab = layout.data_tab
    plan = WritePlan()
    first_free = max([len(table.headers), *(index + 1 for index in table.managed.values())])
    plan.positions = plan_column_positions(table, result.columns, first_free)
    new_columns = {column: index for column, index in plan.positions.items()
                   if column not in table.managed}  # fmt: skip

    needed = max(plan.positions.values(), default=-1) + 1
    if needed > tab.column_count:
        plan.requests.append(append_dimension(tab.sheet_id, "COLUMNS", needed - tab.column_count))
    reserved: set[int] = set()
    placed = plan_extra_tabs(plan.requests, layout, result, reserved)
    state_rows = _state_rows(layout, placed)
    plan_state_tab(plan.requests, layout, len(state_rows) - 1, reserved)

    for column, index in sorted(new_columns.items(), key=lambda item: item[1]):
        plan.requests.append(_metadata_request(tab.sheet_id, index, column))
        width = COLUMN_WIDTHS.get(column, DEFAULT_COLUMN_WIDTH)
        plan.requests.append(
            _column_properties(tab.sheet_id, index, width, column in result.hidden)
        )
    plan.requests.extend(legacy_undo_requests(layout))
    plan.requests.extend(rule_requests(tab, highlight_area(table, tab, plan.positions)))
    if tab.frozen_rows < table.header_row:
        plan.requests.append(_freeze_rows(tab.sheet_id, table.header_row))

    plan.requests.extend(link_requests(result, placed, tab.sheet_id))
    plan.requests.extend(chart_requests(result.charts, placed))

    plan.values.extend(_managed_values(table, tab, result, plan.positions, new_columns))
    plan.values.extend(extra_tab_values(result, placed))
    plan.values.append(value_range(STATE_SHEET, 0, 0, state_rows))
    return plan


def _metadata_request(sheet_id: int, index: int, column: ManagedColumn) -> dict[str, Any]:
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                "metadataKey": METADATA_KEY,
                "metadataValue": column.value,
                "visibility": "DOCUMENT",
                "location": {
                    "dimensionRange": {
                        "sheetId": sheet_id,
                        "dimension": "COLUMNS",
                        "startIndex": index,
                        "endIndex": index + 1,
                    }
                },
            }
        }
    }


def _column_properties(sheet_id: int, index: int, width: int, hidden: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"pixelSize": width}
    fields = "pixelSize"
    if hidden:
        properties["hiddenByUser"] = True
        fields += ",hiddenByUser"
    return {
        "updateDimensionProperties": {
            "range": {"sheetId": sheet_id, "dimension": "COLUMNS",
                      "startIndex": index, "endIndex": index + 1},
            "properties": properties,
            "fields": fields,
        }
    }  # fmt: skip


def _freeze_rows(sheet_id: int, rows: int) -> dict[str, Any]:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": rows}},
            "fields": "gridProperties.frozenRowCount",
        }
    }


def _runs(indices: Iterable[int]) -> list[list[int]]:
    """Group sorted column indices into runs of neighbours: [1, 2, 5] -> [[1, 2], [5]]."""
    runs: list[list[int]] = []
    for index in sorted(indices):
        if runs and runs[-1][-1] + 1 == index:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _managed_values(
    table: SheetTable,
    tab: TabInfo,
    result: WriteBack,
    positions: dict[ManagedColumn, int],
    new_columns: dict[ManagedColumn, int],
) -> list[dict[str, Any]]:
    """Return one value range per run of adjacent managed columns, plus new headers."""
    by_index = {index: column for column, index in positions.items()}
    ranges = []
    for run in _runs(by_index):
        headers = [
            managed_header(by_index[index], result.lang) if by_index[index] in new_columns else None
            for index in run
        ]
        if any(header is not None for header in headers):
            ranges.append(value_range(tab.title, table.header_row - 1, run[0], [headers]))
        if table.row_count:
            columns = [result.columns[by_index[index]] for index in run]
            changed = _changed_rows(table, run, columns)
            rows = [list(cells) for cells in zip(*columns, strict=True)]
            for start, stop in _blocks(changed):
                first_row = table.header_row + start  # 0-based sheet row of data row ``start``
                ranges.append(value_range(tab.title, first_row, run[0], rows[start:stop]))
    return ranges


def _changed_rows(table: SheetTable, run: list[int], columns: list[list[Any]]) -> list[bool]:
    """Return per data row whether any cell of the run would change.

    The managed cells were read with the rest of the tab, so a re-run sends
    only the rows whose status, findings or score moved, and a sheet that
    did not change costs no value write at all.
    """
    changed = [False] * table.row_count
    for index, values in zip(run, columns, strict=True):
        if index not in table.managed.values() or index >= len(table.columns):
            return [True] * table.row_count  # a new column: every row is written
        current = table.columns[index].tolist()
        for position, (old, new) in enumerate(zip(current, values, strict=True)):
            if not changed[position] and _cell_key(old) != _cell_key(new):
                changed[position] = True
    return changed


def _cell_key(value: Any) -> Any:
    """Return what the sheet shows for a value: the read cell and the one to write compare equal."""
    value = cell_value(value)
    if value == "":
        return ""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    return ("text", str(value))


def _blocks(flags: list[bool]) -> list[tuple[int, int]]:
    """Return (start, stop) of each run of True values: [T, T, F, T] -> [(0, 2), (3, 4)]."""
    blocks: list[tuple[int, int]] = []
    start = None
    for position, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = position
        elif not flag and start is not None:
            blocks.append((start, position))
            start = None
    return blocks


def _state_rows(layout: SpreadsheetLayout, placed: dict[str, PlacedTab]) -> list[list[Any]]:
    """Return the state tab's rows: header, one per tab the bridge created.

    A created tab stays recorded while it exists, even in runs that do not
    write it. The highlight records of older versions are kept for the
    other tabs only, until those tabs are validated (see
    ``legacy_undo_requests``).
    """
    rows: list[list[Any]] = [list(STATE_HEADERS)]
    titles = [extra.title for extra in placed.values()]
    titles += sorted(title for title in layout.bridge_tabs
                     if title not in titles and layout.tab(title) is not None)  # fmt: skip
    rows.extend(["tab", title, "", ""] for title in titles)
    for mark in legacy_marks_elsewhere(layout):
        rows.append(["mark", mark.sheet, a1_cell(mark.row, mark.column), ""])
    return rows


# -- splitting -------------------------------------------------------------------


def payload_size(item: Any) -> int:
    return len(encode_json(item))


def splitvalue_range(value_range: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Cut a value range into row blocks whose bodies stay under ``limit`` bytes."""
    if payload_size(value_range) <= limit:
        return [value_range]
    title, _, cells = value_range["range"].rpartition("!")
    start = cells.split(":")[0]
    letters = "".join(char for char in start if char.isalpha())
    first_row = int(start[len(letters) :]) - 1
    first_column = sum((ord(c) - 64) * 26**i for i, c in enumerate(reversed(letters))) - 1
    rows = value_range["values"]
    pieces: list[dict[str, Any]] = []
    block: list[list[Any]] = []
    block_start = 0
    size = 200  # range text and JSON punctuation
    for offset, row in enumerate(rows):
        row_size = payload_size(row) + 1
        if block and size + row_size > limit:
            pieces.append(_raw_range(title, first_row + block_start, first_column, block))
            block, block_start, size = [], offset, 200
        block.append(row)
        size += row_size
    if block:
        pieces.append(_raw_range(title, first_row + block_start, first_column, block))
    return pieces


def _raw_range(title: str, row: int, column: int, rows: list[list[Any]]) -> dict[str, Any]:
    width = max(len(cells) for cells in rows)
    last = f"{column_letter(column + width)}{row + len(rows)}"
    return {"range": f"{title}!{a1_cell(row, column)}:{last}", "majorDimension": "ROWS",
            "values": rows}  # fmt: skip


def chunk(items: list[dict[str, Any]], limit: int, overhead: int = 200) -> list[list[dict]]:
    """Pack ``items`` in order into lists whose JSON stays under ``limit`` bytes.

    An item larger than ``limit`` on its own gets a list of its own.
    """
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = overhead
    for item in items:
        item_size = payload_size(item) + 1
        if current and size + item_size > limit:
            chunks.append(current)
            current, size = [], overhead
        current.append(item)
        size += item_size
    if current:
        chunks.append(current)
    return chunks


def value_bodies(plan: WritePlan, limit: int = MAX_PAYLOAD_BYTES) -> list[dict[str, Any]]:
    """Return the ``values:batchUpdate`` bodies of ``plan``, split to fit ``limit``."""
    pieces = [piece for item in plan.values for piece in splitvalue_range(item, limit - 300)]
    return [{"valueInputOption": "RAW", "data": data} for data in chunk(pieces, limit)]


def request_bodies(plan: WritePlan, limit: int = MAX_PAYLOAD_BYTES) -> list[dict[str, Any]]:
    """Return the ``spreadsheets:batchUpdate`` bodies of ``plan``, split to fit ``limit``."""
    return [{"requests": requests} for requests in chunk(plan.requests, limit)]
