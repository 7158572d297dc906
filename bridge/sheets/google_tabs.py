"""The bridge's whole tabs in a Google spreadsheet: KPI and to-do tabs, charts, state tab.

Extra tabs are replaced on every run: emptied (or created), grown to fit,
their old charts deleted and new ones added with ``addChart``. A tab of the
same name that the bridge did not create is the user's, so the bridge writes
"<name> (bridge)" instead. The hidden state tab records the created tabs for
the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bridge.sheets.google_layout import SpreadsheetLayout
from bridge.sheets.google_read import STATE_HEADERS, parse_a1_cell
from bridge.sheets.google_requests import add_sheet, clear_tab, grow_tab, value_range
from bridge.sheets.managed import STATE_SHEET
from bridge.sheets.writeback import MAX_SHEET_TITLE, ChartSpec, RowLink, WriteBack

logger = logging.getLogger(__name__)

MIN_NEW_TAB_COLUMNS = 26
CHART_WIDTH_PIXELS = 600
CHART_HEIGHT_PIXELS = 300
BASIC_CHART_TYPES = {"bar": ("BAR", "BOTTOM_AXIS"), "column": ("COLUMN", "LEFT_AXIS")}


@dataclass(frozen=True)
class PlacedTab:
    """An extra tab as written: its title in the spreadsheet and its sheet id."""

    title: str
    sheet_id: int


def extra_tab_title(layout: SpreadsheetLayout, name: str) -> str:
    """Return the title for the bridge's tab ``name``, avoiding tabs of the user."""
    title = name
    number = 1
    while layout.tab(title) is not None and title not in layout.bridge_tabs:
        suffix = " (bridge)" if number == 1 else f" (bridge {number})"
        title = name[: MAX_SHEET_TITLE - len(suffix)] + suffix
        number += 1
    if title != name:
        logger.warning("Tab %r belongs to the user, so the bridge writes %r", name, title)
    return title


def plan_extra_tabs(
    requests: list[dict[str, Any]],
    layout: SpreadsheetLayout,
    result: WriteBack,
    reserved: set[int],
) -> dict[str, PlacedTab]:
    """Append the requests that create or empty each extra tab; return where each goes."""
    placed: dict[str, PlacedTab] = {}
    for name, rows in result.extra_sheets.items():
        title = extra_tab_title(layout, name)
        height = len(rows)
        width = max((len(row) for row in rows), default=0)
        existing = layout.tab(title)
        if existing is None:
            sheet_id = layout.unused_sheet_id(reserved)
            reserved.add(sheet_id)
            requests.append(
                add_sheet(sheet_id, title, height, max(width, MIN_NEW_TAB_COLUMNS), False)
            )
        else:
            sheet_id = existing.sheet_id
            grow_tab(requests, existing, height, width)
            requests.append(clear_tab(sheet_id))
            for chart_id in existing.chart_ids:
                requests.append({"deleteEmbeddedObject": {"objectId": chart_id}})
        placed[name] = PlacedTab(title, sheet_id)
    return placed


def link_requests(
    result: WriteBack, placed: dict[str, PlacedTab], data_sheet_id: int
) -> list[dict[str, Any]]:
    """Return one ``updateCells`` per extra tab with row links, as rich-text links.

    A link is text with a link run, not a HYPERLINK formula, so no formula
    is written. Cells without a link are left empty here and written by the
    RAW value update that follows.
    """
    requests = []
    for name, rows in result.extra_sheets.items():
        if not any(isinstance(value, RowLink) for row in rows for value in row):
            continue
        cells = [[_link_cell(value, data_sheet_id) for value in row] for row in rows]
        requests.append({
            "updateCells": {
                "start": {"sheetId": placed[name].sheet_id, "rowIndex": 0, "columnIndex": 0},
                "rows": [{"values": row} for row in cells],
                "fields": "userEnteredValue,textFormatRuns",
            }
        })  # fmt: skip
    return requests


def _link_cell(value: Any, data_sheet_id: int) -> dict[str, Any]:
    if not isinstance(value, RowLink):
        return {}
    uri = f"#gid={data_sheet_id}&range=A{value.row}"
    return {
        "userEnteredValue": {"stringValue": value.text},
        "textFormatRuns": [{"startIndex": 0, "format": {"link": {"uri": uri}}}],
    }


def extra_tab_values(result: WriteBack, placed: dict[str, PlacedTab]) -> list[dict[str, Any]]:
    """Return the RAW value ranges of the extra tabs; link cells are skipped (None)."""
    ranges = []
    for name, rows in result.extra_sheets.items():
        if not rows:
            continue
        written = value_range(placed[name].title, 0, 0, rows)
        # None leaves a cell as the link request set it; "" would clear it.
        written["values"] = [
            [
                None if isinstance(value, RowLink) else cell
                for value, cell in zip(row, cells, strict=True)
            ]
            for row, cells in zip(rows, written["values"], strict=True)
        ]
        ranges.append(written)
    return ranges


def chart_requests(charts: list[ChartSpec], placed: dict[str, PlacedTab]) -> list[dict[str, Any]]:
    return [_add_chart(chart, placed[chart.sheet].sheet_id) for chart in charts]


def _grid_range(sheet_id: int, a1: str) -> dict[str, int]:
    first, _, last = a1.partition(":")
    top, left = parse_a1_cell(first) or (0, 0)
    bottom, right = parse_a1_cell(last or first) or (top, left)
    return {"sheetId": sheet_id, "startRowIndex": top, "endRowIndex": bottom + 1,
            "startColumnIndex": left, "endColumnIndex": right + 1}  # fmt: skip


def _add_chart(chart: ChartSpec, sheet_id: int) -> dict[str, Any]:
    labels = {"sourceRange": {"sources": [_grid_range(sheet_id, chart.categories)]}}
    numbers = {"sourceRange": {"sources": [_grid_range(sheet_id, chart.values)]}}
    if chart.kind == "pie":
        spec: dict[str, Any] = {"pieChart": {"legendPosition": "RIGHT_LEGEND",
                                             "domain": labels, "series": numbers}}  # fmt: skip
    else:
        chart_type, axis = BASIC_CHART_TYPES[chart.kind]
        spec = {
            "basicChart": {
                "chartType": chart_type,
                "legendPosition": "NO_LEGEND",
                "headerCount": 0,
                "domains": [{"domain": labels}],
                "series": [{"series": numbers, "targetAxis": axis}],
            }
        }
    top, left = parse_a1_cell(chart.anchor) or (0, 0)
    return {
        "addChart": {
            "chart": {
                "spec": {"title": chart.title, **spec},
                "position": {
                    "overlayPosition": {
                        "anchorCell": {"sheetId": sheet_id, "rowIndex": top, "columnIndex": left},
                        "widthPixels": CHART_WIDTH_PIXELS,
                        "heightPixels": CHART_HEIGHT_PIXELS,
                    }
                },
            }
        }
    }


def plan_state_tab(
    requests: list[dict[str, Any]], layout: SpreadsheetLayout, record_count: int, reserved: set[int]
) -> None:
    """Append the requests that create the hidden state tab, or empty and grow it."""
    height = record_count + 1
    existing = layout.tab(STATE_SHEET)
    if existing is None:
        sheet_id = layout.unused_sheet_id(reserved)
        reserved.add(sheet_id)
        requests.append(add_sheet(sheet_id, STATE_SHEET, height, len(STATE_HEADERS), True))
        return
    grow_tab(requests, existing, height, len(STATE_HEADERS))
    requests.append(clear_tab(existing.sheet_id))
