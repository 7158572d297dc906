"""Results that an adapter writes back into a sheet after a run, for any file format."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from bridge.sheets.managed import HEADER_LANGUAGES, STATE_SHEET
from validators.table import ManagedColumn, SheetTable

# Excel's limits on tab titles.
MAX_SHEET_TITLE = 31
INVALID_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True, slots=True)
class CellMark:
    """Highlight and note for one user cell with a problem."""

    row_position: int  # 0-based data row position in the SheetTable
    column_index: int  # 0-based index into SheetTable.headers
    severity: Literal["error", "warning"]
    note: str


@dataclass(frozen=True, slots=True)
class RowLink:
    """A cell of an extra tab that links to a row of the data tab.

    The local writer stores it as an .xlsx hyperlink to #'<tab>'!A<row>, the
    Google adapter as a link to #gid=<gid>&range=A<row>. Formats without
    links (.csv) show ``text``.
    """

    text: str
    row: int  # sheet row number of the data tab, as the user sees it

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """A chart on an extra tab, drawn from one column of labels and one of numbers."""

    kind: Literal["bar", "column", "pie"]  # bar: horizontal bars, column: vertical
    sheet: str  # name of the extra tab (a key of WriteBack.extra_sheets)
    title: str
    categories: str  # A1 range of the labels on ``sheet``, e.g. "A5:A9"
    values: str  # A1 range of the numbers, same length; its first cell is not a header
    anchor: str  # cell of the chart's top-left corner, e.g. "H2"


@dataclass
class WriteBack:
    """Results of one run, ready to be written into the sheet."""

    # One value per data row of the table, in row order. Managed columns left
    # out here keep their current cells.
    columns: dict[ManagedColumn, list[Any]]
    lang: str = "ja"  # header language of managed columns that get added
    marks: list[CellMark] = field(default_factory=list)
    # Whole tabs (title -> rows of cells), replaced on every run.
    extra_sheets: dict[str, list[list[Any]]] = field(default_factory=dict)
    hidden: set[ManagedColumn] = field(default_factory=set)
    charts: list[ChartSpec] = field(default_factory=list)  # drawn on the extra tabs


def check_writeback(table: SheetTable, result: WriteBack) -> None:
    """Raise ValueError when ``result`` does not fit ``table``.

    Every column needs one value per data row, and every mark must point into
    the table. These are programming errors, so they are not user-facing.
    """
    if result.lang not in HEADER_LANGUAGES:
        raise ValueError(f"lang must be one of {HEADER_LANGUAGES}, got {result.lang!r}")
    for column, values in result.columns.items():
        if len(values) != table.row_count:
            raise ValueError(
                f"managed column {column.value!r} has {len(values)} values "
                f"for {table.row_count} data rows"
            )
    for mark in result.marks:
        if not 0 <= mark.row_position < table.row_count:
            raise ValueError(f"mark row_position {mark.row_position} is outside the data rows")
        if not 0 <= mark.column_index < len(table.headers):
            raise ValueError(f"mark column_index {mark.column_index} is outside the headers")
        if mark.severity not in ("error", "warning"):
            raise ValueError(f"mark severity must be 'error' or 'warning', got {mark.severity!r}")
    for name in result.extra_sheets:
        check_sheet_title(name, table.title)
    for chart in result.charts:
        if chart.sheet not in result.extra_sheets:
            raise ValueError(f"chart {chart.title!r} is on {chart.sheet!r}, not an extra sheet")


def check_sheet_title(name: str, data_title: str) -> None:
    """Raise ValueError unless ``name`` is a valid title for an extra tab.

    Excel limits titles to 31 characters and rejects []:*?/\\ and a leading
    or trailing apostrophe.
    """
    if (
        not name
        or len(name) > MAX_SHEET_TITLE
        or INVALID_SHEET_TITLE.search(name)
        or name.strip("'") != name
    ):
        raise ValueError(f"{name!r} is not a valid sheet title")
    if name in (data_title, STATE_SHEET):
        raise ValueError(f"extra sheet {name!r} has the title of the data tab or the state tab")


def plan_column_positions(
    table: SheetTable, columns: Iterable[ManagedColumn], first_free: int
) -> dict[ManagedColumn, int]:
    """Return the 0-based index where each of ``columns`` is written.

    A column the table already has keeps its place. The others are appended
    from index ``first_free`` on, in ``ManagedColumn`` display order.
    """
    requested = set(columns)
    positions: dict[ManagedColumn, int] = {}
    next_index = first_free
    for column in ManagedColumn:
        if column not in requested:
            continue
        if column in table.managed:
            positions[column] = table.managed[column]
        else:
            positions[column] = next_index
            next_index += 1
    return positions
