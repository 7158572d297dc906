"""Tests of the local workbook adapter: reading .xlsx/.csv tabs and writing results back."""

from __future__ import annotations

import codecs
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName

from bridge import errors
from bridge.error_messages import error_message
from bridge.sheets import (
    MANAGED_HEADERS,
    CellMark,
    WriteBack,
    default_output_path,
    local_csv,
    local_paths,
    read_local,
    write_local,
)
from bridge.sheets.local_xlsx_marks import FILL_COLOURS
from validators.table import ManagedColumn, SheetTable

USER_FILL = "FF00B0F0"  # a blue that no bridge highlight uses


# --- fixtures ---------------------------------------------------------------


def set_cached_value(path: Path, formula: str, cached: str) -> None:
    """Give a formula written by openpyxl the cached result Excel would store."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    old = f"<f>{formula}</f><v />"
    assert old in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        old, f"<f>{formula}</f><v>{cached}</v>"
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def make_deals_xlsx(path: Path) -> Path:
    """Write a deal sheet with formulas, types, a merged header, a user fill and a comment."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Deals"
    sheet.append(["会社", "連絡先", None, "金額", "倍額", "受注", "開始日", "会社", None])
    sheet.merge_cells("B1:C1")
    sheet.append(["A社", "山田", "03-1234", 100, "=D2*2", True, datetime(2024, 4, 1), "x", None])
    sheet.append(["B社", "0123", None, 2.5, "=D3*2", False, None, None, None])
    sheet.append(["C社", "=1+1", "#REF!", None, None, None, None, None, None])
    sheet["B2"].fill = PatternFill(fill_type="solid", fgColor=USER_FILL)
    sheet["A3"].comment = Comment("確認中", "Yamada")
    sheet.column_dimensions["I"].width = 30  # formatted but empty: dropped from the table
    workbook.save(path)
    set_cached_value(path, "D2*2", "200")
    return path


