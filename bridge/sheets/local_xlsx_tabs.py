"""Create, replace and select whole tabs of an .xlsx workbook."""

from __future__ import annotations

import logging
from pathlib import Path

from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bridge.sheets.local_csv import read_csv_grid
from bridge.sheets.local_xlsx_book import write_cell
from bridge.sheets.local_xlsx_charts import add_charts, write_row_link
from bridge.sheets.local_xlsx_state import BridgeState
from bridge.sheets.managed import BRIDGE_SHEETS
from bridge.sheets.writeback import INVALID_SHEET_TITLE, MAX_SHEET_TITLE, RowLink, WriteBack

logger = logging.getLogger(__name__)


def sheet_title_for_csv(stem: str) -> str:
    """Return a valid tab title for the contents of a .csv file named ``stem``."""
    title = INVALID_SHEET_TITLE.sub("_", stem).strip("'")[:MAX_SHEET_TITLE] or "Sheet1"
    if title in BRIDGE_SHEETS:
        title = f"{title} (data)"
    return title


def workbook_from_csv(source: Path, time_zone: str) -> tuple[Workbook, Worksheet]:
    """Return a new workbook with every cell of a .csv file stored as text."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet_title_for_csv(source.stem)
    for row_number, row in enumerate(read_csv_grid(source), start=1):
        for column_number, text in enumerate(row, start=1):
            if text != "":
                write_cell(worksheet.cell(row=row_number, column=column_number), text, time_zone)
    return workbook, worksheet


def extra_sheet_title(workbook: Workbook, name: str, state: BridgeState) -> str:
    """Return the title for the bridge's tab ``name``.

    A tab of that name that the bridge did not create is the user's, so the
    bridge's goes under "<name> (bridge)" instead.
    """
    title = name
    number = 1
    while title in workbook.sheetnames and title not in state.tabs:
        suffix = " (bridge)" if number == 1 else f" (bridge {number})"
        title = name[: MAX_SHEET_TITLE - len(suffix)] + suffix
        number += 1
    if title != name:
        logger.warning("Sheet %r belongs to the user, so the bridge writes %r", name, title)
    return title


def write_extra_sheets(
    workbook: Workbook, data_sheet: Worksheet, result: WriteBack, time_zone: str, state: BridgeState
) -> None:
    """Replace the bridge's own tabs (KPI, to-do lists) and place them after the data tab."""
    titles: dict[str, str] = {}
    for offset, (name, rows) in enumerate(result.extra_sheets.items(), start=1):
        title = extra_sheet_title(workbook, name, state)
        if title in workbook.sheetnames:
            del workbook[title]
        worksheet = workbook.create_sheet(title, workbook.index(data_sheet) + offset)
        for row_number, row in enumerate(rows, start=1):
            for column_number, value in enumerate(row, start=1):
                cell = worksheet.cell(row=row_number, column=column_number)
                if isinstance(value, RowLink):
                    write_row_link(cell, value, data_sheet.title)
                elif value is not None:
                    write_cell(cell, value, time_zone)
        state.tabs.add(title)
        titles[name] = title
    add_charts(workbook, titles, result.charts)


def restore_active_sheet(
    workbook: Workbook, active: Worksheet | None, data_sheet: Worksheet
) -> None:
    """Make ``active`` the open tab again, or the data tab when ``active`` is gone or hidden.

    Deleting and adding tabs shifts openpyxl's index of the active tab, and
    Excel cannot open a workbook whose active tab is hidden.
    """
    if active is None or active.title not in workbook.sheetnames or active.sheet_state != "visible":
        active = data_sheet
    workbook.active = active
    for worksheet in workbook.worksheets:
        worksheet.sheet_view.tabSelected = worksheet is active
