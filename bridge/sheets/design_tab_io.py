"""Read and write the design tab of a Google spreadsheet or a local .xlsx workbook."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import yaml

from bridge.errors import (
    DesignFileError,
    NoTabsError,
    OutputNotWritableError,
    SheetNotFoundError,
    SourceNotFoundError,
    SpreadsheetNotFoundError,
    UnsupportedFileError,
)
from bridge.reasons import os_reason
from bridge.sheets import design_tab_messages  # noqa: F401 - registers the problem texts
from bridge.sheets.design_tab import (
    DESIGN_TAB_TITLES,
    DesignTabError,
    design_to_rows,
    problem_row,
    rows_to_design,
)
from bridge.sheets.google import GoogleSheet
from bridge.sheets.google_layout import parse_tabs
from bridge.sheets.google_read import VALUE_PARAMS, quote_title
from bridge.sheets.google_requests import add_sheet, clear_tab, grow_tab, value_range
from bridge.sheets.google_source import parse_google_source
from validators.design import Design
from validators.design_file import DesignError, DesignProblem, load_design_data

logger = logging.getLogger(__name__)

TAB_FIELDS = "sheets(properties(sheetId,title,index,hidden,gridProperties))"


def pick_tab(titles: list[str], tab: str | None) -> str | None:
    """Return ``tab``, else the first of 設計 / Design present in ``titles``."""
    if tab:
        return tab if tab in titles else None
    return next((title for title in DESIGN_TAB_TITLES if title in titles), None)


def read_design_rows(source: str, tab: str | None = None) -> tuple[list[list[Any]], str]:
    """Return the design tab's rows and a label naming it, for messages."""
    google = parse_google_source(source)
    if google is not None:
        return _read_google(GoogleSheet(google.spreadsheet_id), tab)
    return _read_xlsx(_xlsx_path(source), tab)


def write_design_rows(source: str, rows: list[list[Any]], tab: str | None = None) -> str:
    """Replace (or create) the design tab with ``rows``; return a label naming it."""
    google = parse_google_source(source)
    if google is not None:
        return _write_google(GoogleSheet(google.spreadsheet_id), rows, tab)
    return _write_xlsx(_xlsx_path(source), rows, tab)


def load_design_rows(rows: list[list[Any]], label: str) -> tuple[Design, dict[str, Any]]:
    """Validate the tab's rows like a design file; problems carry the tab's row numbers.

    Raises DesignFileError with the same problem codes and texts as a YAML file.
    """
    try:
        data, where = rows_to_design(rows)
    except DesignTabError as error:
        problem = DesignProblem(f"[{label}]", error.row, error.code, error.params)
        raise DesignFileError(Path(label), [problem]) from None
    try:
        return load_design_data(data, label), data
    except DesignError as error:
        problems = [replace(p, line=problem_row(p.key, where)) for p in error.problems]
        raise DesignFileError(Path(label), problems) from None


def design_file_rows(path: Path) -> list[list[Any]]:
    """Return the tab rows of a YAML design file, which must be valid."""
    data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    return design_to_rows(data)


def _xlsx_path(source: str) -> Path:
    path = Path(source)
    if path.suffix.lower() == ".csv":
        raise NoTabsError(path, (".xlsx",))
    if path.suffix.lower() != ".xlsx":
        raise UnsupportedFileError(path, (".xlsx",))
    if not path.exists():
        raise SourceNotFoundError(path)
    return path


def _read_google(sheet: GoogleSheet, tab: str | None) -> tuple[list[list[Any]], str]:
    metadata = sheet.call(
        lambda http: http.spreadsheets_get(sheet.spreadsheet_id, params={"fields": TAB_FIELDS})
    )
    title = pick_tab([t.title for t in parse_tabs(metadata)], tab)
    if title is None:
        raise SpreadsheetNotFoundError(sheet.spreadsheet_id, tab or DESIGN_TAB_TITLES[0])
    answer = sheet.call(
        lambda http: http.values_get(
            sheet.spreadsheet_id, quote_title(title), params=dict(VALUE_PARAMS)
        )
    )
    return answer.get("values", []), f"gsheet:{sheet.spreadsheet_id} {title}"


def _write_google(sheet: GoogleSheet, rows: list[list[Any]], tab: str | None) -> str:
    metadata = sheet.call(
        lambda http: http.spreadsheets_get(sheet.spreadsheet_id, params={"fields": TAB_FIELDS})
    )
    tabs = parse_tabs(metadata)
    title = tab or pick_tab([t.title for t in tabs], None) or DESIGN_TAB_TITLES[0]
    existing = next((t for t in tabs if t.title == title), None)
    width = max((len(row) for row in rows), default=1)
    requests: list[dict[str, Any]] = []
    if existing is None:
        used = {t.sheet_id for t in tabs}
        sheet_id = max(used, default=0) + 1
        requests.append(add_sheet(sheet_id, title, len(rows), max(width, 26), False))
    else:
        grow_tab(requests, existing, len(rows), width)
        requests.append(clear_tab(existing.sheet_id))
    body = {"valueInputOption": "RAW", "data": [value_range(title, 0, 0, rows)]}
    sheet.call(lambda http: http.batch_update(sheet.spreadsheet_id, {"requests": requests}))
    sheet.call(lambda http: http.values_batch_update(sheet.spreadsheet_id, body))
    logger.info(
        "Wrote %d design rows to spreadsheet %s tab %r", len(rows), sheet.spreadsheet_id, title
    )
    return f"{sheet.url} {title}"


def _read_xlsx(path: Path, tab: str | None) -> tuple[list[list[Any]], str]:
    workbook = openpyxl.load_workbook(path, data_only=True, read_only=True)
    title = pick_tab(workbook.sheetnames, tab)
    if title is None:
        raise SheetNotFoundError(path, tab or DESIGN_TAB_TITLES[0], list(workbook.sheetnames))
    rows = [list(row) for row in workbook[title].iter_rows(values_only=True)]
    workbook.close()
    return rows, f"{path} {title}"


def _write_xlsx(path: Path, rows: list[list[Any]], tab: str | None) -> str:
    workbook = openpyxl.load_workbook(path)
    title = tab or pick_tab(workbook.sheetnames, None) or DESIGN_TAB_TITLES[0]
    if title in workbook.sheetnames:
        index = workbook.sheetnames.index(title)
        del workbook[title]
        worksheet = workbook.create_sheet(title, index)
    else:
        worksheet = workbook.create_sheet(title)
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = worksheet.cell(row=row_number, column=column_number, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text such as "=x" stays text, never a formula
    try:
        workbook.save(path)
    except OSError as error:
        raise OutputNotWritableError(path, os_reason(error)) from None
    return f"{path} {title}"
