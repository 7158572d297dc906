"""Find the design for a sheet: a design file, a design tab, or the bundled example."""

from __future__ import annotations

import logging
from pathlib import Path

import openpyxl

from bridge.sheets.design_tab import DESIGN_TAB_TITLES
from bridge.sheets.design_tab_io import load_design_rows, pick_tab, read_design_rows
from bridge.validation import load_design
from validators.design import Design

logger = logging.getLogger(__name__)


def load_sheet_design(
    source: str, design_path: Path | None = None, design_tab: str | None = None
) -> tuple[Design, Path | None]:
    """Return the design for ``source`` and the file it came from (None for a tab).

    In order: the ``--design`` file; the ``--design-tab`` of the source (a
    Google Sheet or a local .xlsx); a 設計 / Design tab of a local .xlsx
    source; the bundled example design. A Google Sheet's design tab is read
    only when named, because reading it costs two more Sheets API calls.
    """
    if design_path is not None:
        return load_design(design_path)
    if design_tab is not None:
        return _load_tab(source, design_tab), None

    found = _local_design_tab(source)
    if found is not None:
        logger.info("using design tab %r of %s", found, source)
        return _load_tab(source, found), None
    return load_design(None)


def _load_tab(source: str, tab: str) -> Design:
    rows, label = read_design_rows(source, tab)
    design, _ = load_design_rows(rows, label)
    return design


def _local_design_tab(source: str) -> str | None:
    path = Path(source)
    if path.suffix.lower() != ".xlsx" or not path.is_file():
        return None
    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - an unreadable workbook is reported when it is read
        return None
    try:
        return pick_tab(list(workbook.sheetnames), None)
    finally:
        workbook.close()


__all__ = ["DESIGN_TAB_TITLES", "load_sheet_design"]