def make_csv(path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(path: Path) -> str:
    """Return a .csv file's text with its line ends as written."""
    return path.read_bytes().decode("utf-8-sig")


def cell_contents(path: Path, sheet: str) -> dict[str, Any]:
    """Return every non-empty cell of a tab, formulas as written (not their results)."""
    workbook = openpyxl.load_workbook(path)
    contents = {}
    for row in workbook[sheet].iter_rows():
        for cell in row:
            if cell.value is not None:
                contents[cell.coordinate] = (cell.value, cell.data_type)
    return contents


def validation_result(table: SheetTable, **changes: Any) -> WriteBack:
    """Return a typical write-back for ``table``: status, findings, score and a hidden hash."""
    count = len(table.rows)
    result = WriteBack(
        columns={
            ManagedColumn.STATUS: ["OK"] * count,
            ManagedColumn.FINDINGS: [None] * count,
            ManagedColumn.SCORE: list(range(count)),
            ManagedColumn.CONTENT_HASH: ["h"] * count,
        },
        lang="ja",
        hidden={ManagedColumn.CONTENT_HASH},
    )
    for name, value in changes.items():
        setattr(result, name, value)
    return result


def run_twice(source: Path, tmp_path: Path, make_result=validation_result) -> Path:
    """Write results for ``source`` into ``<stem>.checked<suffix>``, then again for that output."""
    output = tmp_path / f"{source.stem}.checked{source.suffix}"
    table = read_local(source)
    write_local(table, source, output, make_result(table))
    rerun_table = read_local(output)
    write_local(rerun_table, output, output, make_result(rerun_table))
    return output


# --- reading .xlsx ----------------------------------------------------------


def test_read_xlsx_cell_types(tmp_path):
    table = read_local(make_deals_xlsx(tmp_path / "deals.xlsx"))

    assert table.title == "Deals"
    assert table.rows[0][0] == "A社"
    assert table.rows[0][3] == 100
    assert table.rows[1][3] == 2.5
    assert table.rows[0][5] is True
    assert table.rows[0][6] == datetime(2024, 4, 1)
    assert table.rows[1][1] == "0123"
    assert table.rows[2][2] == "#REF!"


def test_read_xlsx_cached_formula_results(tmp_path):
    table = read_local(make_deals_xlsx(tmp_path / "deals.xlsx"))

    assert table.rows[0][4] == 200
    assert table.rows[1][4] is None  # formula never calculated: no cached value


def test_read_xlsx_header_quirks(tmp_path):
    table = read_local(make_deals_xlsx(tmp_path / "deals.xlsx"))

    # Merged B1:C1 keeps its value in B1 only, "会社" appears twice, column I
    # is formatted but empty, so it is dropped.
    assert table.headers == ["会社", "連絡先", None, "金額", "倍額", "受注", "開始日", "会社"]
    assert all(len(row) == len(table.headers) for row in table.rows)
    assert table.managed == {}


def test_read_xlsx_trailing_rows_and_padding(tmp_path):
    path = tmp_path / "deals.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "name", None])
    sheet.append([1])
    sheet.append([None, None, "late value"])
    sheet.append([2, "b"])
    sheet["A10"].fill = PatternFill(fill_type="solid", fgColor=USER_FILL)  # styled empty row
    workbook.save(path)

    table = read_local(path)

    assert table.headers == ["id", "name", None]
    assert table.rows == [[1, None, None], [None, None, "late value"], [2, "b", None]]


def test_read_xlsx_header_row_below_title(tmp_path):
    path = tmp_path / "deals.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["2024年度 案件一覧"])
    sheet.append([])
    sheet.append(["会社", "金額"])
    sheet.append(["A社", 1])
    workbook.save(path)

    table = read_local(path, header_row=3, locale="en", time_zone="UTC")

    assert table.headers == ["会社", "金額"]
    assert table.rows == [["A社", 1]]
    assert table.first_data_row == 4
    assert (table.locale, table.time_zone) == ("en", "UTC")


def test_read_xlsx_default_tab_skips_bridge_and_hidden(tmp_path):
    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "KPI"
    workbook.create_sheet("要対応")
    hidden = workbook.create_sheet("Secret")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "secret"
    workbook.create_sheet("Deals")["A1"] = "会社"
    workbook.save(path)

    assert read_local(path).title == "Deals"
    assert read_local(path, sheet="Secret").headers == ["secret"]


def test_read_xlsx_managed_by_defined_name(tmp_path):
    path = tmp_path / "deals.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Deals 1"
    sheet.append(["会社", "検証ステータス", "評価"])
    sheet.defined_names["_bridge_status"] = DefinedName(
        "_bridge_status", attr_text="'Deals 1'!$B:$B"
    )
    workbook.defined_names["_bridge_grade"] = DefinedName(
        "_bridge_grade", attr_text="'Deals 1'!$C:$C"
    )
    workbook.defined_names["_bridge_score"] = DefinedName("_bridge_score", attr_text="Other!$D:$D")
    workbook.defined_names["_bridge_findings"] = DefinedName("_bridge_findings", attr_text="#REF!")
    workbook.save(path)

    table = read_local(path)

    assert table.managed == {ManagedColumn.STATUS: 1, ManagedColumn.GRADE: 2}


def test_read_xlsx_ignores_managed_header_text(tmp_path):
    path = tmp_path / "deals.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["会社", "スコア"])
    workbook.save(path)

    assert read_local(path).managed == {}


# --- reading .csv -----------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_read_csv_encodings(tmp_path, encoding):
    path = make_csv(tmp_path / "deals.csv", "会社,金額\r\n株式会社山田,１００万円\r\n", encoding)

    table = read_local(path)

    assert table.headers == ["会社", "金額"]
    assert table.rows == [["株式会社山田", "１００万円"]]


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_read_csv_line_endings(tmp_path, newline):
    path = make_csv(tmp_path / "deals.csv", newline.join(["id,name", "1,a", "2,b"]) + newline)

    assert read_local(path).rows == [["1", "a"], ["2", "b"]]


def test_read_csv_mixed_line_endings_and_quoted_newline(tmp_path):
    path = make_csv(tmp_path / "deals.csv", 'id,memo\r\n1,"line 1\nline 2"\n2,b\r\n')

    assert read_local(path).rows == [["1", "line 1\nline 2"], ["2", "b"]]


def test_read_csv_keeps_strings(tmp_path):
    path = make_csv(tmp_path / "deals.csv", "code,amount,flag,empty\n0123,1e3,TRUE,\n")

    table = read_local(path)

    assert table.rows == [["0123", "1e3", "TRUE", None]]


def test_read_csv_header_quirks(tmp_path):
    path = make_csv(
        tmp_path / "deals.csv",
        "title row,,,,\n会社,,会社,金額,,\nA社,x,,1,,\n,,,,,\n,,,,,\n",
    )

    table = read_local(path, header_row=2)

    assert table.title == "deals"
    assert table.headers == ["会社", None, "会社", "金額"]
    assert table.rows == [["A社", "x", None, "1"]]


def test_read_csv_late_wide_row(tmp_path):
    # More rows than one builder chunk, then a value right of every header:
    # the columns grow mid-stream and the earlier rows read None there.
    rows = [f"D-{number},関東," for number in range(5000)]
    path = make_csv(
        tmp_path / "deals.csv", "\n".join(["id,region", *rows, "D-x,関西,,late", ",,", ""])
    )

    table = read_local(path)

    assert table.headers == ["id", "region", None, None]
    assert table.row_count == 5001
    assert table.row(0) == ["D-0", "関東", None, None]
    assert table.row(5000) == ["D-x", "関西", None, "late"]
    region = table.columns[1]
    assert region[0] is region[4999]  # one object per distinct text
    assert all(cell is None for cell in table.columns[3][:5000])


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('id,name\n1,a\n2,"unclosed\n3,b\n4,c\n', 3),  # would swallow rows 3 and 4
        ('id,name\n1,"a\nb",x\n2,"c"d\n', 4),  # text after the closing quote
    ],
)
def test_read_csv_broken_quotes_line(tmp_path, text, line):
    path = make_csv(tmp_path / "deals.csv", text)

    with pytest.raises(errors.CsvSyntaxError) as raised:
        read_local(path)

    assert raised.value.line == line
    assert raised.value.code == "csv_syntax"


