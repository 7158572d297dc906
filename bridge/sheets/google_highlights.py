r"""Highlight cells with findings in Google Sheets by conditional formatting.

The bridge never writes a user cell's format or note. Instead, the hidden
managed column ``ManagedColumn.MARKS`` holds one text per data row that
names the cells to highlight, for example ``|3e|7w|``: each entry is the
1-based column number of a user cell (what ``COLUMN()`` returns, so column
C is 3), then ``e`` for an error or ``w`` for a warning, closed by ``|``.
A cell with both errors and warnings is an error cell.

Two conditional format rules on the data tab, one per severity, read that
column in the same row, for example with the marks in column AF:

    =REGEXMATCH($AF2,"\|"&COLUMN(A2)&"e\|")

The rule's range covers the user columns from the first data row to the
last row of the grid, and the formula is written for its top-left cell
(A2). ``$AF2`` is absolute in its column and relative in its row, and
``A2`` is relative in both, so every cell of the range reads its own row's
marks and matches its own column number. A conditional format is drawn
over the cell's own background and never changes it, so removing or
changing the rule brings the user's format back. When the user inserts or
deletes rows, the marks move with their rows. Google Sheets is expected to
adjust the rule's range and references as it does for cell formulas; this
is not checked against the live API, only against the fake Sheets API,
which simulates a row insertion that way.

NOTE: the column numbers in the marks are absolute. After the user inserts
or deletes a column inside the data, the highlights right of it sit one
column off until the next run rewrites the marks.

Each run recognises its own rules by their formula among the rules that
``spreadsheets.get`` returned (``TabInfo.conditional_formats``). It adds a
missing rule, updates one whose range or formula no longer fits the tab,
deletes duplicates (pasting copied cells may copy a rule) and never
changes any other rule. All of it goes into the write's one ``spreadsheets:batchUpdate``.

Notes are not written in Google Sheets. A cell has one note, so the
bridge's note would replace the user's, and a later run could not remove it
without reading every note of the tab (a ``spreadsheets.get`` with grid
data, as large as the sheet) to tell the bridge's text from a note the user
wrote or edited since. The findings column and the add-on's sidebar show
every message of a row.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bridge.sheets.google_layout import PreviousMark, SpreadsheetLayout, TabInfo
from bridge.sheets.writeback import CellMark, WriteBack
from validators.findings import column_letter
from validators.table import ManagedColumn, SheetTable

logger = logging.getLogger(__name__)

SEVERITY_CODES = {"error": "e", "warning": "w"}
HIGHLIGHT_COLOURS = {
    "error": {"red": 1.0, "green": 0.78, "blue": 0.81},  # light red
    "warning": {"red": 1.0, "green": 0.92, "blue": 0.61},  # light yellow
}
# Fields that bridge versions before conditional formatting wrote into user cells.
LEGACY_MARK_FIELDS = "note,userEnteredFormat.backgroundColor"

# A rule of the bridge, recognised after removing whitespace. The marks reference
# and the cell reference are not checked here, because Google rewrites them (to
# #REF! when their column is deleted) and such a rule must still be found to be
# repaired.
_RULE_FORMULA = re.compile(
    r'=REGEXMATCH\((?P<marks>[^,]*),"\\\|"&COLUMN\((?P<cell>[^()]*)\)&"(?P<code>[ew])\\\|"\)',
    re.IGNORECASE,
)
_SEVERITY_BY_CODE = {code: severity for severity, code in SEVERITY_CODES.items()}


@dataclass(frozen=True)
class HighlightArea:
    """The cells that the highlight rules format and the column of the marks, 0-based."""

    sheet_id: int
    first_row: int  # the first data row
    end_row: int  # exclusive: the tab's row count
    end_column: int  # exclusive: right of the last user column
    marks_column: int


def marks_texts(row_count: int, marks: list[CellMark]) -> list[str]:
    """Return the marks column's text per data row, "" for a row without marks."""
    by_row: dict[int, dict[int, str]] = {}
    for mark in marks:
        cells = by_row.setdefault(mark.row_position, {})
        if cells.get(mark.column_index) != "error":
            cells[mark.column_index] = mark.severity
    texts = [""] * row_count
    for position, cells in by_row.items():
        entries = [f"{index + 1}{SEVERITY_CODES[cells[index]]}|" for index in sorted(cells)]
        texts[position] = "|" + "".join(entries)
    return texts


def with_marks_column(table: SheetTable, result: WriteBack) -> WriteBack:
    """Return ``result`` with the hidden marks column added, for Google Sheets only."""
    columns = {**result.columns, ManagedColumn.MARKS: marks_texts(table.row_count, result.marks)}
    return dataclasses.replace(
        result, columns=columns, hidden=result.hidden | {ManagedColumn.MARKS}
    )


def highlight_area(
    table: SheetTable, tab: TabInfo, positions: dict[ManagedColumn, int]
) -> HighlightArea | None:
    """Return the area of the highlight rules, or None when the tab has no user cells below the header."""
    managed = set(positions.values()) | set(table.managed.values())
    user_columns = [index for index in range(len(table.headers)) if index not in managed]
    first_row = table.header_row  # the header's 1-based number is the data's 0-based index
    if not user_columns or tab.row_count <= first_row:
        return None
    return HighlightArea(
        sheet_id=tab.sheet_id,
        first_row=first_row,
        end_row=tab.row_count,
        end_column=max(user_columns) + 1,
        marks_column=positions[ManagedColumn.MARKS],
    )


