"""KPI and to-do tabs in a Google spreadsheet: whole-tab rewrites, links and charts."""

from __future__ import annotations

import pytest

from bridge.sheets.writeback import ChartSpec, RowLink, WriteBack
from bridge.validation import build_writeback, load_design
from tests.sheets.conftest import SPREADSHEET_ID, TOKEN, open_sheet
from tests.sheets.sheet_data import EXAMPLE_AS_OF, example_rows
from validators.engine import validate

TAB = "案件一覧"


@pytest.fixture
def spreadsheet(fake_sheets):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    spreadsheet.add_sheet(TAB, [list(row) for row in example_rows()])
    return spreadsheet


def run_with_tabs(extra_sheets, charts=()):
    design = load_design(None)[0]
    adapter = open_sheet(None)
    table = adapter.read(design)
    result = validate(table, design, EXAMPLE_AS_OF)
    writeback = build_writeback(result, "ja")
    writeback = WriteBack(
        writeback.columns, writeback.lang, writeback.marks, extra_sheets,
        writeback.hidden, list(charts),
    )  # fmt: skip
    adapter.write(table, writeback)


def kpi_rows(count: int) -> list[list]:
    return [["担当者", "件数"], *[[f"担当{i}", i * 10] for i in range(count)]]


def test_kpi_tab_replaced_each_run(spreadsheet):
    run_with_tabs({"KPI": kpi_rows(40)})
    run_with_tabs({"KPI": kpi_rows(3)})

    kpi = spreadsheet.sheet("KPI")
    expected = {(r, c): v for r, row in enumerate(kpi_rows(3)) for c, v in enumerate(row)}
    assert kpi.values == expected


def test_tab_grows_for_long_kpi(spreadsheet):
    run_with_tabs({"KPI": kpi_rows(3)})
    run_with_tabs({"KPI": kpi_rows(1_500)})
    kpi = spreadsheet.sheet("KPI")
    assert kpi.row_count >= 1_501
    assert kpi.values[(1_500, 1)] == 14_990


def test_user_tab_of_same_name_kept(spreadsheet):
    mine = spreadsheet.add_sheet("KPI", [["私のメモ"]])
    run_with_tabs({"KPI": kpi_rows(2)})
    run_with_tabs({"KPI": kpi_rows(2)})

    assert mine.values == {(0, 0): "私のメモ"}
    assert spreadsheet.sheet("KPI (bridge)").values[(0, 0)] == "担当者"
    assert [sheet.title for sheet in spreadsheet.sheets].count("KPI (bridge)") == 1


def test_todo_links_rows(spreadsheet):
    gid = spreadsheet.sheet(TAB).sheet_id
    rows = [["行", "内容"], [RowLink("行 5", 5), "=SUM(A1)"], [RowLink("行 9", 9), "確認"]]
    run_with_tabs({"要対応": rows})

    todo = spreadsheet.sheet("要対応")
    assert todo.values[(1, 0)] == "行 5"
    assert todo.links == {(1, 0): f"#gid={gid}&range=A5", (2, 0): f"#gid={gid}&range=A9"}
    assert todo.values[(1, 1)] == "=SUM(A1)"  # RAW: stored as text, never a formula


def test_charts_replaced(spreadsheet, fake_sheets):
    chart = ChartSpec("column", "KPI", "担当者別件数", "A2:A4", "B2:B4", "D2")
    pie = ChartSpec("pie", "KPI", "構成", "A2:A4", "B2:B4", "D20")
    run_with_tabs({"KPI": kpi_rows(3)}, [chart, pie])
    run_with_tabs({"KPI": kpi_rows(3)}, [chart])

    charts = list(spreadsheet.sheet("KPI").charts.values())
    assert len(charts) == 1
    spec = charts[0]["spec"]
    assert spec["title"] == "担当者別件数"
    assert spec["basicChart"]["chartType"] == "COLUMN"
    sources = spec["basicChart"]["series"][0]["series"]["sourceRange"]["sources"][0]
    assert (sources["startRowIndex"], sources["endRowIndex"]) == (1, 4)
    assert (sources["startColumnIndex"], sources["endColumnIndex"]) == (1, 2)
    anchor = charts[0]["position"]["overlayPosition"]["anchorCell"]
    assert (anchor["rowIndex"], anchor["columnIndex"]) == (1, 3)


def test_validation_keeps_tab_records(spreadsheet):
    run_with_tabs({"KPI": kpi_rows(2)})
    run_with_tabs({})  # a plain validation writes no KPI tab
    run_with_tabs({"KPI": kpi_rows(3)})

    titles = [sheet.title for sheet in spreadsheet.sheets]
    assert titles.count("KPI") == 1
    assert "KPI (bridge)" not in titles
    assert spreadsheet.sheet("KPI").values[(3, 0)] == "担当2"