def test_read_csv_managed_by_header(tmp_path):
    path = make_csv(
        tmp_path / "deals.csv", "会社,スコア,検証ステータス,Findings,スコア\nA社,1,OK,,2\n"
    )

    table = read_local(path)

    # The rightmost "スコア" is taken, since the bridge appends its columns.
    assert table.managed == {
        ManagedColumn.SCORE: 4,
        ManagedColumn.STATUS: 2,
        ManagedColumn.FINDINGS: 3,
    }


def test_read_csv_user_column_named_like_managed(tmp_path):
    path = make_csv(
        tmp_path / "deals.csv",
        "会社,ステージ開始日,金額,検証ステータス,検証結果,メモ\nA社,2024/4/1,1,OK,,memo\n",
    )

    table = read_local(path)

    # The user's own "ステージ開始日" lies left of the bridge's block, and a
    # user column added after the block does not hide it.
    assert table.managed == {ManagedColumn.STATUS: 3, ManagedColumn.FINDINGS: 4}


@pytest.mark.parametrize(
    ("header", "managed"),
    [
        ("会社,ステージ開始日（自動）,金額", {}),
        ("会社,金額,ステージ開始日（自動）", {ManagedColumn.STAGE_ENTERED: 2}),
        (
            "会社,検証ステータス,金額,検証ステータス,検証結果",
            {ManagedColumn.STATUS: 3, ManagedColumn.FINDINGS: 4},
        ),
    ],
)
def test_read_csv_single_managed_header(tmp_path, header, managed):
    path = make_csv(tmp_path / "deals.csv", header + "\n")

    assert read_local(path).managed == managed


# --- read errors ------------------------------------------------------------


def test_read_missing_file(tmp_path):
    with pytest.raises(errors.SourceNotFoundError) as raised:
        read_local(tmp_path / "nope.xlsx")
    assert raised.value.code == "file_not_found"
    assert "nope.xlsx" in str(raised.value)


def test_read_directory(tmp_path):
    (tmp_path / "folder.xlsx").mkdir()
    with pytest.raises(errors.NotAFileError):
        read_local(tmp_path / "folder.xlsx")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("deals.xls", "unsupported_file"),
        ("deals.txt", "text_file_suffix"),
        ("deals", "unsupported_file"),
    ],
)
def test_read_unsupported_extension(tmp_path, name, code):
    path = tmp_path / name
    path.write_text("a,b\n")
    with pytest.raises(errors.UnsupportedFileError) as raised:
        read_local(path)
    assert raised.value.code == code


def test_read_text_renamed_xlsx(tmp_path):
    path = tmp_path / "deals.xlsx"
    path.write_text("会社,金額\n", encoding="utf-8")
    with pytest.raises(errors.UnreadableFileError) as raised:
        read_local(path)
    assert raised.value.code == "unreadable_file"


def test_read_zip_without_workbook(tmp_path):
    path = tmp_path / "deals.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(errors.UnreadableFileError):
        read_local(path)


def test_read_unknown_sheet_lists_sheets(tmp_path):
    path = make_deals_xlsx(tmp_path / "deals.xlsx")
    with pytest.raises(errors.SheetNotFoundError) as raised:
        read_local(path, sheet="Dealz")
    assert raised.value.code == "sheet_not_found"
    assert raised.value.available == ["Deals"]
    assert "'Deals'" in str(raised.value)


def test_read_no_data_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "KPI"
    workbook.save(path)
    with pytest.raises(errors.NoDataSheetError) as raised:
        read_local(path)
    assert raised.value.code == "no_data_sheet"


@pytest.mark.parametrize("name", ["deals.csv", "deals.xlsx"])
def test_read_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(errors.EmptyFileError) as raised:
        read_local(path)
    assert raised.value.code == "empty_file"


def test_read_empty_sheet_and_blank_csv(tmp_path):
    xlsx = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(xlsx)
    blank_csv = make_csv(tmp_path / "blank.csv", ",,\r\n\r\n")

    with pytest.raises(errors.EmptyFileError):
        read_local(xlsx)
    with pytest.raises(errors.EmptyFileError):
        read_local(blank_csv)


@pytest.mark.parametrize("header_row", [0, 5])
def test_read_header_row_outside(tmp_path, header_row):
    path = make_csv(tmp_path / "deals.csv", "id\n1\n")
    with pytest.raises(errors.HeaderRowNotFoundError) as raised:
        read_local(path, header_row=header_row)
    assert raised.value.last_row == 2


