"""Spreadsheet layout that the adapter reads before validating and needs again for writing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from validators.table import ManagedColumn

METADATA_KEY = "bridge.managed"  # developer metadata key on each managed column


@dataclass(frozen=True)
class TabInfo:
    """One tab of the spreadsheet as ``spreadsheets.get`` described it."""

    sheet_id: int
    title: str
    index: int
    row_count: int
    column_count: int
    hidden: bool = False
    frozen_rows: int = 0
    chart_ids: tuple[int, ...] = ()
    merges: tuple[dict[str, int], ...] = ()
    # 0-based column index -> managed column marked there by developer metadata
    managed: dict[int, ManagedColumn] = field(default_factory=dict)
    # ConditionalFormatRule objects in the tab's order, which is their priority
    conditional_formats: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class PreviousMark:
    """A cell that a bridge version before conditional formatting highlighted.

    Those versions recorded each highlighted cell in the hidden state tab.
    """

    sheet: str
    row: int  # 0-based
    column: int  # 0-based


@dataclass
class SpreadsheetLayout:
    """The spreadsheet's settings and tabs, the tab being validated and earlier marks."""

    spreadsheet_id: str
    title: str
    locale: str
    time_zone: str
    tabs: list[TabInfo]
    data_tab: TabInfo
    previous_marks: list[PreviousMark] = field(default_factory=list)
    bridge_tabs: set[str] = field(default_factory=set)  # extra tabs the bridge created

    def tab(self, title: str) -> TabInfo | None:
        return next((tab for tab in self.tabs if tab.title == title), None)

    def unused_sheet_id(self, reserved: set[int]) -> int:
        """Return a sheet id that no tab has and that is not in ``taken``."""
        used = {tab.sheet_id for tab in self.tabs} | reserved
        candidate = 1_000_001
        while candidate in used:
            candidate += 1
        return candidate


def parse_tabs(metadata: dict[str, Any]) -> list[TabInfo]:
    """Return the tabs of a ``spreadsheets.get`` response, with their managed columns."""
    tabs = []
    for sheet in metadata.get("sheets", []):
        properties = sheet["properties"]
        grid = properties.get("gridProperties", {})
        tabs.append(
            TabInfo(
                sheet_id=properties["sheetId"],
                title=properties["title"],
                index=properties.get("index", 0),
                row_count=grid.get("rowCount", 0),
                column_count=grid.get("columnCount", 0),
                hidden=properties.get("hidden", False),
                frozen_rows=grid.get("frozenRowCount", 0),
                chart_ids=tuple(chart["chartId"] for chart in sheet.get("charts", [])),
                merges=tuple(sheet.get("merges", [])),
                managed=_managed_columns(sheet),
                conditional_formats=tuple(sheet.get("conditionalFormats", [])),
            )
        )
    return tabs


def _managed_columns(sheet: dict[str, Any]) -> dict[int, ManagedColumn]:
    found: dict[int, ManagedColumn] = {}
    for block in sheet.get("data", []):
        start = block.get("startColumn", 0)
        for offset, column in enumerate(block.get("columnMetadata", [])):
            for item in column.get("developerMetadata", []):
                if item.get("metadataKey") != METADATA_KEY:
                    continue
                try:
                    found[start + offset] = ManagedColumn(item.get("metadataValue", ""))
                except ValueError:
                    continue  # a value written by a newer bridge version
    return found
