"""Highlights in Google Sheets: conditional format rules over a hidden marks column."""

from __future__ import annotations

import copy

import pytest

from bridge.sheets.google_highlights import (
    HIGHLIGHT_COLOURS,
    HighlightArea,
    highlight_formula,
    marks_texts,
)
from bridge.sheets.google_layout import METADATA_KEY
from bridge.sheets.managed import MANAGED_HEADERS, STATE_SHEET
from bridge.sheets.writeback import CellMark
from bridge.validation import build_writeback, load_design
from tests.fakes.sheets import (
    FakeApiError,
    apply_field_mask,
    check_field_mask,
    check_rule,
    parse_field_mask,
)
from tests.sheets.conftest import SPREADSHEET_ID, TOKEN, open_sheet
from tests.sheets.formula import evaluate, highlighted_cells, parse
from tests.sheets.sheet_data import EXAMPLE_AS_OF, example_rows
from validators.engine import validate
from validators.findings import Severity, column_letter
from validators.table import ManagedColumn

TAB = "案件一覧"
RULE_REQUESTS = (
    "addConditionalFormatRule",
    "updateConditionalFormatRule",
    "deleteConditionalFormatRule",
)
USER_BACKGROUND = {"red": 0.2, "green": 0.4, "blue": 1.0}


@pytest.fixture
def design():
    return load_design(None)[0]


def example_with_faults() -> list[list]:
    """Return the example sheet with three more findings in row 2: two errors and a warning."""
    rows = [list(row) for row in example_rows()]
    header = rows[0]
    rows[1][header.index("郵便番号")] = "abc"  # K: invalid_postal_code
    rows[1][header.index("契約金額")] = "未定"  # R: invalid_number
    rows[1][header.index("最終連絡日")] = "2025年1月1日"  # V: contact_overdue
    return rows


@pytest.fixture
def spreadsheet(fake_sheets):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    spreadsheet.add_sheet(TAB, example_with_faults())
    return spreadsheet


def run_validation(design, fake_sheets):
    """Validate and write back as ``bridge validate`` does, then return the table, result and requests."""
    fake_sheets.calls.clear()
    first_request = len(fake_sheets.requests)
    adapter = open_sheet(None)
    table = adapter.read(design)
    result = validate(table, design, EXAMPLE_AS_OF)
    adapter.write(table, build_writeback(result, "ja"))
    assert fake_sheets.api_calls() == 4
    return table, result, fake_sheets.requests[first_request:]


def sent_requests(requests, kind=None):
    """Return the spreadsheets.batchUpdate requests among ``requests``, of ``kind`` if given."""
    found = [
        request
        for call in requests
        if call["method"] == "spreadsheets.batchUpdate"
        for request in call["body"]["requests"]
    ]
    return [request for request in found if kind is None or kind in request]


def cell_requests_on(requests, sheet_id: int) -> list[dict]:
    """Return the requests among ``requests`` that write cells of the tab ``sheet_id``."""
    found = []
    for request in sent_requests(requests):
        spec = request.get("updateCells") or request.get("repeatCell")
        if spec is None:
            continue
        where = spec.get("range") or spec.get("start")
        if where.get("sheetId", 0) == sheet_id:
            found.append(request)
    return found


def expected_highlights(table, result) -> dict[tuple[int, int], str]:
    """Return the severity per 0-based cell from the findings, errors winning."""
    letters = {column.letter: column.index for column in result.binding.columns}
    cells: dict[tuple[int, int], str] = {}
    for finding in result.findings:
        if not finding.row or finding.row < table.first_data_row:
            continue
        if finding.column_letter not in letters:
            continue
        cell = (finding.row - 1, letters[finding.column_letter])
        if cells.get(cell) != "error":
            cells[cell] = "error" if finding.severity is Severity.ERROR else "warning"
    return cells


