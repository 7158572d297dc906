"""Google adapter edge cases: locale and time zone, serial dates, odd headers, big sheets."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from bridge.error_messages import error_message
from bridge.errors import SheetsRequestError, SpreadsheetCellLimitError
from bridge.sheets.google_requests import append_dimension
from bridge.sheets.google_write import MAX_PAYLOAD_BYTES
from bridge.validation import build_writeback, load_design
from tests.sheets.conftest import SPREADSHEET_ID, TOKEN, open_sheet
from tests.sheets.sheet_data import EXAMPLE_AS_OF, example_rows, generated_rows
from validators.engine import validate
from validators.findings import Code
from validators.table import ManagedColumn

TAB = "案件一覧"


@pytest.fixture
def design():
    return load_design(None)[0]


def serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def small_sheet(header: list, *rows: list) -> list[list]:
    return [header, *[list(row) for row in rows]]


def test_spreadsheet_settings_win_over_design(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(
        SPREADSHEET_ID, TOKEN, locale="en_US", time_zone="America/Los_Angeles"
    )
    spreadsheet.add_sheet(TAB, [list(row) for row in example_rows()])
    table = open_sheet(None).read(design)
    assert design.sheet.time_zone == "Asia/Tokyo"
    assert table.time_zone == "America/Los_Angeles"
    assert table.locale == "en"


def test_tokyo_serial_dates_become_dates(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)  # ja_JP, Asia/Tokyo
    start, contact = dt.date(2026, 4, 1), dt.date(2026, 11, 20)
    header, first, *_ = example_rows()
    row = list(first)
    row[header.index("契約開始日")] = serial(start)
    # 23:30 on the contact day: the serial's fraction is the wall-clock time in Tokyo.
    row[header.index("最終連絡日")] = serial(contact) + 23.5 / 24
    spreadsheet.add_sheet(TAB, small_sheet(list(header), row))

    table = open_sheet(None).read(design)
    result = validate(table, design, EXAMPLE_AS_OF)

    assert table.locale == "ja"
    assert table.time_zone == "Asia/Tokyo"
    assert table.rows[0][header.index("契約開始日")] == serial(start)
    assert pd.Timestamp(result.values.at[0, "contract_start_date"]).date() == start
    assert pd.Timestamp(result.values.at[0, "last_contact_date"]).date() == contact
    assert not [f for f in result.findings if f.code is Code.INVALID_DATE]


def test_merged_header_cells(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    header, first, *_ = example_rows()
    # Two header rows: "案件ID" is merged down over rows 1-2, "会社名" spans two columns.
    top = ["案件ID"] + [""] * (len(header) - 1)
    second = [""] + list(header[1:])
    company = header.index("会社名")
    second.insert(company + 1, "")
    data = list(first[: company + 1]) + ["(merged)"] + list(first[company + 1 :])
    sheet = spreadsheet.add_sheet(TAB, [top, second, data])
    sheet.merges = [
        {"sheetId": sheet.sheet_id, "startRowIndex": 0, "endRowIndex": 2,
         "startColumnIndex": 0, "endColumnIndex": 1},
        {"sheetId": sheet.sheet_id, "startRowIndex": 1, "endRowIndex": 2,
         "startColumnIndex": company, "endColumnIndex": company + 2},
    ]  # fmt: skip
    design = design.model_copy(update={"sheet": design.sheet.model_copy(update={"header_row": 2})})

    table = open_sheet(None).read(design)
    result = validate(table, design, EXAMPLE_AS_OF)

    assert table.headers[0] == "案件ID"
    assert table.headers[company] == "会社名"
    assert table.headers[company + 1] is None or table.headers[company + 1] == ""
    assert result.binding.column("deal_id").index == 0
    flagged = {
        f.column_letter for f in result.findings if f.row == 2 and f.code is Code.HEADER_PROBLEM
    }
    assert result.binding.columns[company + 1].letter in flagged  # the blank covered cell
    assert "A" not in flagged


def test_trailing_empty_columns_dropped(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    rows = [list(row) + ["", "", ""] for row in example_rows()]
    sheet = spreadsheet.add_sheet(TAB, rows, column_count=60)
    width = len(example_rows()[0])

    adapter = open_sheet(None)
    table = adapter.read(design)
    result = validate(table, design, EXAMPLE_AS_OF)
    adapter.write(table, build_writeback(result, "ja"))

    assert len(table.headers) == width
    assert sheet.values[(0, width)] == "検証ステータス"  # right after the last user column


@pytest.mark.parametrize("row_count", [10, 1_000, 50_000])
def test_api_calls_per_validation(fake_sheets, design, row_count):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    spreadsheet.add_sheet(TAB, generated_rows(row_count))

    for _ in range(2):  # the first run adds the managed columns, the second finds them
        fake_sheets.calls.clear()
        adapter = open_sheet(None)
        table = adapter.read(design)
        result = validate(table, design, EXAMPLE_AS_OF)
        adapter.write(table, build_writeback(result, "ja"))
        assert len(table.rows) == row_count
        assert fake_sheets.api_calls() == 4
        assert fake_sheets.calls["spreadsheets.values.batchUpdate"] == 1
        assert fake_sheets.calls["spreadsheets.batchUpdate"] == 1


def test_sheet_of_5000_rows(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    rows = generated_rows(5_000)
    sheet = spreadsheet.add_sheet(TAB, rows)
    # Every 100th deal lacks its company name, which the design requires.
    company = rows[0].index("会社名")
    for number in range(1, 5_001, 100):
        rows[number][company] = ""
        sheet.values.pop((number, company), None)

    adapter = open_sheet(None)
    table = adapter.read(design)
    result = validate(table, design, EXAMPLE_AS_OF)
    adapter.write(table, build_writeback(result, "ja"))

    missing = {f.row for f in result.findings if f.code is Code.MISSING_REQUIRED}
    assert missing == {number + 1 for number in range(1, 5_001, 100)}
    status = len(table.headers)
    error_text = {sheet.values[(row - 1, status)] for row in missing}
    assert len(error_text) == 1
    assert sum(1 for r in range(1, 5_001) if sheet.values[(r, status)] in error_text) == 50
    marks = table.managed.get(ManagedColumn.MARKS, status + 4)
    marked = {row: text for row in range(1, 5_001) if (text := sheet.values.get((row, marks)))}
    assert marked == {row - 1: f"|{company + 1}e|" for row in missing}
    assert sheet.notes == {}


def big_findings_sheet(fake_sheets, rows: int) -> None:
    """Add a sheet whose findings texts make the value write about 15 MB."""
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    grid = generated_rows(rows)
    # Long remarks in an unknown-option column make every row's findings text long.
    industry = grid[0].index("業種")
    for row in grid[1:]:
        row[industry] = "未分類の業種" * 40
    spreadsheet.add_sheet(TAB, grid)


def test_big_payload_split(fake_sheets, design):
    big_findings_sheet(fake_sheets, 20_000)

    adapter = open_sheet(None)
    table = adapter.read(design)
    result = validate(table, design, EXAMPLE_AS_OF)
    writeback = build_writeback(result, "ja")
    adapter.write(table, writeback)

    assert fake_sheets.calls["spreadsheets.values.batchUpdate"] == 2
    # Highlights are two conditional format rules, not a request per cell.
    assert fake_sheets.calls["spreadsheets.batchUpdate"] == 1
    assert fake_sheets.refused_sizes == []
    assert max(fake_sheets.body_sizes) <= MAX_PAYLOAD_BYTES
    sheet = fake_sheets.spreadsheets[SPREADSHEET_ID].sheet(TAB)
    findings_column = table.managed.get(ManagedColumn.FINDINGS, len(table.headers) + 1)
    written = [sheet.values.get((row, findings_column)) for row in range(1, 20_001)]
    assert written == writeback.columns[ManagedColumn.FINDINGS]
    industry = table.headers.index("業種")
    marks = table.managed.get(ManagedColumn.MARKS, findings_column + 3)
    marked = [sheet.values.get((row, marks)) for row in range(1, 20_001)]
    assert marked == [f"|{industry + 1}e|"] * 20_000
    assert sheet.notes == {}


def test_body_over_10_mib_refused(fake_sheets, design):
    # The response Google returns when the splitting is turned off.
    big_findings_sheet(fake_sheets, 20_000)

    adapter = open_sheet(None, max_payload_bytes=64 * 2**20)
    table = adapter.read(design)
    result = validate(table, design, EXAMPLE_AS_OF)
    with pytest.raises(SheetsRequestError) as raised:
        adapter.write(table, build_writeback(result, "ja"))

    assert len(fake_sheets.refused_sizes) == 1
    assert fake_sheets.refused_sizes[0] > 10 * 2**20
    assert "Request payload size exceeds the limit: 10485760 bytes." in str(raised.value)


def test_small_payload_limit_splits_requests(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    sheet = spreadsheet.add_sheet(TAB, [list(row) for row in example_rows()])

    adapter = open_sheet(None, max_payload_bytes=3_000)
    table = adapter.read(design)
    result = validate(table, design, EXAMPLE_AS_OF)
    adapter.write(table, build_writeback(result, "ja"))

    assert fake_sheets.calls["spreadsheets.batchUpdate"] > 1
    assert fake_sheets.calls["spreadsheets.values.batchUpdate"] > 1
    requests = [request for call in fake_sheets.requests if call["method"] == "spreadsheets.batchUpdate"
                for request in call["body"]["requests"]]  # fmt: skip
    kinds = [next(iter(request)) for request in requests]
    assert kinds.count("createDeveloperMetadata") == 5
    assert kinds.count("addConditionalFormatRule") == 2
    assert len(sheet.conditional_formats) == 2
    assert len(table.headers) + 4 in sheet.hidden_columns


def test_cell_limit_stops_before_writing(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    rows = [list(row) for row in example_rows()]
    width = len(rows[0])
    grid_rows = 9_900_000 // width  # a grid just under 10 million cells, mostly empty
    spreadsheet.add_sheet(TAB, rows, row_count=grid_rows)

    adapter = open_sheet(None)
    table = adapter.read(design)
    result = validate(table, design, EXAMPLE_AS_OF)
    with pytest.raises(SpreadsheetCellLimitError) as raised:
        adapter.write(table, build_writeback(result, "ja"))

    assert fake_sheets.calls["spreadsheets.batchUpdate"] == 0
    assert fake_sheets.calls["spreadsheets.values.batchUpdate"] == 0
    assert raised.value.cells == grid_rows * width
    assert raised.value.needed > 10_000_000
    japanese = error_message(raised.value, "ja")
    assert f"{grid_rows * width:,}" in japanese
    assert "10,000,000" in japanese
    assert "Nothing was written" in error_message(raised.value, "en")


def test_fake_refuses_grid_past_cell_limit(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    sheet = spreadsheet.add_sheet(TAB, [list(row) for row in example_rows()])
    adapter = open_sheet(None)
    adapter.read(design)
    grow = {"requests": [append_dimension(sheet.sheet_id, "ROWS", 10_000_000)]}

    with pytest.raises(SheetsRequestError) as raised:
        adapter.call(lambda http: http.batch_update(SPREADSHEET_ID, grow))

    assert "above the limit of 10000000 cells" in raised.value.reason
    assert sheet.row_count < 10_000
