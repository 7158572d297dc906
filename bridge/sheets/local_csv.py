"""Read and write .csv files: one tab, every cell a string."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from bridge.errors import (
    CsvSyntaxError,
    EncodingUnknownError,
    NulCharacterError,
    UnreadableFileError,
)
from bridge.reasons import os_reason
from bridge.sheets.local_grid import build_table
from bridge.sheets.local_paths import replace_atomically
from bridge.sheets.managed import column_for_header, managed_header
from bridge.sheets.writeback import WriteBack, plan_column_positions
from validators.table import ManagedColumn, SheetTable

logger = logging.getLogger(__name__)

# Tried in this order. Excel Japan saves "CSV UTF-8" with a BOM and plain "CSV"
# as cp932; its "Unicode Text" is tab-separated UTF-16 with a BOM.
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "cp932")
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
DECODE_CHUNK = 1 << 20  # bytes decoded at a time while the encoding is checked

# Lines read to tell a tab-separated file from a comma-separated one.
SNIFFED_LINES = 5

# Characters that Windows and macOS reject in file names.
_UNSAFE_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def csv_encoding(path: Path) -> str:
    """Return the encoding of a .csv file: UTF-16 or UTF-8 by BOM, else UTF-8 or cp932.

    Without a BOM the first of UTF-8 and cp932 that decodes the whole file
    wins. The check reads and decodes a chunk at a time and keeps no text, so
    a large file is never held whole. Raises NulCharacterError for a NUL
    byte in a file without a UTF-16 BOM, EncodingUnknownError when neither
    encoding decodes, and UnreadableFileError when the file cannot be read.
    """
    with _open_binary(path) as handle:
        start = handle.read(len(codecs.BOM_UTF8))
    if start.startswith(UTF16_BOMS):
        return "utf-16"  # the codec reads the BOM for the byte order
    encodings = ("utf-8-sig",) if start == codecs.BOM_UTF8 else CSV_ENCODINGS[1:]
    for encoding in encodings:
        if _decodes(path, encoding):
            logger.debug("Decoded %s as %s", path, encoding)
            return encoding
    raise EncodingUnknownError(path, CSV_ENCODINGS)


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with _open_binary(path) as handle:
        try:
            while data := handle.read(DECODE_CHUNK):
                if (nul := data.find(b"\x00")) >= 0:
                    raise NulCharacterError(path, line + data.count(b"\n", 0, nul))
                line += data.count(b"\n")
                decoder.decode(data)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _open_binary(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as error:
        raise UnreadableFileError(path, os_reason(error)) from error


class CsvFormat(NamedTuple):
    """Encoding and delimiter of a .csv file."""

    encoding: str
    delimiter: str


def csv_format(path: Path) -> CsvFormat:
    """Return the encoding and the delimiter of a .csv file."""
    encoding = csv_encoding(path)
    return CsvFormat(encoding, csv_delimiter(path, encoding))


def iter_csv_rows(path: Path, file_format: CsvFormat | None = None) -> Iterator[list[str]]:
    """Yield each row of a .csv file as strings, empty cells as ""."""
    encoding, delimiter = file_format or csv_format(path)

    # newline="" leaves CR, LF and CRLF to the csv module, which also keeps
    # line breaks inside quoted cells. strict=True matters because a quote
    # left open would otherwise swallow every later row into one cell.
    with io.TextIOWrapper(_open_binary(path), encoding=encoding, newline="") as text:
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        first_line = 1  # where the row being read starts
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise CsvSyntaxError(path, first_line, str(error)) from error
            yield row
            first_line = reader.line_num + 1


def csv_delimiter(path: Path, encoding: str) -> str:
    """Return "\t" for a tab-separated file saved as .csv, else ",".

    The first lines decide, because a title may sit above the header. More
    tabs than commas mean tabs, as in a sheet copied from Google Sheets or
    saved by Excel as tab-delimited text. There, commas appear only inside
    values such as 1,200円.
    """
    with io.TextIOWrapper(_open_binary(path), encoding=encoding, newline="") as text:
        head = "".join(text.readline() for _ in range(SNIFFED_LINES))
    return "\t" if head.count("\t") > head.count(",") else ","


def read_csv_grid(path: Path) -> list[list[str]]:
    """Return every row of a .csv file as strings, empty cells as ""."""
    return list(iter_csv_rows(path))


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

    Empty cells become None, every other cell stays the exact string of the
    file. The rows are read as a stream into the table's columns.
    """
    table = build_table(
        path,
        path.stem,
        iter_csv_rows(path),
        header_row=header_row,
        managed=lambda headers: find_managed_by_header(_blank_as_none(headers)),
        locale=locale,
        time_zone=time_zone,
    )
    table.headers = _blank_as_none(table.headers)
    for column in table.columns:
        column[column == ""] = None
    logger.info("Read %d rows and %d columns from %s", table.row_count, len(table.headers), path)
    return table