@pytest.mark.parametrize(
    "data",
    [
        b"\x85\x40,\x85\x41\n",  # neither UTF-8 nor cp932
        codecs.BOM_UTF8 + b"\xff\xfe\n",  # BOM, then invalid UTF-8
    ],
)
def test_read_csv_undecodable(tmp_path, data):
    path = tmp_path / "deals.csv"
    path.write_bytes(data)
    with pytest.raises(errors.EncodingUnknownError) as raised:
        read_local(path)
    assert raised.value.code == "encoding_unknown"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_csv_utf16_unicode_text(tmp_path, encoding):
    # Excel's "Unicode Text": UTF-16 with a BOM, tab-separated.
    bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
    source = tmp_path / "deals.csv"
    source.write_bytes(bom + "会社\tメモ\r\nA社\t１２０万円\r\n".encode(encoding))
    table = read_local(source)
    output = tmp_path / "deals.checked.csv"

    write_local(table, source, output, WriteBack(columns={ManagedColumn.STATUS: ["OK"]}))

    assert table.headers == ["会社", "メモ"]
    assert table.rows == [["A社", "１２０万円"]]
    assert csv_text(output) == "会社\tメモ\t検証ステータス\r\nA社\t１２０万円\tOK\r\n"


@pytest.mark.parametrize("chunk", [local_csv.DECODE_CHUNK, 8])  # 8: NUL in a later chunk
def test_csv_nul_byte_names_line(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(local_csv, "DECODE_CHUNK", chunk)
    path = tmp_path / "deals.csv"
    path.write_bytes("会社,メモ\nA社,ok\nB社,x\x00y\n".encode())

    with pytest.raises(errors.NulCharacterError) as raised:
        read_local(path)

    assert raised.value.line == 3
    message = error_message(raised.value, "ja")
    assert "3 行目" in message
    assert "NUL" in message


def test_error_codes_are_distinct():
    classes = [
        errors.SourceNotFoundError,
        errors.NotAFileError,
        errors.UnsupportedFileError,
        errors.UnreadableFileError,
        errors.EmptyFileError,
        errors.EncodingUnknownError,
        errors.NulCharacterError,
        errors.CsvSyntaxError,
        errors.SheetNotFoundError,
        errors.NoDataSheetError,
        errors.HeaderRowNotFoundError,
        errors.OutputNotWritableError,
        errors.OutputIsSourceError,
        errors.TextFileSuffixError,
        errors.NoTabsError,
    ]
    codes = [error_class.code for error_class in classes]
    assert len(set(codes)) == len(codes)
    assert all(issubclass(error_class, errors.BridgeError) for error_class in classes)


# --- writing .xlsx ----------------------------------------------------------


def test_write_xlsx_keeps_user_cells_over_two_runs(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    before = cell_contents(source, "Deals")

    output = run_twice(source, tmp_path)

    after = cell_contents(output, "Deals")
    for coordinate, content in before.items():
        assert after[coordinate] == content, coordinate
    added = {coordinate[0] for coordinate in after.keys() - before.keys()}
    assert added == {"I", "J", "K", "L"}


def test_write_xlsx_rerun_same_managed_columns(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    output = tmp_path / "deals.checked.xlsx"
    table = read_local(source)
    write_local(table, source, output, validation_result(table))
    first = read_local(output)

    write_local(first, output, output, validation_result(first))
    second = read_local(output)

    assert first.managed == {
        ManagedColumn.STATUS: 8,
        ManagedColumn.FINDINGS: 9,
        ManagedColumn.SCORE: 10,
        ManagedColumn.CONTENT_HASH: 11,
    }
    assert second.managed == first.managed
    assert second.headers == first.headers
    assert second.rows == first.rows
    assert first.headers[8:] == ["検証ステータス", "検証結果", "スコア", "同期ハッシュ"]


def test_write_xlsx_values_and_markers(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    output = run_twice(source, tmp_path)

    workbook = openpyxl.load_workbook(output)
    sheet = workbook["Deals"]
    assert [sheet.cell(row, 9).value for row in range(1, 5)] == ["検証ステータス", "OK", "OK", "OK"]
    assert sheet["I1"].fill.fgColor.rgb != sheet["A1"].fill.fgColor.rgb
    assert sheet.defined_names["_bridge_status"].attr_text == "'Deals'!$I:$I"
    assert sheet.defined_names["_bridge_status"].hidden is True
    assert sheet.column_dimensions["L"].hidden is True
    assert sheet.column_dimensions["J"].width == 60
    assert sheet.freeze_panes == "A2"
    assert workbook.calculation.fullCalcOnLoad is True


def test_write_xlsx_follows_moved_managed_column(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    output = tmp_path / "deals.checked.xlsx"
    table = read_local(source)
    write_local(table, source, output, validation_result(table))

    # The user moves the status column from I to M and types into I, as Excel
    # does when a column is cut and pasted: the defined name follows the column.
    workbook = openpyxl.load_workbook(output)
    sheet = workbook["Deals"]
    for row in range(1, 5):
        sheet.cell(row, 13).value = sheet.cell(row, 9).value
        sheet.cell(row, 9).value = None
    sheet["I1"] = "担当者メモ"
    sheet["I2"] = "=A2"
    sheet.defined_names["_bridge_status"] = DefinedName("_bridge_status", attr_text="'Deals'!$M:$M")
    workbook.save(output)

    moved = read_local(output)
    assert moved.managed[ManagedColumn.STATUS] == 12
    write_local(
        moved, output, output, validation_result(moved, columns={ManagedColumn.STATUS: ["NG"] * 3})
    )

    sheet = openpyxl.load_workbook(output)["Deals"]
    assert sheet["I1"].value == "担当者メモ"
    assert sheet["I2"].value == "=A2"
    assert [sheet.cell(row, 13).value for row in range(1, 5)] == [
        "検証ステータス",
        "NG",
        "NG",
        "NG",
    ]
    assert sheet.max_column == 13


def test_write_xlsx_formula_like_text_stays_text(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    output = tmp_path / "deals.checked.xlsx"
    table = read_local(source)
    result = WriteBack(
        columns={ManagedColumn.FINDINGS: ['=HYPERLINK("http://x")', "#N/A", "+81 3"]},
        extra_sheets={"KPI": [["=SUM(A1:A9)", 1]]},
    )

    write_local(table, source, output, result)

    workbook = openpyxl.load_workbook(output)
    findings = [workbook["Deals"].cell(row, 9) for row in range(2, 5)]
    assert [cell.value for cell in findings] == ['=HYPERLINK("http://x")', "#N/A", "+81 3"]
    assert [cell.data_type for cell in findings] == ["s", "s", "s"]
    assert workbook["KPI"]["A1"].data_type == "s"
    assert read_local(output).rows[0][8] == '=HYPERLINK("http://x")'


def test_write_xlsx_highlights_and_comments(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    output = tmp_path / "deals.checked.xlsx"
    table = read_local(source)
    marks = [
        CellMark(0, 3, "warning", "金額が小さい"),
        CellMark(0, 3, "error", "金額が必要"),
        CellMark(1, 3, "warning", "要確認"),
    ]

    write_local(table, source, output, validation_result(table, marks=marks))

    sheet = openpyxl.load_workbook(output)["Deals"]
    assert sheet["D2"].fill.fgColor.rgb == FILL_COLOURS["error"]
    assert sheet["D2"].comment.text == "金額が小さい\n金額が必要"
    assert sheet["D2"].comment.author == "bridge"
    assert sheet["D3"].fill.fgColor.rgb == FILL_COLOURS["warning"]


def test_write_xlsx_clears_fixed_highlights_only(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    output = tmp_path / "deals.checked.xlsx"
    table = read_local(source)
    marks = [
        CellMark(0, 1, "error", "user-filled cell"),  # B2 has the user's blue fill
        CellMark(1, 0, "error", "user-commented cell"),  # A3 has the user's comment
        CellMark(0, 3, "warning", "fixed later"),
        CellMark(1, 3, "warning", "still wrong"),
    ]
    write_local(table, source, output, validation_result(table, marks=marks))

    sheet = openpyxl.load_workbook(output)["Deals"]
    assert sheet["B2"].fill.fgColor.rgb == FILL_COLOURS["error"]
    assert sheet["A3"].comment.text == "確認中"

    rerun = read_local(output)
    write_local(rerun, output, output, validation_result(rerun, marks=[marks[3]]))

    sheet = openpyxl.load_workbook(output)["Deals"]
    assert sheet["B2"].fill.fgColor.rgb == USER_FILL
    assert sheet["B2"].comment is None
    assert sheet["A3"].fill.fill_type is None
    assert sheet["A3"].comment.text == "確認中"
    assert sheet["A3"].comment.author == "Yamada"
    assert sheet["D2"].fill.fill_type is None
    assert sheet["D2"].comment is None
    assert sheet["D3"].fill.fgColor.rgb == FILL_COLOURS["warning"]
    assert sheet["D3"].comment.text == "still wrong"


def test_write_xlsx_keeps_user_refilled_cell(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    output = tmp_path / "deals.checked.xlsx"
    table = read_local(source)
    write_local(
        table, source, output, validation_result(table, marks=[CellMark(0, 3, "error", "x")])
    )

    workbook = openpyxl.load_workbook(output)
    workbook["Deals"]["D2"].fill = PatternFill(fill_type="solid", fgColor="FF92D050")
    workbook["Deals"]["D2"].comment = Comment("自分のメモ", "Yamada")
    workbook.save(output)

    rerun = read_local(output)
    write_local(rerun, output, output, validation_result(rerun))

    sheet = openpyxl.load_workbook(output)["Deals"]
    assert sheet["D2"].fill.fgColor.rgb == "FF92D050"
    assert sheet["D2"].comment.text == "自分のメモ"


def test_write_xlsx_clears_moved_highlight(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    output = tmp_path / "deals.checked.xlsx"
    table = read_local(source)
    write_local(
        table, source, output, validation_result(table, marks=[CellMark(0, 3, "error", "x")])
    )

    workbook = openpyxl.load_workbook(output)
    workbook["Deals"].insert_rows(2)  # D2 and its note move to D3
    workbook.save(output)

    rerun = read_local(output)
    write_local(rerun, output, output, validation_result(rerun))

    sheet = openpyxl.load_workbook(output)["Deals"]
    assert sheet["D3"].comment is None
    assert sheet["D3"].fill.fill_type is None


def test_write_xlsx_extra_sheets_replaced(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    workbook = openpyxl.load_workbook(source)
    workbook.create_sheet("Notes")["A1"] = "user notes"
    workbook.save(source)
    output = tmp_path / "deals.checked.xlsx"

    table = read_local(source)
    extra = {"KPI": [["指標", "値"], ["件数", 3], ["古い", 1]], "要対応": [["担当", "件数"]]}
    write_local(table, source, output, validation_result(table, extra_sheets=extra))
    rerun = read_local(output)
    extra = {"KPI": [["指標", "値"], ["件数", 4]], "要対応": [["担当", "件数"]]}
    write_local(rerun, output, output, validation_result(rerun, extra_sheets=extra))

    workbook = openpyxl.load_workbook(output)
    assert workbook.sheetnames == ["Deals", "KPI", "要対応", "Notes", "_bridge"]
    assert list(workbook["KPI"].values) == [("指標", "値"), ("件数", 4)]
    assert workbook["_bridge"].sheet_state == "veryHidden"
    assert workbook.active.title == "Deals"
    assert read_local(output).title == "Deals"


def test_write_xlsx_keeps_users_own_kpi_tab(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    workbook = openpyxl.load_workbook(source)
    workbook.create_sheet("KPI")["A1"] = "the user's KPI"
    workbook.save(source)
    output = tmp_path / "deals.checked.xlsx"

    table = read_local(source)
    write_local(
        table, source, output, validation_result(table, extra_sheets={"KPI": [["件数", 3]]})
    )
    rerun = read_local(output)
    write_local(
        rerun, output, output, validation_result(rerun, extra_sheets={"KPI": [["件数", 4]]})
    )

    workbook = openpyxl.load_workbook(output)
    assert workbook["KPI"]["A1"].value == "the user's KPI"
    assert workbook["KPI (bridge)"]["B1"].value == 4
    assert workbook.sheetnames.count("KPI (bridge)") == 1

    # With the data tab moved to the end, the bridge's tab is still not read as data.
    workbook.move_sheet("Deals", offset=len(workbook.sheetnames))
    workbook.save(output)
    assert read_local(output).title == "Deals"


def test_write_xlsx_splits_column_width_range(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    workbook = openpyxl.load_workbook(source)
    whole_sheet = workbook["Deals"].column_dimensions["A"]
    whole_sheet.min, whole_sheet.max, whole_sheet.width = 1, 20, 11
    workbook.save(source)

    output = run_twice(source, tmp_path)

    dimensions = openpyxl.load_workbook(output)["Deals"].column_dimensions
    spans = sorted((dimension.min, dimension.max) for dimension in dimensions.values())
    for (_, last), (first, _) in zip(spans, spans[1:], strict=False):
        assert last < first, spans
    assert dimensions["J"].width == 60
    assert dimensions["M"].width == 11


def test_write_xlsx_keeps_rich_text(tmp_path):
    path = tmp_path / "deals.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["会社"])
    sheet["A2"] = CellRichText(["普通 ", TextBlock(InlineFont(b=True), "太字")])
    workbook.save(path)

    output = run_twice(path, tmp_path)

    value = openpyxl.load_workbook(output, rich_text=True).active["A2"].value
    assert isinstance(value, CellRichText)
    assert str(value) == "普通 太字"


def test_write_xlsx_keeps_user_freeze_panes(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    workbook = openpyxl.load_workbook(source)
    workbook["Deals"].freeze_panes = "B2"
    workbook.save(source)

    output = run_twice(source, tmp_path)

    assert openpyxl.load_workbook(output)["Deals"].freeze_panes == "B2"


def test_write_xlsx_aware_datetime_in_table_zone(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    output = tmp_path / "deals.checked.xlsx"
    table = read_local(source)
    synced = datetime(2024, 4, 1, 1, 30, tzinfo=UTC)

    write_local(
        table,
        source,
        output,
        WriteBack(columns={ManagedColumn.LAST_SYNCED_AT: [synced, None, None]}),
    )

    assert read_local(output).rows[0][8] == datetime(2024, 4, 1, 10, 30)


def test_write_xlsx_appends_right_of_uncalculated_formulas(tmp_path):
    path = tmp_path / "deals.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["会社", "金額"])
    sheet.append(["A社", 1])
    sheet["D2"] = "=B2*2"  # no cached value, so it reads as empty
    workbook.save(path)
    output = tmp_path / "deals.checked.xlsx"

    table = read_local(path)
    assert len(table.headers) == 2
    write_local(table, path, output, WriteBack(columns={ManagedColumn.STATUS: ["OK"]}))

    sheet = openpyxl.load_workbook(output).active
    assert sheet["D2"].value == "=B2*2"
    assert sheet["E2"].value == "OK"


def test_write_xlsx_markers_per_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "CS"
    workbook["CS"].append(["会社"])
    workbook["CS"].append(["A社"])
    workbook.create_sheet("PS").append(["会社", "担当"])
    workbook["PS"].append(["B社", "佐藤"])
    workbook.save(path)
    output = tmp_path / "book.checked.xlsx"

    cs = read_local(path, sheet="CS")
    write_local(cs, path, output, WriteBack(columns={ManagedColumn.STATUS: ["OK"]}))
    ps = read_local(output, sheet="PS")
    write_local(ps, output, output, WriteBack(columns={ManagedColumn.STATUS: ["NG"]}))

    assert read_local(output, sheet="CS").managed == {ManagedColumn.STATUS: 1}
    assert read_local(output, sheet="PS").managed == {ManagedColumn.STATUS: 2}


# --- writing .csv -----------------------------------------------------------


def test_write_csv_keeps_user_cells(tmp_path):
    text = '案件一覧,,\r\n会社,コード,メモ\r\nA社,0123,"a,b"\r\nB社,=1+1,"x\ny"\r\n'
    source = make_csv(tmp_path / "deals.csv", text, "cp932")
    before = read_local(source, header_row=2)
    output = tmp_path / "deals.checked.csv"

    write_local(before, source, output, validation_result(before))
    first = read_local(output, header_row=2)
    write_local(first, output, output, validation_result(first))
    second = read_local(output, header_row=2)

    data = output.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig").startswith(
        "案件一覧,,\r\n会社,コード,メモ,検証ステータス,検証結果,スコア,同期ハッシュ\r\n"
    )
    assert [row[:3] for row in second.rows] == before.rows
    assert (
        second.managed
        == first.managed
        == {
            ManagedColumn.STATUS: 3,
            ManagedColumn.FINDINGS: 4,
            ManagedColumn.SCORE: 5,
            ManagedColumn.CONTENT_HASH: 6,
        }
    )
    assert [row[3:] for row in second.rows] == [["OK", None, "0", "h"], ["OK", None, "1", "h"]]
    assert len(second.headers) == 7


def test_csv_tab_separated_roundtrip(tmp_path):
    # A sheet copied from Google Sheets into a text file: a title, then tabs.
    text = "2024年度 案件一覧\n会社\tメモ\nA社\t1,200円\nB社\t\n"
    source = make_csv(tmp_path / "deals.csv", text)
    table = read_local(source, header_row=2)
    output = tmp_path / "deals.checked.csv"

    write_local(table, source, output, WriteBack(columns={ManagedColumn.STATUS: ["OK", "NG"]}))

    assert table.headers == ["会社", "メモ"]
    assert table.rows == [["A社", "1,200円"], ["B社", None]]
    assert csv_text(output) == (
        "2024年度 案件一覧\r\n会社\tメモ\t検証ステータス\r\nA社\t1,200円\tOK\r\nB社\t\tNG\r\n"
    )


def test_write_csv_rewrites_english_headers_in_place(tmp_path):
    source = make_csv(
        tmp_path / "deals.csv", "Company,Validation status,Findings,Note\nA,old,old,keep\n"
    )
    table = read_local(source)
    output = tmp_path / "deals.checked.csv"

    write_local(table, source, output, WriteBack(columns={ManagedColumn.STATUS: [True]}, lang="en"))

    assert csv_text(output) == "Company,Validation status,Findings,Note\r\nA,TRUE,old,keep\r\n"


def test_write_csv_extra_sheets_as_sibling_files(tmp_path):
    source = make_csv(tmp_path / "deals.csv", "会社\nA社\n")
    table = read_local(source)
    output = tmp_path / "deals.checked.csv"
    result = validation_result(
        table, extra_sheets={"KPI": [["件数", 1]], "要対応": [["担当", None]]}
    )

    write_local(table, source, output, result)

    assert csv_text(tmp_path / "deals.checked.KPI.csv") == "件数,1\r\n"
    assert csv_text(tmp_path / "deals.checked.要対応.csv") == "担当,\r\n"


def test_write_csv_to_xlsx(tmp_path):
    source = make_csv(tmp_path / "deals.csv", "会社,コード\nA社,0123\nB社,=1+1\n")
    table = read_local(source)
    output = tmp_path / "deals.checked.xlsx"
    result = validation_result(table, marks=[CellMark(1, 1, "error", "式は使えません")])

    write_local(table, source, output, result)

    converted = read_local(output)
    assert converted.title == "deals"
    assert converted.rows[0][:2] == ["A社", "0123"]
    assert converted.rows[1][:2] == ["B社", "=1+1"]
    assert converted.managed[ManagedColumn.STATUS] == 2
    sheet = openpyxl.load_workbook(output)["deals"]
    assert sheet["B3"].data_type == "s"
    assert sheet["B3"].comment.text == "式は使えません"


def test_write_xlsx_to_csv_rejected(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    table = read_local(source)
    with pytest.raises(errors.UnsupportedFileError):
        write_local(table, source, tmp_path / "deals.checked.csv", validation_result(table))


# --- output paths -------------------------------------------------------------


def test_write_output_directory_missing(tmp_path):
    source = make_csv(tmp_path / "deals.csv", "会社\nA社\n")
    table = read_local(source)
    with pytest.raises(errors.OutputNotWritableError) as raised:
        write_local(table, source, tmp_path / "missing" / "out.csv", validation_result(table))
    assert raised.value.code == "output_not_writable"
    assert "does not exist" in str(raised.value)


def test_write_output_directory_not_writable(tmp_path, monkeypatch):
    source = make_csv(tmp_path / "deals.csv", "会社\nA社\n")
    table = read_local(source)
    monkeypatch.setattr(local_paths, "is_writable_directory", lambda directory: False)
    with pytest.raises(errors.OutputNotWritableError):
        write_local(table, source, tmp_path / "out.csv", validation_result(table))


def test_write_output_is_directory(tmp_path):
    source = make_csv(tmp_path / "deals.csv", "会社\nA社\n")
    table = read_local(source)
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(errors.OutputNotWritableError):
        write_local(table, source, tmp_path / "out.csv", validation_result(table))


def test_write_output_is_source(tmp_path):
    source = make_deals_xlsx(tmp_path / "deals.xlsx")
    table = read_local(source)
    with pytest.raises(errors.OutputIsSourceError) as raised:
        write_local(table, source, source, validation_result(table))
    assert raised.value.code == "output_is_source"


def test_write_failure_keeps_previous_output(tmp_path, monkeypatch):
    source = make_csv(tmp_path / "deals.csv", "会社\nA社\n")
    output = make_csv(tmp_path / "out.csv", "previous\n")
    table = read_local(source)

    def fail(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(local_paths.os, "replace", fail)
    with pytest.raises(errors.OutputNotWritableError):
        write_local(table, source, output, validation_result(table))

    assert csv_text(output) == "previous\n"
    assert not list(tmp_path.glob(".*.tmp"))


def test_write_rejects_mismatched_result(tmp_path):
    source = make_csv(tmp_path / "deals.csv", "会社\nA社\nB社\n")
    table = read_local(source)
    output = tmp_path / "out.csv"
    with pytest.raises(ValueError, match="2 data rows"):
        write_local(table, source, output, WriteBack(columns={ManagedColumn.STATUS: ["OK"]}))
    with pytest.raises(ValueError, match="column_index"):
        write_local(
            table, source, output, WriteBack(columns={}, marks=[CellMark(0, 5, "error", "x")])
        )
    with pytest.raises(ValueError, match="lang"):
        write_local(table, source, output, WriteBack(columns={}, lang="fr"))
    with pytest.raises(ValueError, match="sheet title"):
        write_local(table, source, output, WriteBack(columns={}, extra_sheets={"a/b": []}))


def test_default_output_path(tmp_path):
    source = tmp_path / "deals.xlsx"

    assert default_output_path(source) == (tmp_path / "deals.checked.xlsx", False)
    assert (
        default_output_path(tmp_path / "deals.checked.csv").path == tmp_path / "deals.checked.csv"
    )


def test_default_output_path_falls_back_to_cwd(tmp_path, monkeypatch):
    working = tmp_path / "work"
    working.mkdir()
    monkeypatch.chdir(working)
    monkeypatch.setattr(
        local_paths, "is_writable_directory", lambda directory: directory == working
    )

    chosen = default_output_path(tmp_path / "shared" / "deals.csv")

    assert chosen.path == working / "deals.checked.csv"
    assert chosen.in_working_directory is True


def test_managed_headers_cover_every_column():
    assert set(MANAGED_HEADERS) == set(ManagedColumn)
    assert all(set(texts) == {"ja", "en"} for texts in MANAGED_HEADERS.values())
    texts = [text for texts in MANAGED_HEADERS.values() for text in texts.values()]
    assert len(set(texts)) == len(texts) - 1  # only "HubSpot ID" is the same in both
