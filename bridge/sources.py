"""Open a SOURCE argument (local path or Google Sheets URL) as a sheet adapter."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bridge.errors import SheetNotFoundError
from bridge.sheets.google import GoogleSheet
from bridge.sheets.google_source import parse_google_source
from bridge.sheets.local import default_output_path, read_local, write_local
from bridge.sheets.writeback import WriteBack
from validators.design import Design
from validators.table import SheetTable

logger = logging.getLogger(__name__)


class SheetAdapter(Protocol):
    """Reads one tab into a ``SheetTable`` and writes a run's results back."""

    def read(self, design: Design) -> SheetTable: ...

    def write(self, table: SheetTable, result: WriteBack) -> str: ...


@dataclass
class LocalSheet:
    """A local .xlsx or .csv file; results go to ``output`` (a new file)."""

    path: Path
    sheet: str | None = None
    output: Path | None = None
    fell_back: bool = False  # the source folder was read-only, so output went to the cwd

    def read(self, design: Design) -> SheetTable:
        settings = design.sheet
        options = {
            "header_row": settings.header_row,
            "locale": settings.locale,
            "time_zone": settings.time_zone,
        }
        if self.sheet or self.path.suffix.lower() != ".xlsx" or not settings.tab:
            return read_local(self.path, sheet=self.sheet, **options)
        try:
            return read_local(self.path, sheet=settings.tab, **options)
        except SheetNotFoundError:
            # The design names the team's usual tab; another workbook may call
            # it differently, so read its first data tab instead.
            logger.info("design tab %r not in %s, reading the first tab", settings.tab, self.path)
            return read_local(self.path, sheet=None, **options)

    def write(self, table: SheetTable, result: WriteBack) -> str:
        if self.output is None:
            self.output, self.fell_back = default_output_path(self.path)
        written = write_local(table, self.path, self.output, result)
        logger.info("wrote results sheet=%s output=%s", table.title, written)
        return str(written)


def is_google_sheet(source: str) -> bool:
    return parse_google_source(source) is not None


def open_source(
    source: str, *, sheet: str | None = None, output: Path | None = None
) -> SheetAdapter:
    """Return the adapter for ``source``: a Google Sheets URL or id, else a local file.

    ``output`` applies to local files only; a Google spreadsheet is written in place.
    """
    google = parse_google_source(source)
    if google is not None:
        return GoogleSheet(google.spreadsheet_id, gid=google.gid, sheet=sheet)
    return LocalSheet(Path(source), sheet=sheet, output=output)
