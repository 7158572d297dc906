"""Read one tab of an .xlsx workbook into a ``SheetTable``."""

from __future__ import annotations

import logging
from pathlib import Path

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bridge.errors import NoDataSheetError, SheetNotFoundError
from bridge.sheets.local_grid import build_table
from bridge.sheets.local_xlsx_book import open_workbook, parse_column_reference
from bridge.sheets.local_xlsx_state import load_state
from bridge.sheets.managed import BRIDGE_SHEETS, column_for_defined_name
from validators.table import ManagedColumn, SheetTable

logger = logging.getLogger(__name__)


def select_sheet(workbook: Workbook, path: Path, sheet: str | None) -> Worksheet:
    """Return the tab named ``sheet``, or else the first visible tab the bridge did not write."""
    if sheet is not None:
        if sheet not in workbook.sheetnames or not isinstance(workbook[sheet], Worksheet):
            raise SheetNotFoundError(path, sheet, workbook.sheetnames)
        return workbook[sheet]

    # Tabs the bridge made under another title ("KPI (bridge)") are skipped too.
    bridge_tabs = BRIDGE_SHEETS | load_state(workbook).tabs
    for worksheet in workbook.worksheets:
        if worksheet.sheet_state == "visible" and worksheet.title not in bridge_tabs:
            return worksheet
    raise NoDataSheetError(path, workbook.sheetnames)


def find_managed_by_name(workbook: Workbook, worksheet: Worksheet) -> dict[ManagedColumn, int]:
    """Return the managed columns of ``worksheet`` found by ``_bridge_*`` defined names.

    Excel moves a defined name with its column, so the name follows the column
    when the user inserts or moves columns. Names scoped to the sheet win over
    workbook-wide names. A name that no longer points to one column of this
    sheet (for example "#REF!" after the column was deleted) is ignored.
    """
    found: dict[ManagedColumn, int] = {}
    for names in (workbook.defined_names, worksheet.defined_names):
        for name, definition in names.items():
            column = column_for_defined_name(name)
            if column is None:
                continue
            target = parse_column_reference(definition.attr_text or "")
            if target is None or target[0] != worksheet.title:
                logger.debug("Ignored defined name %s -> %s", name, definition.attr_text)
                continue
            found[column] = target[1] - 1
    return drop_shared_columns(found, worksheet.title)


def drop_shared_columns(found: dict[ManagedColumn, int], title: str) -> dict[ManagedColumn, int]:
    """Keep only the first managed column, in display order, of names that share a column."""
    unique: dict[ManagedColumn, int] = {}
    for column in ManagedColumn:
        index = found.get(column)
        if index is None:
            continue
        if index in unique.values():
            logger.warning(
                "Ignored marker of %s in %s: its column already has another marker",
                column.value,
                title,
            )
            continue
        unique[column] = index
    return unique


def read_xlsx_table(
    path: Path, *, sheet: str | None, header_row: int, locale: str, time_zone: str
) -> SheetTable:
    """Read the cached values of one tab of an .xlsx workbook.

    Cells keep openpyxl's types: str, int, float, bool, datetime (also for
    date-only cells), time, timedelta, and error values such as "#REF!" as
    strings. Merged cells hold their value in the top-left cell only.
    """
    # NOTE: a formula in a file that Excel never recalculated (e.g. one written
    # by a script) has no cached value and reads as None.
    workbook = open_workbook(path, data_only=True)
    worksheet = select_sheet(workbook, path, sheet)
    table = build_table(
        path,
        worksheet.title,
        worksheet.iter_rows(values_only=True),
        header_row=header_row,
        managed=find_managed_by_name(workbook, worksheet),
        locale=locale,
        time_zone=time_zone,
        sheet=worksheet.title,
    )
    logger.info(
        "Read %d rows and %d columns from %s, sheet %r",
        table.row_count,
        len(table.headers),
        path,
        worksheet.title,
    )
    return table
