"""Read and write .csv files: one tab, every cell a string."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bridge.errors import EncodingUnknownError, UnreadableFileError
from bridge.sheets.local_grid import build_table, last_used_column
from bridge.sheets.local_paths import replace_atomically
from bridge.sheets.managed import column_for_header, managed_header
from bridge.sheets.writeback import WriteBack, plan_column_positions
from validators.table import ManagedColumn, SheetTable

logger = logging.getLogger(__name__)

# Tried in this order. Excel Japan saves "CSV UTF-8" with a BOM and plain "CSV" as cp932.
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "cp932")

# Characters that Windows and macOS reject in file names.
_UNSAFE_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def decode_csv(path: Path, data: bytes) -> str:
    """Decode ``data`` as UTF-8 with BOM, UTF-8, then cp932.

    Raises EncodingUnknownError when none decodes or the text contains NUL
    characters (UTF-16 and binary files).
    """
    encodings = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else CSV_ENCODINGS[1:]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        logger.debug("Decoded %s as %s", path, encoding)
        return text
    raise EncodingUnknownError(path, CSV_ENCODINGS)


def read_csv_grid(path: Path) -> list[list[str]]:
    """Return every row of a .csv file as strings, empty cells as ""."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFileError(path, error.strerror or str(error)) from error
    text = decode_csv(path, data)

    # newline="" leaves CR, LF and CRLF to the csv module, which also keeps
    # line breaks inside quoted cells.
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise UnreadableFileError(path, f"invalid CSV ({error})") from error


def find_managed_by_header(headers: list[Any]) -> dict[ManagedColumn, int]:
    """Return the managed columns of a .csv header, found by their header text.

    The bridge appends its columns as one block, so the block is taken to
    start at the longest run of adjacent managed headers (the rightmost one on
    a tie). A run of one column counts only as the last header, because a file
    the bridge never wrote may have a user column titled like a managed one
    (e.g. "ステージ開始日"). Matching headers left of the block are the user's
    own columns. At or right of it, the rightmost column of each text wins.
    """
    # NOTE: .csv files carry no marker, so a user column to the right of the
    # bridge's block whose header is exactly a managed header is taken for it.
    matches = [column_for_header(header) for header in headers]
    block_start = managed_block_start(matches)
    if block_start is None:
        return {}
    last_header = max(index for index, header in enumerate(headers) if header is not None)
    single = block_start + 1 >= len(matches) or matches[block_start + 1] is None
    if single and block_start != last_header:
        return {}

    found: dict[ManagedColumn, int] = {}
    for index in range(block_start, len(matches)):
        column = matches[index]
        if column is not None:
            found[column] = index
    return found


def managed_block_start(matches: list[ManagedColumn | None]) -> int | None:
    """Return the first index of the longest run of non-None entries, the rightmost on a tie."""
    best_start, best_length = None, 0
    run_start = None
    for index, column in enumerate([*matches, None]):
        if column is not None:
            run_start = index if run_start is None else run_start
            continue
        if run_start is not None and index - run_start >= best_length:
            best_start, best_length = run_start, index - run_start
        run_start = None
    return best_start


def read_csv_table(path: Path, *, header_row: int, locale: str, time_zone: str) -> SheetTable:
    """Read a .csv file into a table titled after the file's stem.

    Empty cells become None, every other cell stays the exact string of the file.
    """
    grid: list[list[Any]] = [
        [cell if cell != "" else None for cell in row] for row in read_csv_grid(path)
    ]
    headers = grid[header_row - 1] if 0 < header_row <= len(grid) else []
    table = build_table(
        path,
        path.stem,
        grid,
        header_row=header_row,
        managed=find_managed_by_header(headers),
        locale=locale,
        time_zone=time_zone,
    )
    logger.info("Read %d rows and %d columns from %s", table.row_count, len(table.headers), path)
    return table


def format_csv_value(value: Any) -> str:
    """Return the text a managed value gets in a .csv cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def set_grid_cell(grid: list[list[str]], row_index: int, column_index: int, text: str) -> None:
    """Set one cell of ``grid``, adding rows and padding the row with "" as needed."""
    while len(grid) <= row_index:
        grid.append([])
    row = grid[row_index]
    if len(row) <= column_index:
        row.extend([""] * (column_index + 1 - len(row)))
    row[column_index] = text


def fill_managed_columns(grid: list[list[str]], table: SheetTable, result: WriteBack) -> None:
    """Write the header and values of each managed column in ``result`` into ``grid``."""
    header_index = table.header_row - 1
    first_free = max(len(table.headers), last_used_column(grid[header_index:]))
    positions = plan_column_positions(table, result.columns, first_free)

    for column, values in result.columns.items():
        index = positions[column]
        set_grid_cell(grid, header_index, index, managed_header(column, result.lang))
        for position, value in enumerate(values):
            set_grid_cell(grid, header_index + 1 + position, index, format_csv_value(value))

        # Rows below the data are empty in every user column, so a value left in
        # the managed column there is stale output of an earlier run.
        for row in grid[header_index + 1 + len(values) :]:
            if index < len(row):
                row[index] = ""


def write_csv_file(path: Path, rows: list[list[Any]]) -> None:
    """Write ``rows`` as UTF-8 with BOM and CRLF line ends, the form Excel Japan opens."""

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerows([format_csv_value(value) for value in row] for row in rows)

    replace_atomically(path, write)


def extra_sheet_path(output: Path, name: str) -> Path:
    """Return the sibling file ``<output stem>.<name>.csv`` for an extra tab."""
    return output.with_name(f"{output.stem}.{_UNSAFE_FILE_NAME.sub('_', name)}.csv")


def write_csv_result(table: SheetTable, source: Path, output: Path, result: WriteBack) -> None:
    """Copy a .csv source to ``output`` with the managed columns of ``result`` filled in.

    User cells keep their exact text. The file is re-encoded as UTF-8 with BOM
    and CRLF, and cell marks are dropped because .csv cannot show them.
    """
    grid = read_csv_grid(source)
    fill_managed_columns(grid, table, result)
    write_csv_file(output, grid)
    logger.info("Wrote %d managed columns to %s", len(result.columns), output)

    for name, rows in result.extra_sheets.items():
        sibling = extra_sheet_path(output, name)
        write_csv_file(sibling, rows)
        logger.info("Wrote tab %r to %s", name, sibling)
