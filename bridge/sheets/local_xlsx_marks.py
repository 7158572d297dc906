"""Highlight cells with problems in an .xlsx tab, and undo the previous run's highlights.

An error cell gets a red fill and a warning cell a yellow one, both with a
note (comment) by the author "bridge". Each run first undoes the highlights
recorded by the previous run, but only on cells whose fill is still the
bridge's, and removes only comments whose author and text are still the
bridge's. A fill or comment the user set is never changed.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet.worksheet import Worksheet

from bridge.sheets.local_xlsx_book import MAX_CELL_TEXT, writable_cell
from bridge.sheets.local_xlsx_state import BridgeState, MarkRecord, fill_from_text, fill_to_text
from bridge.sheets.writeback import CellMark
from validators.table import SheetTable

logger = logging.getLogger(__name__)

COMMENT_AUTHOR = "bridge"
# The fills of Excel's conditional formatting presets "Light Red Fill" and "Yellow Fill".
FILL_COLOURS = {"error": "FFFFC7CE", "warning": "FFFFEB9C"}
# Comment box size in pixels. A line of 240 px holds about 20 full-width
# characters (an estimate for Excel's default note font).
COMMENT_WIDTH = 240
COMMENT_CHARACTERS_PER_LINE = 20
COMMENT_LINE_HEIGHT = 15
COMMENT_MAX_HEIGHT = 300


def bridge_fill(severity: str) -> PatternFill:
    """Return the solid fill the bridge uses for ``severity``."""
    colour = FILL_COLOURS[severity]
    return PatternFill(fill_type="solid", fgColor=colour, bgColor=colour)


def has_bridge_fill(cell: Cell) -> bool:
    """Return True when the cell's fill is one of the bridge's highlight fills."""
    # cell.fill is a read-only proxy, so check the pattern attributes, not the class.
    fill = cell.fill
    if getattr(fill, "fill_type", None) != "solid":
        return False
    colour = fill.fgColor
    return colour is not None and colour.type == "rgb" and colour.rgb in FILL_COLOURS.values()


def has_bridge_comment(cell: Cell) -> bool:
    """Return True when the cell's comment was written by the bridge."""
    return cell.comment is not None and cell.comment.author == COMMENT_AUTHOR


def undo_recorded_mark(worksheet: Worksheet, record: MarkRecord) -> None:
    """Restore the fill and remove the note of one recorded mark, where still the bridge's."""
    try:
        row, column = coordinate_to_tuple(record.cell)
    except ValueError:
        logger.warning("Ignored a highlight record with the invalid cell %r", record.cell)
        return
    cell = writable_cell(worksheet, row, column)
    if cell is None:
        return
    if has_bridge_fill(cell):
        cell.fill = fill_from_text(record.previous_fill)
    if record.note and has_bridge_comment(cell) and cell.comment.text == record.note:
        cell.comment = None


def undo_unrecorded_marks(worksheet: Worksheet, recorded: set[str]) -> None:
    """Remove bridge notes, and the bridge fill beside them, from cells missing in the records.

    A highlighted cell moves when the user inserts or deletes rows or columns,
    so its record no longer names it. Its fill before the highlight is not
    known there, so the cell gets no fill.
    """
    # NOTE: a highlighted cell that had a user fill and was then moved loses
    # that fill here. Moved cells with no bridge note keep a stale highlight.
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.coordinate in recorded or not has_bridge_comment(cell):
                continue
            cell.comment = None
            if has_bridge_fill(cell):
                cell.fill = PatternFill()
            logger.debug("Removed a moved highlight at %s!%s", worksheet.title, cell.coordinate)


def group_marks(marks: list[CellMark]) -> dict[tuple[int, int], tuple[str, str]]:
    """Return (severity, note) per (row_position, column_index), errors winning over warnings."""
    grouped: dict[tuple[int, int], list[CellMark]] = defaultdict(list)
    for mark in marks:
        grouped[(mark.row_position, mark.column_index)].append(mark)

    combined: dict[tuple[int, int], tuple[str, str]] = {}
    for position, cell_marks in grouped.items():
        severity = "error" if any(mark.severity == "error" for mark in cell_marks) else "warning"
        note = "\n".join(mark.note for mark in cell_marks)
        combined[position] = (severity, note)
    return combined


def new_comment(note: str) -> Comment:
    """Return a bridge comment sized to its text."""
    text = note if len(note) <= MAX_CELL_TEXT else note[: MAX_CELL_TEXT - 1] + "…"
    lines = sum(1 + len(line) // COMMENT_CHARACTERS_PER_LINE for line in text.split("\n"))
    height = min(COMMENT_MAX_HEIGHT, COMMENT_LINE_HEIGHT * (lines + 1))
    return Comment(text, COMMENT_AUTHOR, height=height, width=COMMENT_WIDTH)


def mark_cell(cell: Cell, severity: str, note: str) -> MarkRecord:
    """Highlight one cell and return the record that undoes it.

    A cell that already has a comment of the user's keeps it, and the note is
    then only in the findings column.
    """
    previous_fill = fill_to_text(cell.fill)
    cell.fill = bridge_fill(severity)
    written_note = ""
    if cell.comment is None:
        cell.comment = new_comment(note)
        written_note = cell.comment.text
    return MarkRecord(cell.parent.title, cell.coordinate, written_note, previous_fill)


def update_marks(
    worksheet: Worksheet, table: SheetTable, marks: list[CellMark], state: BridgeState
) -> None:
    """Replace the previous run's highlights on ``worksheet`` by ``marks`` and update ``state``."""
    previous = [record for record in state.marks if record.sheet == worksheet.title]
    for record in previous:
        undo_recorded_mark(worksheet, record)
    undo_unrecorded_marks(worksheet, {record.cell for record in previous})

    records: list[MarkRecord] = []
    for (position, column_index), (severity, note) in group_marks(marks).items():
        cell = writable_cell(worksheet, table.sheet_row(position), column_index + 1)
        if cell is not None:
            records.append(mark_cell(cell, severity, note))

    others = [record for record in state.marks if record.sheet != worksheet.title]
    state.marks = others + records
    logger.info("Highlighted %d cells in sheet %r", len(records), worksheet.title)