def _blank_as_none(cells: list[Any]) -> list[Any]:
    return [None if cell == "" else cell for cell in cells]


def format_csv_value(value: Any) -> str:
    """Return the text a managed value gets in a .csv cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def rows_with_managed_columns(
    rows: Iterable[list[str]], table: SheetTable, result: WriteBack
) -> Iterator[list[str]]:
    """Yield the rows of the source with the managed columns of ``result`` filled in.

    Rows are passed through one at a time, so a large file is never held
    whole. User cells are yielded unchanged.
    """
    header_index = table.header_row - 1
    positions = plan_column_positions(table, result.columns, len(table.headers))
    headers = {positions[column]: managed_header(column, result.lang) for column in result.columns}
    columns = [(positions[column], values) for column, values in result.columns.items()]
    last_data = header_index + table.row_count

    count = 0
    for index, row in enumerate(rows):
        count = index + 1
        yield _fill_row(row, index, header_index, last_data, headers, columns)
    for index in range(count, last_data + 1):  # never for a file the table was read from
        yield _fill_row([], index, header_index, last_data, headers, columns)


def _fill_row(
    row: list[str],
    index: int,
    header_index: int,
    last_data: int,
    headers: dict[int, str],
    columns: list[tuple[int, list[Any]]],
) -> list[str]:
    if index < header_index:
        return row
    if index > last_data:
        # Rows below the data are empty in every user column, so a value left
        # in a managed column there is stale output of an earlier run.
        for position in headers:
            if position < len(row):
                row[position] = ""
        return row

    width = max(headers) + 1 if headers else 0
    if len(row) < width:
        row = row + [""] * (width - len(row))
    if index == header_index:
        for position, text in headers.items():
            row[position] = text
        return row
    for position, values in columns:
        row[position] = format_csv_value(values[index - header_index - 1])
    return row


def write_csv_file(path: Path, rows: Iterable[list[Any]], delimiter: str = ",") -> None:
    """Write ``rows`` as UTF-8 with BOM and CRLF line ends, the form Excel Japan opens."""

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
            writer.writerows(
                [value if type(value) is str else format_csv_value(value) for value in row]
                for row in rows
            )

    replace_atomically(path, write)


def extra_sheet_path(output: Path, name: str) -> Path:
    """Return the sibling file ``<output stem>.<name>.csv`` for an extra tab."""
    return output.with_name(f"{output.stem}.{_UNSAFE_FILE_NAME.sub('_', name)}.csv")


def write_csv_result(table: SheetTable, source: Path, output: Path, result: WriteBack) -> None:
    """Copy a .csv source to ``output`` with the managed columns of ``result`` filled in.

    User cells keep their exact text and the source's delimiter. The file is
    re-encoded as UTF-8 with BOM and CRLF, and cell marks are dropped because
    .csv cannot show them.
    """
    file_format = csv_format(source)
    rows = rows_with_managed_columns(iter_csv_rows(source, file_format), table, result)
    write_csv_file(output, rows, file_format.delimiter)
    logger.info("Wrote %d managed columns to %s", len(result.columns), output)

    for name, rows in result.extra_sheets.items():
        sibling = extra_sheet_path(output, name)
        write_csv_file(sibling, rows)
        logger.info("Wrote tab %r to %s", name, sibling)