def marks_column(spreadsheet, sheet) -> int:
    found = [
        item["location"]["dimensionRange"]["startIndex"]
        for item in spreadsheet.metadata.values()
        if item["metadataKey"] == METADATA_KEY
        and item["metadataValue"] == ManagedColumn.MARKS.value
        and item["location"]["dimensionRange"]["sheetId"] == sheet.sheet_id
    ]
    assert len(found) == 1
    return found[0]


def user_rule(sheet, formula_or_text: str) -> dict:
    """Return a rule of the user's over A2:C50 in green, as the fake stores it."""
    if formula_or_text.startswith("="):
        condition = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula_or_text}]}
    else:
        condition = {"type": "TEXT_CONTAINS", "values": [{"userEnteredValue": formula_or_text}]}
    return {
        "ranges": [{"sheetId": sheet.sheet_id, "startRowIndex": 1, "endRowIndex": 50,
                    "startColumnIndex": 0, "endColumnIndex": 3}],
        "booleanRule": {"condition": condition,
                        "format": {"backgroundColor": {"red": 0.7, "green": 1.0, "blue": 0.7}}},
    }  # fmt: skip


# -- the marks text and the formula ---------------------------------------------------


def test_marks_text_errors_win():
    marks = [
        CellMark(0, 6, "warning", "a"),
        CellMark(0, 2, "error", "b"),
        CellMark(0, 6, "error", "c"),
        CellMark(0, 2, "warning", "f"),
        CellMark(0, 12, "warning", "d"),
        CellMark(2, 0, "warning", "e"),
    ]
    assert marks_texts(3, marks) == ["|3e|7e|13w|", "", "|1w|"]


def test_formula_matches_own_column_only():
    area = HighlightArea(sheet_id=0, first_row=1, end_row=10, end_column=20, marks_column=25)
    error_rule = parse(highlight_formula("error", area))
    warning_rule = parse(highlight_formula("warning", area))
    cells = {(1, 25): "|3e|13w|", (4, 25): "|1e|"}

    def matches(rule, row, column):
        return evaluate(rule, cells.get, row - 1, column)

    assert highlight_formula("error", area) == '=REGEXMATCH($Z2,"\\|"&COLUMN(A2)&"e\\|")'
    assert [column for column in range(20) if matches(error_rule, 1, column)] == [2]
    assert [column for column in range(20) if matches(warning_rule, 1, column)] == [12]
    assert [column for column in range(20) if matches(error_rule, 4, column)] == [0]
    assert not any(matches(error_rule, 2, column) for column in range(20))


def test_unanchored_formula_would_fail():
    # The interpreter distinguishes a wrong formula: without the "|" before the
    # number, "|13e|" would highlight column C (3) as well.
    wrong = parse('=REGEXMATCH($Z2,COLUMN(A2)&"e\\|")')
    assert evaluate(wrong, {(1, 25): "|13e|"}.get, 0, 2) is True


# -- runs against the fake ----------------------------------------------------------


def test_first_run_adds_rules_and_marks(spreadsheet, design, fake_sheets):
    table, result, requests = run_validation(design, fake_sheets)
    sheet = spreadsheet.sheet(TAB)
    marks = marks_column(spreadsheet, sheet)

    added = sent_requests(requests, "addConditionalFormatRule")
    assert len(added) == 2
    assert len(sent_requests(requests, "updateConditionalFormatRule")) == 0
    assert len(sheet.conditional_formats) == 2
    assert marks == len(table.headers) + 4  # after status, findings, score and grade
    assert marks in sheet.hidden_columns
    assert sheet.values[(0, marks)] == MANAGED_HEADERS[ManagedColumn.MARKS]["ja"]
    assert sheet.values[(1, marks)] == "|11e|18e|22w|"

    expected = expected_highlights(table, result)
    texts = {row: sheet.values.get((row, marks), "") for row in range(1, table.row_count + 1)}
    flagged_rows = {row for row, _ in expected}
    assert {row for row, text in texts.items() if text} == flagged_rows
    assert highlighted_cells(sheet) == expected
    assert sheet.notes == {}
    assert sheet.backgrounds == {}