def highlight_formula(severity: str, area: HighlightArea) -> str:
    """Return the custom formula of the rule for ``severity``, written for the area's top-left cell."""
    row = area.first_row + 1
    marks = f"${column_letter(area.marks_column + 1)}{row}"
    cell = f"{column_letter(1)}{row}"
    return f'=REGEXMATCH({marks},"\\|"&COLUMN({cell})&"{SEVERITY_CODES[severity]}\\|")'


def highlight_rule(severity: str, area: HighlightArea) -> dict[str, Any]:
    """Return the ConditionalFormatRule that colours the cells marked with ``severity``."""
    grid_range = {
        "sheetId": area.sheet_id,
        "startRowIndex": area.first_row,
        "endRowIndex": area.end_row,
        "startColumnIndex": 0,
        "endColumnIndex": area.end_column,
    }
    condition = {
        "type": "CUSTOM_FORMULA",
        "values": [{"userEnteredValue": highlight_formula(severity, area)}],
    }
    return {
        "ranges": [grid_range],
        "booleanRule": {
            "condition": condition,
            "format": {"backgroundColor": HIGHLIGHT_COLOURS[severity]},
        },
    }


def bridge_rule_severity(rule: dict[str, Any]) -> str | None:
    """Return the severity of a rule that the bridge wrote, None for any other rule."""
    formula = _formula(rule)
    found = _RULE_FORMULA.fullmatch(formula) if formula is not None else None
    return _SEVERITY_BY_CODE[found["code"].lower()] if found else None


def rule_requests(tab: TabInfo, area: HighlightArea | None) -> list[dict[str, Any]]:
    """Return the requests that bring the bridge's rules on ``tab`` up to date.

    Duplicates are deleted from the highest index down, then rules are
    updated in place, then missing rules are added at the top, where they
    win over the user's rules. Each index is the rule's index in
    ``tab.conditional_formats`` minus the deletions before it in the batch.
    """
    if area is None:
        return []
    first_index: dict[str, int] = {}  # severity -> index of the rule kept
    duplicates: list[int] = []
    for index, rule in enumerate(tab.conditional_formats):
        severity = bridge_rule_severity(rule)
        if severity is None:
            continue
        if severity in first_index:
            duplicates.append(index)
        else:
            first_index[severity] = index

    requests: list[dict[str, Any]] = [
        {"deleteConditionalFormatRule": {"sheetId": tab.sheet_id, "index": index}}
        for index in reversed(duplicates)
    ]
    for severity, index in first_index.items():
        rule = highlight_rule(severity, area)
        if _same_rule(tab.conditional_formats[index], rule):
            continue
        index -= sum(1 for duplicate in duplicates if duplicate < index)
        update = {"sheetId": tab.sheet_id, "index": index, "rule": rule}
        requests.append({"updateConditionalFormatRule": update})
    for severity in reversed(SEVERITY_CODES):
        if severity not in first_index:
            rule = highlight_rule(severity, area)
            requests.append({"addConditionalFormatRule": {"rule": rule, "index": 0}})
    if requests:
        logger.debug("Planned %d highlight rule requests on tab %r", len(requests), tab.title)
    return requests


def _formula(rule: dict[str, Any]) -> str | None:
    condition = rule.get("booleanRule", {}).get("condition", {})
    values = condition.get("values", [])
    if condition.get("type") != "CUSTOM_FORMULA" or len(values) != 1:
        return None
    formula = values[0].get("userEnteredValue")
    return "".join(formula.split()) if isinstance(formula, str) else None


def _grid_key(grid_range: dict[str, Any]) -> tuple[int, int, int | None, int, int | None]:
    # A field that is 0 may be missing from a response (proto3 JSON leaves out defaults).
    return (
        grid_range.get("sheetId", 0),
        grid_range.get("startRowIndex", 0),
        grid_range.get("endRowIndex"),
        grid_range.get("startColumnIndex", 0),
        grid_range.get("endColumnIndex"),
    )


def _same_rule(current: dict[str, Any], planned: dict[str, Any]) -> bool:
    """Return True when ``current`` has the planned ranges and formula.

    The format is not compared, because a response may give a colour in
    another form than the request (rounded, or as a colour style).
    """
    current_formula, planned_formula = _formula(current), _formula(planned)
    if current_formula is None or planned_formula is None:
        return False
    current_ranges = [_grid_key(item) for item in current.get("ranges", [])]
    planned_ranges = [_grid_key(item) for item in planned["ranges"]]
    return current_formula.upper() == planned_formula.upper() and current_ranges == planned_ranges


def legacy_undo_requests(layout: SpreadsheetLayout) -> Iterator[dict[str, Any]]:
    """Remove the background and note that older versions set on cells of the data tab.

    Versions before conditional formatting highlighted a cell by setting its
    background and note and recorded the cell in the state tab. Each record
    of the data tab inside the grid is undone once, because this version
    writes no such records.

    NOTE: those versions never read the cell's format before highlighting
    it, so the undo also removes a background or note that the user set on
    that cell. A record also points at the wrong cell after the user
    inserted or deleted rows above it or columns left of it.
    """
    tab = layout.data_tab
    for previous in layout.previous_marks:
        if previous.sheet != tab.title:
            continue
        if previous.row < tab.row_count and previous.column < tab.column_count:
            yield {
                "updateCells": {
                    "start": {
                        "sheetId": tab.sheet_id,
                        "rowIndex": previous.row,
                        "columnIndex": previous.column,
                    },
                    "rows": [{"values": [{}]}],
                    "fields": LEGACY_MARK_FIELDS,
                }
            }


def legacy_marks_elsewhere(layout: SpreadsheetLayout) -> list[PreviousMark]:
    """Return the older versions' records of other tabs, kept until those tabs are validated."""
    return [mark for mark in layout.previous_marks if mark.sheet != layout.data_tab.title]
