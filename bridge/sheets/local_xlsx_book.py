"""Open .xlsx workbooks and read and write single cells of them."""

from __future__ import annotations

import logging
import math
import re
import warnings
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bridge.errors import UnreadableFileError
from bridge.reasons import NOT_A_WORKBOOK, Reason

logger = logging.getLogger(__name__)

# Excel stores at most this many characters in one cell.
MAX_CELL_TEXT = 32_767

# Errors openpyxl raises on files that are not valid .xlsx: a renamed text file
# or an encrypted workbook (BadZipFile), a zip without workbook parts (KeyError),
# broken XML (SyntaxError, which lxml's and ElementTree's parse errors subclass).
_LOAD_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    SyntaxError,
    EOFError,
    OSError,
)

# A reference to one column of one sheet, as in 'Deals'!$E:$E or Deals!$E$1:$E$500.
_COLUMN_REFERENCE = re.compile(
    r"^(?:'(?P<quoted>(?:[^']|'')+)'|(?P<plain>[^'!]+))!"
    r"\$?(?P<first>[A-Za-z]{1,3})\$?\d*:\$?(?P<last>[A-Za-z]{1,3})\$?\d*$"
)


def open_workbook(path: Path, *, data_only: bool) -> Workbook:
    """Load an .xlsx file, raising UnreadableFileError when it is not a valid workbook.

    With ``data_only`` the cells hold the values Excel cached for formulas.
    Without it they hold the formulas, and rich text keeps its formatting so
    that saving the workbook again leaves user cells as they were.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            workbook = openpyxl.load_workbook(path, data_only=data_only, rich_text=not data_only)
        except _LOAD_ERRORS as error:
            logger.debug("openpyxl failed to load %s", path, exc_info=True)
            raise UnreadableFileError(path, Reason(NOT_A_WORKBOOK)) from error

    # openpyxl warns about parts it drops on load, e.g. data validation extensions.
    for warning in caught:
        logger.warning("%s: %s", path, warning.message)
    return workbook


def parse_column_reference(reference: str) -> tuple[str, int] | None:
    """Return (sheet title, 1-based column) of a one-column reference, else None."""
    match = _COLUMN_REFERENCE.match(reference.strip())
    if match is None:
        return None
    first, last = match.group("first").upper(), match.group("last").upper()
    if first != last:
        return None
    title = match.group("quoted")
    title = title.replace("''", "'") if title is not None else match.group("plain")
    return title, column_index_from_string(first)


def column_reference(title: str, column: int) -> str:
    """Return the absolute reference to a whole column, e.g. 'Deals'!$E:$E."""
    letter = openpyxl.utils.get_column_letter(column)
    quoted = title.replace("'", "''")
    return f"'{quoted}'!${letter}:${letter}"


def excel_value(value: Any, time_zone: str) -> Any:
    """Return ``value`` in a form Excel can store.

    Excel has no time zones, so aware datetimes become wall-clock time in
    ``time_zone``. Text loses the control characters that XML forbids and is
    cut to Excel's cell limit. NaN and infinity become text.
    """
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(ZoneInfo(time_zone)).replace(tzinfo=None)
    if isinstance(value, time) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(text) > MAX_CELL_TEXT:
            logger.warning(
                "Cut a value of %d characters to Excel's limit of %d", len(text), MAX_CELL_TEXT
            )
            text = text[: MAX_CELL_TEXT - 1] + "…"
        return text
    if value is None or isinstance(value, int | float | Decimal | date | time):
        return value
    return str(value)


def write_cell(cell: Cell, value: Any, time_zone: str) -> None:
    """Store ``value`` in ``cell`` as a plain value, text included.

    openpyxl turns a string starting with "=" into a formula and "#N/A" and
    the like into an error, so text gets the string type back explicitly.
    """
    cell.value = excel_value(value, time_zone)
    if isinstance(cell.value, str):
        cell.data_type = "s"


def writable_cell(worksheet: Worksheet, row: int, column: int) -> Cell | None:
    """Return the cell at (row, column), or None when a merged range covers it."""
    cell = worksheet.cell(row=row, column=column)
    if isinstance(cell, MergedCell):
        logger.warning(
            "Skipped %s!%s because it is inside merged cells", worksheet.title, cell.coordinate
        )
        return None
    return cell