def test_rules_cover_user_columns(spreadsheet, design, fake_sheets):
    table, _, _ = run_validation(design, fake_sheets)
    sheet = spreadsheet.sheet(TAB)
    marks = marks_column(spreadsheet, sheet)

    for rule in sheet.conditional_formats:
        (grid,) = rule["ranges"]
        assert grid.get("startRowIndex", 0) == 1
        assert grid["endRowIndex"] == sheet.row_count
        assert grid.get("startColumnIndex", 0) == 0
        assert grid["endColumnIndex"] == len(table.headers)
        assert grid.get("sheetId", 0) == sheet.sheet_id
    formulas = [rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
                for rule in sheet.conditional_formats]  # fmt: skip
    letters = column_letter(marks + 1)
    assert formulas == [
        f'=REGEXMATCH(${letters}2,"\\|"&COLUMN(A2)&"e\\|")',
        f'=REGEXMATCH(${letters}2,"\\|"&COLUMN(A2)&"w\\|")',
    ]


def test_rerun_keeps_user_formats(spreadsheet, design, fake_sheets):
    sheet = spreadsheet.sheet(TAB)
    header = example_rows()[0]
    flagged = (1, header.index("契約金額"))  # the invalid amount in row 2
    plain = (3, header.index("会社名"))
    for cell in (flagged, plain):
        sheet.notes[cell] = "ユーザーのメモ"
        sheet.backgrounds[cell] = dict(USER_BACKGROUND)
    notes_before, backgrounds_before = dict(sheet.notes), dict(sheet.backgrounds)

    run_validation(design, fake_sheets)
    rules_after_first = [dict(rule) for rule in sheet.conditional_formats]
    table, result, requests = run_validation(design, fake_sheets)

    assert sheet.notes == notes_before
    assert sheet.backgrounds == backgrounds_before
    assert sheet.conditional_formats == rules_after_first
    assert [request for kind in RULE_REQUESTS for request in sent_requests(requests, kind)] == []
    assert cell_requests_on(requests, sheet.sheet_id) == []
    highlights = highlighted_cells(sheet)
    assert highlights[flagged] == "error"  # drawn over the user's own background
    assert highlights == expected_highlights(table, result)


@pytest.mark.parametrize("index", [1, 60], ids=["above-data", "inside-data"])
def test_inserted_row_keeps_highlights(spreadsheet, design, fake_sheets, index):
    run_validation(design, fake_sheets)
    sheet = spreadsheet.sheet(TAB)
    before = highlighted_cells(sheet)

    spreadsheet.insert_rows(TAB, index)  # the user inserts a row, before any new run

    moved = {(row + 1 if row >= index else row, column): severity
             for (row, column), severity in before.items()}  # fmt: skip
    assert highlighted_cells(sheet) == moved

    table, result, requests = run_validation(design, fake_sheets)

    assert sent_requests(requests, "addConditionalFormatRule") == []
    updates = sent_requests(requests, "updateConditionalFormatRule")
    # Above the data the range moved down a row, so both rules are put back on row 2.
    assert len(updates) == (2 if index == 1 else 0)
    assert len(sheet.conditional_formats) == 2
    assert expected_highlights(table, result) == moved
    assert highlighted_cells(sheet) == moved
    assert sheet.notes == {}


def test_user_rules_survive(spreadsheet, design, fake_sheets):
    sheet = spreadsheet.sheet(TAB)
    mine = [
        check_rule(spreadsheet, user_rule(sheet, '=$D2="失注"'))[1],
        check_rule(spreadsheet, user_rule(sheet, "要確認"))[1],
    ]
    sheet.conditional_formats.extend(mine)

    run_validation(design, fake_sheets)
    table, result, requests = run_validation(design, fake_sheets)

    assert len(sheet.conditional_formats) == 4
    assert sheet.conditional_formats[2:] == mine  # the bridge's two come first
    assert highlighted_cells(sheet) == expected_highlights(table, result)


