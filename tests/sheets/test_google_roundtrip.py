"""Google adapter against the fake Sheets API: reading, writing back, finding columns again."""

from __future__ import annotations

import pandas as pd
import pytest

from bridge.sheets.google_layout import METADATA_KEY
from bridge.sheets.managed import MANAGED_HEADERS, STATE_SHEET
from bridge.validation import build_writeback, load_design
from tests.sheets.conftest import SPREADSHEET_ID, TOKEN, open_sheet
from tests.sheets.formula import highlighted_cells
from tests.sheets.sheet_data import EXAMPLE_AS_OF, example_rows
from validators.engine import validate
from validators.findings import Severity
from validators.table import ManagedColumn

TAB = "案件一覧"


@pytest.fixture
def design():
    return load_design(None)[0]


@pytest.fixture
def spreadsheet(fake_sheets):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    spreadsheet.add_sheet("メモ", [["これはメモです"]])
    spreadsheet.add_sheet(TAB, [list(row) for row in example_rows()])
    return spreadsheet


def run_validation(design, **options):
    adapter = open_sheet(None, **options)
    table = adapter.read(design)
    result = validate(table, design, EXAMPLE_AS_OF)
    adapter.write(table, build_writeback(result, "ja"))
    return table, result


def user_cells(sheet, width):
    return {cell: value for cell, value in sheet.values.items() if cell[1] < width}


def test_read_returns_raw_values(spreadsheet, design):
    table = open_sheet(None).read(design)
    header, *data = example_rows()
    expected = pd.DataFrame([list(row) for row in data]).replace("", None)
    expected = expected.loc[: expected.notna().any(axis=1)[::-1].idxmax()]  # trailing blank rows
    actual = pd.DataFrame(table.rows).replace("", None)

    assert table.title == TAB
    assert table.headers == list(header)
    assert actual.shape == expected.shape
    assert actual.equals(expected)


