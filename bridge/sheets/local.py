"""Local workbook adapter: read a .xlsx or .csv tab, write the results into a new file.

The output is a copy of the source with the bridge's managed columns, cell
highlights and extra tabs added. User cells keep their values and formulas.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bridge.errors import UnsupportedFileError
from bridge.sheets.local_csv import read_csv_table, write_csv_result
from bridge.sheets.local_paths import DefaultOutput, check_output, check_source, default_output_path
from bridge.sheets.local_xlsx_read import read_xlsx_table
from bridge.sheets.local_xlsx_tabs import workbook_from_csv
from bridge.sheets.local_xlsx_write import apply_writeback, open_data_sheet, save_workbook
from bridge.sheets.writeback import WriteBack, check_writeback
from validators.table import SheetTable

__all__ = ["DefaultOutput", "default_output_path", "read_local", "write_local"]

logger = logging.getLogger(__name__)


def read_local(
    path: Path,
    *,
    sheet: str | None = None,
    header_row: int = 1,
    locale: str = "ja",
    time_zone: str = "Asia/Tokyo",
) -> SheetTable:
    """Read one tab of a local .xlsx or .csv file into a ``SheetTable``.

    ``sheet`` names the .xlsx tab to read. Without it the first visible tab
    that the bridge did not write is read. A .csv file has one tab, titled
    after the file name, and ``sheet`` is ignored for it. ``header_row`` is
    1-based. Raises an ``InputError`` subclass when the file cannot be read.
    """
    path = Path(path)
    if check_source(path) == "csv":
        return read_csv_table(path, header_row=header_row, locale=locale, time_zone=time_zone)
    return read_xlsx_table(
        path, sheet=sheet, header_row=header_row, locale=locale, time_zone=time_zone
    )


def write_local(table: SheetTable, source: Path, output: Path, result: WriteBack) -> Path:
    """Write ``result`` into a copy of ``source`` saved as ``output``, and return ``output``.

    ``table`` must be what ``read_local`` returned for ``source``. Supported:
    .xlsx to .xlsx, .csv to .csv and .csv to .xlsx. A .csv output has no cell
    highlights, and its extra tabs go to sibling files ``<stem>.<tab>.csv``.
    Raises ValueError when ``result`` does not fit ``table``, an
    ``InputError`` for an unreadable source and an ``OutputError`` when the
    output cannot be written.
    """
    source, output = Path(source), Path(output)
    check_writeback(table, result)
    source_kind = check_source(source)
    output_kind = check_output(output, source)

    if output_kind == "csv":
        if source_kind != "csv":
            raise UnsupportedFileError(output, (".xlsx",))
        write_csv_result(table, source, output, result)
        return output

    if source_kind == "xlsx":
        workbook, worksheet = open_data_sheet(source, table.title)
    else:
        workbook, worksheet = workbook_from_csv(source, table.time_zone)
    apply_writeback(workbook, worksheet, table, result)
    save_workbook(workbook, output)
    logger.info(
        "Wrote %d managed columns and %d highlights to %s",
        len(result.columns),
        len(result.marks),
        output,
    )
    return output
