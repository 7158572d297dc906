"""Read one tab of a Google spreadsheet into a ``SheetTable`` with two API calls.

1. ``spreadsheets.get`` with a field mask: locale, time zone, tabs, merges,
   charts, conditional format rules (the bridge's highlights among them) and
   the developer metadata on columns (which marks managed columns).
2. ``values.get`` of the tab, or ``values:batchGet`` of the tab and the hidden
   state tab when it exists, as UNFORMATTED_VALUE with dates as SERIAL_NUMBER.
   Numbers stay numbers and text stays text ("0123" is not numericised). A
   date is a serial number of days since 1899-12-30 in the spreadsheet's zone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from gspread.http_client import HTTPClient

from bridge.errors import SpreadsheetNotFoundError
from bridge.i18n import normalize_language
from bridge.sheets.google_layout import PreviousMark, SpreadsheetLayout, TabInfo, parse_tabs
from bridge.sheets.local_grid import build_table
from bridge.sheets.managed import BRIDGE_SHEETS, STATE_SHEET
from validators.findings import column_letter
from validators.table import ManagedColumn, SheetTable

logger = logging.getLogger(__name__)

# Google documents that a field mask overrides includeGridData, so asking for
# sheets.data.columnMetadata returns the column metadata without any cells.
# NOTE: checked against the discovery document and the fake only, not the live API.
METADATA_FIELDS = (
    "properties(title,locale,timeZone),"
    "sheets(properties(sheetId,title,index,hidden,gridProperties),merges,charts(chartId),"
    "conditionalFormats,data(startColumn,columnMetadata(developerMetadata)))"
)
VALUE_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}
STATE_HEADERS = ["kind", "sheet", "cell", "note"]


def quote_title(title: str) -> str:
    """Return a tab title quoted for A1 notation: ``'It''s'``."""
    return "'" + title.replace("'", "''") + "'"


def a1_cell(row: int, column: int) -> str:
    """Return the A1 name of a 0-based cell."""
    return f"{column_letter(column + 1)}{row + 1}"


def parse_a1_cell(text: str) -> tuple[int, int] | None:
    """Return the 0-based (row, column) of an A1 cell name, None when malformed."""
    letters = "".join(char for char in text if char.isalpha()).upper()
    digits = text[len(letters) :]
    if not letters or not digits.isdigit() or not text.startswith(letters):
        return None
    column = 0
    for char in letters:
        column = column * 26 + ord(char) - 64
    return int(digits) - 1, column - 1


def fetch_layout(http: HTTPClient, spreadsheet_id: str) -> dict[str, Any]:
    return http.spreadsheets_get(spreadsheet_id, params={"fields": METADATA_FIELDS})


def choose_tab(
    tabs: list[TabInfo],
    spreadsheet_id: str,
    *,
    gid: int | None,
    sheet: str | None,
    design_tab: str | None,
) -> TabInfo:
    """Pick the tab to validate: ``#gid=``, else ``--sheet``, else the design's, else the first.

    "The first" skips hidden tabs and the tabs the bridge writes itself.
    """
    if gid is not None:
        found = next((tab for tab in tabs if tab.sheet_id == gid), None)
        if found is None:
            raise SpreadsheetNotFoundError(spreadsheet_id, f"gid={gid}")
        return found
    if sheet:
        found = next((tab for tab in tabs if tab.title == sheet), None)
        if found is None:
            raise SpreadsheetNotFoundError(spreadsheet_id, sheet)
        return found
    if design_tab:
        found = next((tab for tab in tabs if tab.title == design_tab), None)
        if found is not None:
            return found
    for tab in sorted(tabs, key=lambda tab: tab.index):
        if not tab.hidden and tab.title not in BRIDGE_SHEETS:
            return tab
    raise SpreadsheetNotFoundError(spreadsheet_id, sheet or design_tab or "")


def read_values(
    http: HTTPClient, spreadsheet_id: str, tab: TabInfo, state_tab: TabInfo | None
) -> tuple[list[list[Any]], list[list[Any]]]:
    """Return the cells of ``tab`` and of the state tab (empty when there is none)."""
    if state_tab is None:
        answer = http.values_get(spreadsheet_id, quote_title(tab.title), params=dict(VALUE_PARAMS))
        return answer.get("values", []), []
    ranges = [quote_title(tab.title), quote_title(state_tab.title)]
    answer = http.values_batch_get(spreadsheet_id, ranges, params=dict(VALUE_PARAMS))
    data, state = answer.get("valueRanges", [{}, {}])
    return data.get("values", []), state.get("values", [])


def previous_state(state_rows: list[list[Any]]) -> tuple[list[PreviousMark], set[str]]:
    """Return the highlighted cells and the created tabs that the state tab records.

    Only bridge versions before conditional formatting recorded highlighted cells.
    """
    marks = []
    tabs = set()
    for row in state_rows[1:]:
        kind, sheet, cell = (list(row) + ["", "", ""])[:3]
        if kind == "tab" and sheet:
            tabs.add(str(sheet))
        position = parse_a1_cell(str(cell)) if kind == "mark" and sheet else None
        if position is not None:
            marks.append(PreviousMark(str(sheet), *position))
    return marks, tabs


def fill_vertical_header_merges(grid: list[list[Any]], tab: TabInfo, header_row: int) -> None:
    """Copy the text of a header cell merged down into the header row.

    With a two-row header, a title merged over rows 1 and 2 has its text in
    row 1 only, but the header row (2) needs it. Cells covered by a horizontal
    merge stay blank, so they are reported as blank headers.
    """
    header_index = header_row - 1
    for merge in tab.merges:
        top, bottom = merge.get("startRowIndex", 0), merge.get("endRowIndex", 0)
        column = merge.get("startColumnIndex", 0)
        if not top < header_index < bottom or top >= len(grid):
            continue
        source = grid[top]
        if column >= len(source) or source[column] in (None, ""):
            continue
        while len(grid) <= header_index:
            grid.append([])
        row = grid[header_index]
        row.extend([""] * (column + 1 - len(row)))
        if row[column] in (None, ""):
            row[column] = source[column]


def build_google_table(
    layout: SpreadsheetLayout, grid: list[list[Any]], header_row: int
) -> SheetTable:
    """Turn the values of the data tab into a ``SheetTable``."""
    tab = layout.data_tab
    fill_vertical_header_merges(grid, tab, header_row)
    managed: dict[ManagedColumn, int] = {}
    for index, column in sorted(tab.managed.items()):
        if column in managed:
            logger.warning(
                "Ignored a second marker of %s in spreadsheet %s tab %r",
                column.value,
                layout.spreadsheet_id,
                tab.title,
            )
            continue
        managed[column] = index
    return build_table(
        Path(f"gsheet:{layout.spreadsheet_id}"),
        tab.title,
        grid,
        header_row=header_row,
        managed=managed,
        locale=normalize_language(layout.locale),
        time_zone=layout.time_zone,
        sheet=tab.title,
    )


def layout_from_metadata(
    metadata: dict[str, Any], spreadsheet_id: str, data_tab: TabInfo, tabs: list[TabInfo]
) -> SpreadsheetLayout:
    properties = metadata.get("properties", {})
    return SpreadsheetLayout(
        spreadsheet_id=spreadsheet_id,
        title=properties.get("title", ""),
        locale=properties.get("locale", "ja_JP"),
        time_zone=properties.get("timeZone", "Asia/Tokyo"),
        tabs=tabs,
        data_tab=data_tab,
    )


def state_tab(tabs: list[TabInfo]) -> TabInfo | None:
    return next((tab for tab in tabs if tab.title == STATE_SHEET), None)


def read_spreadsheet(
    http: HTTPClient,
    spreadsheet_id: str,
    *,
    gid: int | None,
    sheet: str | None,
    design_tab: str | None,
    header_row: int,
) -> tuple[SheetTable, SpreadsheetLayout]:
    """Read the chosen tab and return it with what the write-back needs to know."""
    metadata = fetch_layout(http, spreadsheet_id)
    tabs = parse_tabs(metadata)
    tab = choose_tab(tabs, spreadsheet_id, gid=gid, sheet=sheet, design_tab=design_tab)
    layout = layout_from_metadata(metadata, spreadsheet_id, tab, tabs)
    grid, state_rows = read_values(http, spreadsheet_id, tab, state_tab(tabs))
    layout.previous_marks, layout.bridge_tabs = previous_state(state_rows)
    table = build_google_table(layout, grid, header_row)
    logger.info(
        "Read %d rows and %d columns from spreadsheet %s tab %r (locale %s, time zone %s)",
        table.row_count,
        len(table.headers),
        spreadsheet_id,
        tab.title,
        layout.locale,
        layout.time_zone,
    )
    return table, layout
