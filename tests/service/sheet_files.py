"""Spreadsheet ids mapped to local workbooks, standing in for Google Sheets in tests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bridge.errors import SpreadsheetNotFoundError
from bridge.sources import LocalSheet

EXAMPLE_SHEET = Path(__file__).resolve().parents[2] / "examples" / "deals.xlsx"


class SheetFiles:
    """Spreadsheet ids mapped to local workbooks; records the tokens each open received."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths: dict[str, Path] = {}
        self.opened: list[dict[str, Any]] = []
        self.fail_next: list[Exception] = []

    def add(self, spreadsheet_id: str, source: Path = EXAMPLE_SHEET) -> Path:
        path = self.folder / f"{spreadsheet_id}{source.suffix}"
        shutil.copy(source, path)
        self.paths[spreadsheet_id] = path
        return path

    def output(self, spreadsheet_id: str) -> Path:
        return self.folder / f"{spreadsheet_id}.checked.xlsx"

    def __call__(self, spreadsheet_id, *, sheet, gid, access_token, user) -> LocalSheet:
        self.opened.append({"id": spreadsheet_id, "token": access_token, "user": user})
        if self.fail_next:
            raise self.fail_next.pop(0)
        path = self.paths.get(spreadsheet_id)
        if path is None:
            raise SpreadsheetNotFoundError(spreadsheet_id)
        return LocalSheet(path, sheet=sheet, output=self.output(spreadsheet_id))
