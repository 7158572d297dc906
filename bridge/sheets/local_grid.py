"""Turn the raw cell grid of a local file into a ``SheetTable``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.errors import EmptyFileError, HeaderRowNotFoundError
from validators.table import ManagedColumn, SheetTable


def is_empty(value: Any) -> bool:
    """Return True for a cell with no value (None or the empty string)."""
    return value is None or value == ""


def last_used_row(grid: list[list[Any]]) -> int:
    """Return the 1-based number of the last row with a value, 0 when there is none."""
    for index in range(len(grid) - 1, -1, -1):
        if not all(is_empty(value) for value in grid[index]):
            return index + 1
    return 0


def last_used_column(rows: list[list[Any]]) -> int:
    """Return the 1-based number of the last column with a value in ``rows``, or 0."""
    last = 0
    for row in rows:
        for index in range(len(row) - 1, last - 1, -1):
            if not is_empty(row[index]):
                last = index + 1
                break
    return last


def fit_row(row: list[Any], width: int) -> list[Any]:
    """Return ``row`` padded with None or cut to ``width`` cells."""
    return list(row[:width]) + [None] * (width - len(row))


def build_table(
    path: Path,
    title: str,
    grid: list[list[Any]],
    *,
    header_row: int,
    managed: dict[ManagedColumn, int],
    locale: str,
    time_zone: str,
    sheet: str | None = None,
) -> SheetTable:
    """Build the table below ``header_row`` from every row of a tab.

    Trailing empty rows are dropped, and so are columns to the right that are
    empty in the header and in every data row, except managed columns. Raises
    EmptyFileError for a tab with no values and HeaderRowNotFoundError when
    ``header_row`` is below 1 or below the last row with a value.
    """
    used_rows = last_used_row(grid)
    if used_rows == 0:
        raise EmptyFileError(path, sheet)
    if not 1 <= header_row <= used_rows:
        raise HeaderRowNotFoundError(path, header_row, used_rows)

    table_rows = grid[header_row - 1 : used_rows]
    width = max(last_used_column(table_rows), *(index + 1 for index in managed.values()), 0)
    return SheetTable.from_rows(
        title,
        fit_row(table_rows[0], width),
        table_rows[1:],
        header_row=header_row,
        locale=locale,
        time_zone=time_zone,
        managed=dict(managed),
    )
