"""Turn the rows of cells of a file or a Google Sheets tab into a ``SheetTable``.

Rows arrive one at a time, so that a reader can stream a large file: the
table's columns are built as the rows pass, and no grid of every row is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bridge.errors import EmptyFileError, HeaderRowNotFoundError
from validators.table import ColumnBuilder, ManagedColumn, SheetTable, fit_row


def is_empty(value: Any) -> bool:
    """Return True for a cell with no value (None or the empty string)."""
    return value is None or value == ""


def last_used_column(rows: Iterable[Sequence[Any]]) -> int:
    """Return the 1-based number of the last column with a value in ``rows``, or 0."""
    last = 0
    for row in rows:
        last = max(last, used_width(row, last))
    return last


def used_width(row: Sequence[Any], known: int = 0) -> int:
    """Return the 1-based number of the row's last cell with a value, or ``known`` if larger."""
    for index in range(len(row) - 1, known - 1, -1):
        if not is_empty(row[index]):
            return index + 1
    return known


class _DataColumns:
    """The data rows below the header, collected into columns as they arrive.

    The width grows when a row has a value beyond every earlier row (rare:
    a column with values but no header). The columns built so far are then
    closed as one segment and a wider builder continues.
    """

    def __init__(self, width: int) -> None:
        self._segments: list[list[np.ndarray]] = []
        self._builder = ColumnBuilder(width)
        self.rows = 0

    @property
    def width(self) -> int:
        return self._builder.width

    def append(self, row: Sequence[Any], width: int) -> None:
        if width > self._builder.width:
            self._segments.append(self._builder.finish())
            self._builder = ColumnBuilder(width)
        self._builder.append(row)
        self.rows += 1

    def finish(self, rows: int, width: int) -> list[np.ndarray]:
        """Return ``width`` columns of the first ``rows`` rows."""
        segments = [*self._segments, self._builder.finish()]
        columns = []
        for index in range(width):
            parts = [_part(segment, index) for segment in segments]
            column = parts[0] if len(parts) == 1 else np.concatenate(parts)
            columns.append(column[:rows])
        return columns


def _part(segment: list[np.ndarray], index: int) -> np.ndarray:
    if index < len(segment):
        return segment[index]
    length = len(segment[0]) if segment else 0
    return np.full(length, None, dtype=object)


def build_table(
    path: Path,
    title: str,
    rows: Iterable[Sequence[Any]],
    *,
    header_row: int,
    managed: dict[ManagedColumn, int] | Callable[[list[Any]], dict[ManagedColumn, int]],
    locale: str,
    time_zone: str,
    sheet: str | None = None,
) -> SheetTable:
    """Build the table below ``header_row`` from every row of a tab.

    Trailing empty rows are dropped, and so are columns to the right that are
    empty in the header and in every data row, except managed columns.
    ``managed`` is the managed columns, or a function that finds them in the
    header row. Raises EmptyFileError for a tab with no values and
    HeaderRowNotFoundError when ``header_row`` is below 1 or below the last
    row with a value.
    """
    header: list[Any] = []
    data: _DataColumns | None = None
    used_rows = 0  # 1-based number of the last row with a value
    width = 0  # last used column of the header and data rows

    for number, row in enumerate(rows, start=1):
        row_width = used_width(row)
        if row_width:
            used_rows = number
        if number < header_row or header_row < 1:
            continue
        width = max(width, row_width)
        if number == header_row:
            header = list(row)
            data = _DataColumns(max(width, len(header)))
            continue
        assert data is not None
        data.append(row, max(data.width, row_width))

    if used_rows == 0:
        raise EmptyFileError(path, sheet)
    if not 1 <= header_row <= used_rows or data is None:
        raise HeaderRowNotFoundError(path, header_row, used_rows)

    found = managed(header) if callable(managed) else dict(managed)
    width = max(width, *(index + 1 for index in found.values()), 0)
    return SheetTable(
        title=title,
        headers=list(fit_row(header, width)),
        columns=data.finish(used_rows - header_row, width),
        header_row=header_row,
        locale=locale,
        time_zone=time_zone,
        managed=found,
    )