def test_broken_rules_repaired(spreadsheet, design, fake_sheets):
    run_validation(design, fake_sheets)
    sheet = spreadsheet.sheet(TAB)
    error_rule, warning_rule = sheet.conditional_formats
    # The user copied cells, which copied the error rule, and the warning rule
    # lost its marks column.
    sheet.conditional_formats.insert(1, copy.deepcopy(error_rule))
    condition = warning_rule["booleanRule"]["condition"]
    condition["values"][0]["userEnteredValue"] = '=REGEXMATCH(#REF!,"\\|"&COLUMN(A2)&"w\\|")'
    warning_rule["ranges"][0]["endColumnIndex"] -= 3

    table, result, requests = run_validation(design, fake_sheets)

    assert sent_requests(requests, "deleteConditionalFormatRule") == [
        {"deleteConditionalFormatRule": {"sheetId": sheet.sheet_id, "index": 1}}
    ]
    (update,) = sent_requests(requests, "updateConditionalFormatRule")
    assert update["updateConditionalFormatRule"]["index"] == 1  # index 2 before the delete
    assert sent_requests(requests, "addConditionalFormatRule") == []
    assert len(sheet.conditional_formats) == 2
    assert highlighted_cells(sheet) == expected_highlights(table, result)


def test_legacy_marks_undone_once(spreadsheet, design, fake_sheets):
    sheet = spreadsheet.sheet(TAB)
    memo = spreadsheet.add_sheet("メモ", [["メモ"]])
    spreadsheet.add_sheet("KPI", [["担当者", "件数"]])
    spreadsheet.add_sheet(STATE_SHEET, [
        ["kind", "sheet", "cell", "note"],
        ["tab", "KPI", "", ""],
        ["tab", "消えたタブ", "", ""],
        ["mark", TAB, "C5", ""],
        ["mark", TAB, "ZZ5000", ""],
        ["mark", "メモ", "A1", ""],
    ], hidden=True)  # fmt: skip
    # What an older version wrote into C5 and A1 of the memo tab.
    legacy = {"red": 1.0, "green": 0.78, "blue": 0.81}
    sheet.backgrounds[(4, 2)], sheet.notes[(4, 2)] = dict(legacy), "古い指摘"
    memo.backgrounds[(0, 0)], memo.notes[(0, 0)] = dict(legacy), "古い指摘"

    run_validation(design, fake_sheets)

    assert (4, 2) not in sheet.backgrounds
    assert (4, 2) not in sheet.notes
    assert memo.backgrounds == {(0, 0): legacy}
    assert spreadsheet.sheet(STATE_SHEET).grid() == [
        ["kind", "sheet", "cell", "note"],
        ["tab", "KPI"],
        ["mark", "メモ", "A1"],
    ]

    # The user colours C5 after the migration; the next run leaves it alone.
    sheet.backgrounds[(4, 2)], sheet.notes[(4, 2)] = dict(USER_BACKGROUND), "ユーザーのメモ"
    _, _, requests = run_validation(design, fake_sheets)

    assert sheet.backgrounds == {(4, 2): USER_BACKGROUND}
    assert sheet.notes == {(4, 2): "ユーザーのメモ"}
    assert cell_requests_on(requests, sheet.sheet_id) == []
    assert memo.backgrounds == {(0, 0): legacy}


def test_call_count_with_rules(spreadsheet, design, fake_sheets):
    for _ in range(3):
        _, _, requests = run_validation(design, fake_sheets)
        assert fake_sheets.calls["spreadsheets.get"] == 1
        assert fake_sheets.calls["spreadsheets.batchUpdate"] == 1
        assert fake_sheets.calls["spreadsheets.values.batchUpdate"] == 1


# -- the fake's checks ---------------------------------------------------------------