def test_text_digits_stay_text(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    spreadsheet.add_sheet(TAB, [["案件ID", "郵便番号", "契約金額"], ["0123", "0010012", 1200]])
    table = open_sheet(None).read(design)
    assert table.rows[0] == ["0123", "0010012", 1200]


def test_write_keeps_user_cells(spreadsheet, design):
    sheet = spreadsheet.sheet(TAB)
    width = len(example_rows()[0])
    before = user_cells(sheet, width)
    memo_before = dict(spreadsheet.sheet("メモ").values)

    run_validation(design)
    run_validation(design)

    assert user_cells(sheet, width) == before
    assert spreadsheet.sheet("メモ").values == memo_before


def test_write_adds_marked_managed_columns(spreadsheet, design, fake_sheets):
    table, result = run_validation(design)
    sheet = spreadsheet.sheet(TAB)
    width = len(table.headers)
    written = [
        ManagedColumn.STATUS,
        ManagedColumn.FINDINGS,
        ManagedColumn.SCORE,
        ManagedColumn.GRADE,
        ManagedColumn.MARKS,
    ]

    headers = [sheet.values.get((0, width + offset)) for offset in range(len(written))]
    assert headers == [MANAGED_HEADERS[column]["ja"] for column in written]
    marked = {
        item["metadataValue"]: item["location"]["dimensionRange"]["startIndex"]
        for item in spreadsheet.metadata.values()
        if item["metadataKey"] == METADATA_KEY
    }
    assert marked == {column.value: width + offset for offset, column in enumerate(written)}
    assert all(item["visibility"] == "DOCUMENT" for item in spreadsheet.metadata.values())
    assert sheet.hidden_columns == {width + 4}  # the marks column
    assert sheet.frozen_rows == 1
    assert spreadsheet.sheet(STATE_SHEET).hidden


def test_status_column_matches_findings(spreadsheet, design):
    table, result = run_validation(design)
    sheet = spreadsheet.sheet(TAB)
    status_column = len(table.headers)
    error_rows = {f.row for f in result.findings if f.severity is Severity.ERROR and f.row > 1}
    blank_rows = {
        number for number, row in enumerate(example_rows()[1:], start=2)
        if all(value in ("", None) for value in row)
    }  # fmt: skip

    statuses = {
        number: sheet.values.get((number - 1, status_column))
        for number in range(2, len(table.rows) + 2)
    }
    error_text = {statuses[row] for row in error_rows}
    assert len(error_text) == 1
    others = {statuses[row] for row in statuses if row not in error_rows | blank_rows}
    assert error_text.isdisjoint(others)


def test_highlights_match_flagged_cells(spreadsheet, design):
    table, result = run_validation(design)
    sheet = spreadsheet.sheet(TAB)
    letters = {column.letter: column.index for column in result.binding.columns}
    flagged = {
        (finding.row - 1, letters[finding.column_letter])
        for finding in result.findings
        if finding.row and finding.row > 1 and finding.column_letter in letters
    }
    assert set(highlighted_cells(sheet)) == flagged
    assert sheet.notes == {}  # no notes in Google Sheets
    assert sheet.backgrounds == {}  # conditional formatting only


def test_rerun_clears_fixed_cells_highlight(spreadsheet, design):
    table, result = run_validation(design)
    sheet = spreadsheet.sheet(TAB)
    row, column = min(highlighted_cells(sheet))
    # The user deletes the whole faulty row's contents; its cells stop being flagged.
    for cell in [cell for cell in sheet.values if cell[0] == row and cell[1] < len(table.headers)]:
        del sheet.values[cell]

    run_validation(design)

    assert (row, column) not in highlighted_cells(sheet)


def test_rerun_finds_moved_renamed_columns(spreadsheet, design):
    table, _ = run_validation(design)
    sheet = spreadsheet.sheet(TAB)
    status_index = len(table.headers)
    columns_before = sheet.column_count
    # The user drags the status column to the far left and renames it.
    spreadsheet.move_column(TAB, status_index, 0)
    sheet.values[(0, 0)] = "チェック結果"
    for row in range(1, len(table.rows) + 1):
        sheet.values.pop((row, 0), None)

    table2, result2 = run_validation(design)

    assert table2.managed[ManagedColumn.STATUS] == 0
    assert sheet.column_count == columns_before
    assert sheet.values[(0, 0)] == "チェック結果"
    assert all((row, 0) in sheet.values for row in range(1, len(table.rows) + 1)
               if result2.rows.at[row - 1, "status"] != "blank")  # fmt: skip
    keys = [item["metadataValue"] for item in spreadsheet.metadata.values()]
    assert sorted(keys) == sorted(set(keys))


def test_grid_grows_for_managed_columns(fake_sheets, design):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    header, *data = example_rows()
    sheet = spreadsheet.add_sheet(TAB, [list(row) for row in example_rows()])
    assert sheet.column_count == len(header)  # the grid ends at the last user column

    run_validation(design)

    assert sheet.column_count == len(header) + 5
    assert sheet.values[(0, len(header) + 3)] == MANAGED_HEADERS[ManagedColumn.GRADE]["ja"]
    assert sheet.values[(0, len(header) + 4)] == MANAGED_HEADERS[ManagedColumn.MARKS]["ja"]


def test_values_written_raw(spreadsheet, design, fake_sheets):
    run_validation(design)
    bodies = [
        r["body"] for r in fake_sheets.requests if r["method"] == "spreadsheets.values.batchUpdate"
    ]
    assert bodies
    assert {body["valueInputOption"] for body in bodies} == {"RAW"}


def data_tab_ranges(fake_sheets) -> list[str]:
    """Return the ranges of the data tab that the last values.batchUpdate wrote."""
    body = [r["body"] for r in fake_sheets.requests
            if r["method"] == "spreadsheets.values.batchUpdate"][-1]  # fmt: skip
    return [item["range"] for item in body["data"] if item["range"].startswith(f"'{TAB}'")]


def test_rerun_writes_only_changed_rows(spreadsheet, design, fake_sheets):
    table, first = run_validation(design)
    sheet = spreadsheet.sheet(TAB)
    first_ranges = data_tab_ranges(fake_sheets)

    run_validation(design)  # nothing changed in the sheet
    unchanged_ranges = data_tab_ranges(fake_sheets)

    # The user fixes one flagged cell: only that row's managed cells change.
    finding = next(f for f in first.findings if f.code.value == "invalid_email")
    column = table.headers.index(finding.column)
    sheet.values[(finding.row - 1, column)] = "fixed@example.co.jp"
    _, third = run_validation(design)
    fixed_ranges = data_tab_ranges(fake_sheets)

    assert first_ranges
    assert unchanged_ranges == []
    [fixed] = fixed_ranges
    start, stop = fixed.split("!")[1].split(":")
    assert start.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == str(finding.row)
    assert stop.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == str(finding.row)
    status_column = len(table.headers)  # the first managed column, right of the data
    expected = build_writeback(third, "ja").columns[ManagedColumn.STATUS][finding.row - 2]
    assert sheet.values[(finding.row - 1, status_column)] == expected
