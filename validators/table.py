"""The sheet as the validators see it: raw cells plus where the managed columns are.

Adapters (local workbook, Google Sheets) build a ``SheetTable``; validators never
read files or call APIs themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


class ManagedColumn(StrEnum):
    """Columns the bridge owns at the right of the user's data, in display order."""

    STATUS = "status"
    FINDINGS = "findings"
    SCORE = "score"
    GRADE = "grade"
    STAGE_ENTERED = "stage_entered"  # only when the sheet has no stage-entered column
    STAGE_SEEN = "stage_seen"  # stage the stage-entered date belongs to
    HUBSPOT_ID = "hubspot_id"
    SYNC_STATUS = "sync_status"
    LAST_SYNCED_AT = "last_synced_at"
    CONTENT_HASH = "content_hash"
    ROW_KEY = "row_key"  # only when the sheet has no key column
    # Google Sheets only, hidden: per row, which user cells to highlight, read
    # by the bridge's conditional formatting rules.
    MARKS = "marks"


@dataclass
class SheetTable:
    """One tab of a spreadsheet, read as raw cell values, stored column by column.

    ``columns`` holds one object array per header, all as long as the number
    of rows below the header row. Cells keep the type the adapter read:
    ``str``, ``int``, ``float``, ``bool``, ``datetime.date``/``datetime.datetime``
    or ``None``. Google Sheets dates arrive as serial numbers (days since
    1899-12-30). Equal texts within a column share one ``str`` object (see
    ``ColumnBuilder``), which keeps a large sheet's memory near the size of
    its distinct values.
    """

    title: str
    headers: list[Any]
    columns: list[np.ndarray]
    header_row: int = 1
    locale: str = "ja"
    time_zone: str = "Asia/Tokyo"
    # Managed column id -> 0-based index into ``headers``, found by marker
    # (developer metadata in Google Sheets, a defined name in .xlsx, the
    # header text in .csv).
    managed: dict[ManagedColumn, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.columns) != len(self.headers):
            raise ValueError(f"{len(self.columns)} columns for {len(self.headers)} headers")
        if len({len(column) for column in self.columns}) > 1:
            raise ValueError("columns of a table must have the same length")

    @classmethod
    def from_rows(
        cls, title: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]], **options: Any
    ) -> SheetTable:
        """Build a table from rows of cells; each row is padded or cut to the headers."""
        if isinstance(rows, list | tuple):
            columns = _columns_of_row_list(rows, len(headers))
        else:
            builder = ColumnBuilder(len(headers))
            for row in rows:
                builder.append(row)
            columns = builder.finish()
        return cls(title=title, headers=list(headers), columns=columns, **options)

    @property
    def row_count(self) -> int:
        """Number of data rows below the header row, blank rows included."""
        return len(self.columns[0]) if self.columns else 0

    @property
    def rows(self) -> list[list[Any]]:
        """Return a row-wise copy of the cells: for small tables and tests."""
        return [
            list(row) for row in zip(*(column.tolist() for column in self.columns), strict=True)
        ]

    def row(self, position: int) -> list[Any]:
        """Return the cells of the data row at 0-based ``position``."""
        return [column[position] for column in self.columns]

    @property
    def first_data_row(self) -> int:
        """Sheet row number (1-based) of the first row below the header."""
        return self.header_row + 1

    def sheet_row(self, position: int) -> int:
        """Return the sheet row number of the data row at 0-based ``position``."""
        return self.header_row + 1 + position

    def managed_values(self, column: ManagedColumn) -> list[Any] | None:
        """Return the current cells of a managed column, or None when absent."""
        index = self.managed.get(column)
        if index is None:
            return None
        if index >= len(self.columns):
            return [None] * self.row_count
        return self.columns[index].tolist()


class ColumnBuilder:
    """Collect rows of cells into per-column object arrays, sharing equal texts.

    A reader of a large sheet gets a new ``str`` object for every cell even
    where a column repeats a few values (stages, owners, dates). Keeping one
    object per distinct text and column bounds memory by the distinct values.
    Rows are buffered and turned into columns a chunk at a time.
    """

    CHUNK_ROWS = 4096

    def __init__(self, width: int) -> None:
        self.width = width
        self._pending: list[Sequence[Any]] = []
        self._cells: list[list[Any]] = [[] for _ in range(width)]
        self._texts: list[dict[str, str]] = [{} for _ in range(width)]

    def append(self, row: Sequence[Any]) -> None:
        """Add one row; cells beyond the width are dropped, missing ones are None."""
        self._pending.append(fit_row(row, self.width))
        if len(self._pending) >= self.CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        chunk = zip(*self._pending, strict=True) if self.width else ()
        for cells, texts, values in zip(self._cells, self._texts, chunk, strict=False):
            cells.extend(_share_texts(values, texts))
        self._pending = []

    def finish(self) -> list[np.ndarray]:
        """Return the columns as object arrays; the builder is empty afterwards."""
        self._flush()
        columns = []
        for index in range(self.width):
            cells = self._cells[index]
            array = np.empty(len(cells), dtype=object)
            array[:] = cells
            self._cells[index] = []
            self._texts[index] = {}
            columns.append(array)
        return columns


# Rows transposed at once by _columns_of_row_list: large enough to make the
# per-chunk overhead negligible, small enough that the transposed tuples of
# one chunk stay a few MB even for wide sheets.
_ROW_LIST_CHUNK = 32_768


def _columns_of_row_list(rows: Sequence[Sequence[Any]], width: int) -> list[np.ndarray]:
    """Return the columns of rows that are all in memory, sharing equal texts per column.

    ``ColumnBuilder`` does the same for rows that arrive one by one. Here a
    chunk of rows is transposed with one ``zip``, which avoids a Python call
    per row, and each column's cells go straight into its final array.
    """
    count = len(rows)
    columns = [np.empty(count, dtype=object) for _ in range(width)]
    texts: list[dict[str, str]] = [{} for _ in range(width)]
    for start in range(0, count, _ROW_LIST_CHUNK):
        chunk = _fit_rows(rows[start : start + _ROW_LIST_CHUNK], width)
        stop = start + len(chunk)
        transposed = zip(*chunk, strict=True)
        for array, shared, values in zip(columns, texts, transposed, strict=True):
            array[start:stop] = _share_texts(values, shared)
    return columns


def _fit_rows(rows: Sequence[Sequence[Any]], width: int) -> Sequence[Sequence[Any]]:
    """Pad rows shorter than ``width`` with None and cut longer ones, as ColumnBuilder does."""
    if all(length == width for length in set(map(len, rows))):
        return rows
    return [fit_row(row, width) for row in rows]


def fit_row(row: Sequence[Any], width: int) -> Sequence[Any]:
    """Return ``row`` padded with None or cut to ``width`` cells (the row itself when it fits)."""
    if len(row) == width:
        return row
    return list(row[:width]) + [None] * (width - len(row))


def _share_texts(values: Iterable[Any], texts: dict[str, str]) -> list[Any]:
    """Return ``values`` with each text replaced by the first equal text seen in ``texts``."""
    share = texts.setdefault
    return [share(value, value) if type(value) is str else value for value in values]


def object_column(values: Iterable[Any]) -> np.ndarray:
    """Return ``values`` as a one-dimensional object array, sharing equal texts."""
    cells = _share_texts(values, {})
    array = np.empty(len(cells), dtype=object)
    array[:] = cells
    return array