def bad_rules(sheet_id: int) -> dict[str, dict]:
    grid = {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": 5,
            "startColumnIndex": 0, "endColumnIndex": 3}  # fmt: skip
    formula = {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=A2>1"}]}
    red = {"backgroundColor": {"red": 1.0}}

    def rule(**parts):
        return {"ranges": [grid], "booleanRule": {"condition": formula, "format": red}, **parts}

    return {
        "no range": rule(ranges=[]),
        "two sheets": rule(ranges=[grid, {**grid, "sheetId": sheet_id + 1}]),
        "outside grid": rule(ranges=[{**grid, "endRowIndex": 5000}]),
        "boolean and gradient": rule(gradientRule={}),
        "formula without =": rule(booleanRule={
            "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "A2>1"}]}}),
        "two formulas": rule(booleanRule={"condition": {
            "type": "CUSTOM_FORMULA",
            "values": [{"userEnteredValue": "=A2"}, {"userEnteredValue": "=B2"}]}}),
        "validation-only type": rule(booleanRule={"condition": {"type": "TEXT_IS_EMAIL"}}),
        "relative date on text": rule(booleanRule={"condition": {
            "type": "TEXT_CONTAINS", "values": [{"relativeDate": "TODAY"}]}}),
        "number format": rule(booleanRule={"condition": formula,
                                           "format": {"numberFormat": {"type": "TEXT"}}}),
        "underline": rule(booleanRule={"condition": formula,
                                       "format": {"textFormat": {"underline": True}}}),
        "colour above 1": rule(booleanRule={"condition": formula,
                                            "format": {"backgroundColor": {"red": 255}}}),
    }  # fmt: skip


@pytest.mark.parametrize("case", list(bad_rules(0)))
def test_fake_rejects_bad_rule(fake_sheets, case):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    sheet = spreadsheet.add_sheet(TAB, [["a", "b", "c"]], row_count=100)
    with pytest.raises(FakeApiError) as caught:
        check_rule(spreadsheet, bad_rules(sheet.sheet_id)[case])
    assert caught.value.status == 400


def test_fake_stores_rules_as_api_returns(fake_sheets):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    sheet = spreadsheet.add_sheet(TAB, [["a"]], row_count=10)
    area = HighlightArea(sheet_id=sheet.sheet_id, first_row=1, end_row=10, end_column=1,
                         marks_column=0)  # fmt: skip
    rule = {
        "ranges": [{"sheetId": sheet.sheet_id, "startRowIndex": 1, "endRowIndex": 10,
                    "startColumnIndex": 0, "endColumnIndex": 1}],
        "booleanRule": {
            "condition": {"type": "CUSTOM_FORMULA",
                          "values": [{"userEnteredValue": highlight_formula("error", area)}]},
            "format": {"backgroundColor": HIGHLIGHT_COLOURS["error"]},
        },
    }  # fmt: skip
    _, stored = check_rule(spreadsheet, rule)
    (grid,) = stored["ranges"]
    assert grid == {"startRowIndex": 1, "endRowIndex": 10, "endColumnIndex": 1}
    colour = stored["booleanRule"]["format"]["backgroundColor"]
    assert colour["green"] == round(0.78 * 255) / 255
    assert stored["booleanRule"]["format"]["backgroundColorStyle"] == {"rgbColor": colour}


def test_fake_applies_field_mask(spreadsheet, design, fake_sheets):
    run_validation(design, fake_sheets)
    response = fake_sheets._whole_spreadsheet(spreadsheet)
    selection = parse_field_mask("sheets(properties/title,conditionalFormats)")

    masked = apply_field_mask(response, selection)

    assert set(masked) == {"sheets"}
    data_tab, state_tab = masked["sheets"]
    assert set(data_tab) == {"properties", "conditionalFormats"}
    assert data_tab["properties"] == {"title": TAB}
    assert state_tab == {"properties": {"title": STATE_SHEET}}
    with pytest.raises(FakeApiError, match="no field 'conditionalFormat'"):
        check_field_mask(parse_field_mask("sheets(conditionalFormat)"), "Spreadsheet", "x")
