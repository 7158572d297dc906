"""Row links and charts on the bridge's extra tabs of an .xlsx workbook."""

from __future__ import annotations

import logging

from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook

from bridge.sheets.writeback import ChartSpec, RowLink

logger = logging.getLogger(__name__)

CHART_WIDTH_CM = 16
CHART_HEIGHT_CM = 8


def write_row_link(cell: Cell, link: RowLink, data_title: str) -> None:
    """Store ``link`` as a hyperlink to column A of its row on the data tab.

    The link is a cell hyperlink, not a HYPERLINK formula, so no formula is
    written into the workbook.
    """
    quoted = data_title.replace("'", "''")
    cell.value = link.text
    cell.data_type = "s"
    cell.hyperlink = f"#'{quoted}'!A{link.row}"
    cell.style = "Hyperlink"


def add_charts(workbook: Workbook, titles: dict[str, str], charts: list[ChartSpec]) -> None:
    """Draw each chart on its tab; ``titles`` maps extra sheet names to the tab titles used."""
    for spec in charts:
        worksheet = workbook[titles[spec.sheet]]
        chart = _new_chart(spec.kind)
        chart.title = spec.title
        chart.width, chart.height = CHART_WIDTH_CM, CHART_HEIGHT_CM
        if spec.kind != "pie":
            chart.legend = None  # one series: its name says nothing the title does not
        chart.add_data(_reference(worksheet, spec.values), titles_from_data=False)
        chart.set_categories(_reference(worksheet, spec.categories))
        worksheet.add_chart(chart, spec.anchor)
        logger.debug("Added %s chart %r to %s", spec.kind, spec.title, worksheet.title)


def _new_chart(kind: str) -> BarChart | PieChart:
    if kind == "pie":
        return PieChart()
    chart = BarChart()
    chart.type = "bar" if kind == "bar" else "col"
    return chart


def _reference(worksheet: object, cells: str) -> Reference:
    min_col, min_row, max_col, max_row = range_boundaries(cells)
    return Reference(worksheet, min_col=min_col, min_row=min_row, max_col=max_col, max_row=max_row)
