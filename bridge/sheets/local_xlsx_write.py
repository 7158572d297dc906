"""Write a run's results into an .xlsx workbook without changing any user cell."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.dimensions import ColumnDimension
from openpyxl.worksheet.worksheet import Worksheet

from bridge.errors import SheetNotFoundError
from bridge.sheets.local_paths import replace_atomically
from bridge.sheets.local_xlsx_book import (
    column_reference,
    open_workbook,
    parse_column_reference,
    writable_cell,
    write_cell,
)
from bridge.sheets.local_xlsx_marks import update_marks
from bridge.sheets.local_xlsx_state import load_state, save_state
from bridge.sheets.local_xlsx_tabs import restore_active_sheet, write_extra_sheets
from bridge.sheets.managed import defined_name, managed_header
from bridge.sheets.writeback import WriteBack, plan_column_positions
from validators.table import ManagedColumn, SheetTable

logger = logging.getLogger(__name__)

# Light blue header fill that sets the bridge's columns apart from the user's.
MANAGED_HEADER_FILL = PatternFill(fill_type="solid", fgColor="FFDDEBF7", bgColor="FFDDEBF7")

# Widths, in Excel's character units, given to managed columns when they are added.
COLUMN_WIDTHS: dict[ManagedColumn, float] = {
    ManagedColumn.STATUS: 14,
    ManagedColumn.FINDINGS: 60,
    ManagedColumn.SCORE: 8,
    ManagedColumn.GRADE: 8,
    ManagedColumn.STAGE_ENTERED: 14,
    ManagedColumn.STAGE_SEEN: 16,
    ManagedColumn.HUBSPOT_ID: 14,
    ManagedColumn.SYNC_STATUS: 14,
    ManagedColumn.LAST_SYNCED_AT: 20,
    ManagedColumn.CONTENT_HASH: 20,
    ManagedColumn.ROW_KEY: 20,
}


def open_data_sheet(source: Path, title: str) -> tuple[Workbook, Worksheet]:
    """Load the source workbook with its formulas, and its tab ``title``."""
    workbook = open_workbook(source, data_only=False)
    if title not in workbook.sheetnames or not isinstance(workbook[title], Worksheet):
        raise SheetNotFoundError(source, title, workbook.sheetnames)
    return workbook, workbook[title]


def first_free_column(worksheet: Worksheet, table: SheetTable) -> int:
    """Return the 0-based index of the first column right of everything at or below the header.

    The formulas are checked here too, because a formula that Excel never
    calculated reads as empty in the table. Merged ranges count as used.
    """
    last = len(table.headers)
    for row in worksheet.iter_rows(min_row=table.header_row):
        for cell in reversed(row):
            if cell.column <= last:
                break
            if cell.value is not None:
                last = cell.column
                break
    for merged in worksheet.merged_cells.ranges:
        if merged.max_row >= table.header_row:
            last = max(last, merged.max_col)
    return last


def write_managed_columns(
    worksheet: Worksheet, table: SheetTable, result: WriteBack, positions: dict[ManagedColumn, int]
) -> None:
    """Write the header and the values of each managed column in ``result``."""
    for column, values in result.columns.items():
        number = positions[column] + 1
        header = writable_cell(worksheet, table.header_row, number)
        if header is not None:
            write_cell(header, managed_header(column, result.lang), table.time_zone)
            header.fill = copy.copy(MANAGED_HEADER_FILL)

        for position, value in enumerate(values):
            cell = writable_cell(worksheet, table.sheet_row(position), number)
            if cell is not None:
                write_cell(cell, value, table.time_zone)

        # Rows below the data are empty in every user column, so a value left
        # in the managed column there is stale output of an earlier run.
        stale_from = table.sheet_row(len(values))
        for (cell,) in worksheet.iter_rows(min_row=stale_from, min_col=number, max_col=number):
            if cell.value is not None:
                cell.value = None


def mark_managed_columns(
    workbook: Workbook, worksheet: Worksheet, positions: dict[ManagedColumn, int]
) -> None:
    """Point the hidden ``_bridge_<id>`` name of each managed column at its whole column.

    The names are scoped to the sheet, so other tabs of the workbook can have
    managed columns of their own. A workbook-wide name that marked a column of
    this sheet is replaced by the sheet's own.
    """
    # NOTE: openpyxl 3.1.5 numbers sheet-scoped names by worksheet, skipping
    # chart sheets, so in a workbook with chart sheets before the data tab the
    # names land on another tab after saving.
    for column, index in positions.items():
        name = defined_name(column)
        workbook_name = workbook.defined_names.get(name)
        if workbook_name is not None:
            target = parse_column_reference(workbook_name.attr_text or "")
            if target is not None and target[0] == worksheet.title:
                del workbook.defined_names[name]
        reference = column_reference(worksheet.title, index + 1)
        worksheet.defined_names[name] = DefinedName(name, attr_text=reference, hidden=True)


def single_column_dimension(worksheet: Worksheet, number: int) -> ColumnDimension:
    """Return the width settings of column ``number`` alone, splitting a range that covers it.

    openpyxl keeps a <col min max> range as one entry, and an entry added for
    one column inside it would overlap the range, which Excel reports as a
    damaged file.
    """
    dimensions = worksheet.column_dimensions
    for key, dimension in list(dimensions.items()):
        dimension.reindex()
        if dimension.min == dimension.max or not dimension.min <= number <= dimension.max:
            continue
        del dimensions[key]
        pieces = [(dimension.min, number - 1), (number, number), (number + 1, dimension.max)]
        for first, last in pieces:
            if first > last:
                continue
            piece = copy.copy(dimension)
            piece.index = get_column_letter(first)
            piece.min, piece.max = first, last
            dimensions[piece.index] = piece
    return dimensions[get_column_letter(number)]


def format_managed_columns(
    worksheet: Worksheet,
    table: SheetTable,
    positions: dict[ManagedColumn, int],
    hidden: set[ManagedColumn],
) -> None:
    """Give added managed columns a width, and hide the columns listed in ``hidden``.

    Columns the sheet already had keep the width the user may have set.
    """
    for column, index in positions.items():
        if column not in table.managed:
            single_column_dimension(worksheet, index + 1).width = COLUMN_WIDTHS[column]
    for column in hidden:
        index = positions.get(column, table.managed.get(column))
        if index is not None:
            single_column_dimension(worksheet, index + 1).hidden = True


def freeze_header_row(worksheet: Worksheet, header_row: int) -> None:
    """Freeze the rows down to the header, unless the user froze panes already."""
    if worksheet.freeze_panes is None:
        worksheet.freeze_panes = f"A{header_row + 1}"


def apply_writeback(
    workbook: Workbook, worksheet: Worksheet, table: SheetTable, result: WriteBack
) -> None:
    """Write managed columns, markers, highlights and extra tabs into ``worksheet``'s workbook."""
    active = workbook.active
    state = load_state(workbook)

    positions = plan_column_positions(table, result.columns, first_free_column(worksheet, table))
    write_managed_columns(worksheet, table, result, positions)
    mark_managed_columns(workbook, worksheet, positions)
    format_managed_columns(worksheet, table, positions, result.hidden)
    freeze_header_row(worksheet, table.header_row)

    update_marks(worksheet, table, result.marks, state)
    write_extra_sheets(workbook, worksheet, result, table.time_zone, state)
    save_state(workbook, state)
    restore_active_sheet(workbook, active, worksheet)

    # openpyxl saves formulas without their cached results, so Excel must
    # recalculate them when it opens the file.
    workbook.calculation.fullCalcOnLoad = True


def save_workbook(workbook: Workbook, output: Path) -> None:
    """Save ``workbook`` to ``output`` through a temporary file."""
    replace_atomically(output, workbook.save)
