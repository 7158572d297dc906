"""The hidden ``_bridge`` tab: which cells the bridge highlighted and which tabs it made.

The tab lets a later run undo only the bridge's own highlighting and replace
only the bridge's own tabs. One record a row: kind, sheet, cell, note and
previous fill. A "mark" record names a highlighted cell, the comment text the
bridge added ("" when the cell kept a comment of the user's) and the cell's
fill before the bridge changed it, as <fill> XML. A "tab" record names a tab
that the bridge created.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.styles.fills import Fill
from openpyxl.workbook.workbook import Workbook
from openpyxl.xml.functions import fromstring, tostring

from bridge.sheets.managed import STATE_SHEET

STATE_HEADERS = ["kind", "sheet", "cell", "note", "previous_fill"]


@dataclass(frozen=True, slots=True)
class MarkRecord:
    """A cell the bridge highlighted, with what it needs to undo the highlight."""

    sheet: str
    cell: str  # A1 coordinate
    note: str  # comment text the bridge added, "" when it added none
    previous_fill: str  # <fill> XML of the cell before the bridge highlighted it


@dataclass
class BridgeState:
    """Contents of the hidden state tab."""

    marks: list[MarkRecord] = field(default_factory=list)
    tabs: set[str] = field(default_factory=set)


def fill_to_text(fill: Fill) -> str:
    """Return a fill as <fill> XML text."""
    return tostring(fill.to_tree()).decode("utf-8")


def fill_from_text(text: str) -> Fill:
    """Return the fill stored by ``fill_to_text``."""
    return Fill.from_tree(fromstring(text))


def load_state(workbook: Workbook) -> BridgeState:
    """Return the records of the state tab, empty when the workbook has none."""
    state = BridgeState()
    if STATE_SHEET not in workbook.sheetnames:
        return state

    for row in workbook[STATE_SHEET].iter_rows(min_row=2, values_only=True):
        kind, sheet, cell, note, previous_fill = (tuple(row) + (None,) * 5)[:5]
        if kind == "mark" and sheet and cell and previous_fill:
            state.marks.append(
                MarkRecord(str(sheet), str(cell), str(note or ""), str(previous_fill))
            )
        elif kind == "tab" and sheet:
            state.tabs.add(str(sheet))
    return state


def save_state(workbook: Workbook, state: BridgeState) -> None:
    """Replace the state tab with ``state``, dropping records of tabs that are gone.

    The tab is "veryHidden": Excel's Unhide menu does not list it.
    """
    if STATE_SHEET in workbook.sheetnames:
        del workbook[STATE_SHEET]
    existing = set(workbook.sheetnames)

    worksheet = workbook.create_sheet(STATE_SHEET)
    worksheet.sheet_state = "veryHidden"
    worksheet.append(STATE_HEADERS)
    for record in state.marks:
        if record.sheet in existing:
            worksheet.append(["mark", record.sheet, record.cell, record.note, record.previous_fill])
    for title in sorted(state.tabs & existing):
        worksheet.append(["tab", title, None, None, None])

    # Titles, notes and fill XML are data, never formulas.
    for row in worksheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
