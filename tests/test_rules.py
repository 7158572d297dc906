"""Row rules: one small sheet per rule, checked by code, row, column and parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bridge.messages import finding_message
from bridge.validation import build_writeback
from validators.design_file import load_design_text
from validators.engine import PreviousState, validate
from validators.findings import column_letter
from validators.table import ManagedColumn, SheetTable

DESIGN = """\
version: 1
sheet:
  key_column: deal_id
  stage_column: stage
  owner_column: owner
  last_contact_column: last_contact
  next_step_column: next_step
  close_date_column: close_date
  amount_column: amount
properties:
  - {name: deal_id, label: 案件ID, unique: true, required: true}
  - {name: stage, label: ステージ, required: true}
  - {name: owner, label: 担当者}
  - {name: company, label: 会社名, object: company, unique: true}
  - {name: email, label: メール, type: email, object: contact, unique: true}
  - {name: amount, label: 金額, type: currency, min: 0}
  - {name: satisfaction, label: 満足度, type: number, min: 1, max: 5}
  - {name: plan, label: プラン, type: enum, options: [{value: basic, label: ベーシック}, {value: pro, label: プロ}]}
  - {name: last_contact, label: 最終連絡日, type: date}
  - {name: next_step, label: 次回アクション日, type: date}
  - {name: close_date, label: クローズ日, type: date}
pipelines:
  - id: cs
    label: CS
    stages:
      - {id: onboarding, label: 導入, requires: [company], max_days: 30, contact_every_days: 14}
      - {id: adoption, label: 定着, requires: [satisfaction], contact_every_days: 30}
      - {id: won, label: 更新済み, requires: [close_date], closed: won}
      - {id: lost, label: 解約, closed: lost}
scoring:
  drop_threshold: 10
  measures:
    - {property: satisfaction, weight: 3, low: 1, high: 5}
    - {property: plan, weight: 1, points: {basic: 0, pro: 100}}
  bands:
    - {grade: 良好, min: 70}
    - {grade: 注意, min: 40}
    - {grade: 危険, min: 0}
"""

HEADERS = ["案件ID", "ステージ", "担当者", "会社名", "メール", "金額", "満足度", "プラン",
           "最終連絡日", "次回アクション日", "クローズ日"]  # fmt: skip
AS_OF = dt.date(2026, 12, 1)


def good_row(**changes: object) -> list[object]:
    row = {
        "案件ID": "D-1", "ステージ": "定着", "担当者": "佐藤", "会社名": "株式会社アルファ",
        "メール": "a@example.co.jp", "金額": "120万円", "満足度": "4", "プラン": "プロ",
        "最終連絡日": "2026/11/20", "次回アクション日": "2026年12月10日", "クローズ日": None,
    }  # fmt: skip
    row.update(changes)
    return [row[header] for header in HEADERS]


def run(rows, headers=HEADERS, **kwargs):
    design = load_design_text(DESIGN)
    table = SheetTable.from_rows("案件", headers, rows)
    return validate(table, design, AS_OF, **kwargs)


def codes(result) -> list[tuple[int, str | None, str]]:
    return [(f.row, f.column, f.code.value) for f in result.findings]


def test_clean_row_has_no_findings():
    result = run([good_row()])
    assert codes(result) == []
    assert result.rows.loc[0, "status"] == "ok"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"金額": "未定"}, (2, "金額", "invalid_number")),
        ({"金額": "-5"}, (2, "金額", "out_of_range")),
        ({"満足度": "７"}, (2, "満足度", "out_of_range")),
        ({"最終連絡日": "2026/2/30"}, (2, "最終連絡日", "invalid_date")),
        ({"メール": "tanaka@example"}, (2, "メール", "invalid_email")),
        ({"プラン": "プレミアム"}, (2, "プラン", "invalid_option")),
        ({"ステージ": "検討中"}, (2, "ステージ", "unknown_stage")),
        ({"ステージ": None}, (2, "ステージ", "missing_required")),
        ({"満足度": None}, (2, "満足度", "stage_requirement")),
        ({"金額": "#REF!"}, (2, "金額", "formula_error")),
        ({"次回アクション日": "2026/11/1"}, (2, "次回アクション日", "next_step_overdue")),
        ({"最終連絡日": "2026/10/1"}, (2, "最終連絡日", "contact_overdue")),
        ({"最終連絡日": None}, (2, "最終連絡日", "contact_overdue")),
        ({"クローズ日": "2026/11/30"}, (2, "クローズ日", "close_date_passed")),
        ({"最終連絡日": "2027/1/5"}, (2, "最終連絡日", "inconsistent")),
    ],
)
def test_rule_flags_cell(changes, expected):
    assert codes(run([good_row(**changes)])) == [expected]


def test_won_without_amount_is_inconsistent():
    row = good_row(ステージ="更新済み", クローズ日="2026/11/1", 金額=None)
    assert codes(run([row])) == [(2, "金額", "inconsistent")]


def test_closed_deals_skip_open_deal_rules():
    row = good_row(ステージ="解約", 最終連絡日="2020/1/1", 次回アクション日="2020/1/1")
    assert codes(run([row])) == []


def test_stage_requirements_accumulate():
    row = good_row(ステージ="更新済み", 会社名=None, 満足度=None, クローズ日="2026/11/1")
    assert codes(run([row])) == [
        (2, "会社名", "stage_requirement"),
        (2, "満足度", "stage_requirement"),
    ]


def test_invalid_option_suggests_closest():
    result = run([good_row(プラン="ベーシク")])
    assert result.findings[0].suggestion == "ベーシック"
    assert finding_message(result.findings[0], "ja").endswith("「ベーシック」ではありませんか？")


def test_message_names_cell_and_value():
    result = run([good_row(金額="未定")])
    assert (
        finding_message(result.findings[0], "ja") == "F2 金額: 「未定」は数値として読み取れません。"
    )
    assert finding_message(result.findings[0], "en") == 'F2 金額: "未定" is not a number.'


def test_duplicate_key_flags_every_copy():
    result = run([good_row(), good_row(会社名="ベータ", メール="b@example.jp")])
    assert codes(result) == [(2, "案件ID", "duplicate_key"), (3, "案件ID", "duplicate_key")]
    assert result.findings[0].params["rows"] == "3"


def test_duplicate_company_ignores_legal_form_and_width():
    rows = [
        good_row(),
        good_row(案件ID="D-2", 会社名="アルファ（株）", メール="b@example.jp"),
        good_row(案件ID="D-3", 会社名="ｱﾙﾌｧ", メール="c@example.jp"),
    ]
    assert codes(run(rows)) == [
        (3, "会社名", "duplicate_record"),
        (4, "会社名", "duplicate_record"),
    ]


def test_duplicate_email_ignores_case():
    rows = [good_row(), good_row(案件ID="D-2", 会社名="ベータ", メール="A@Example.co.jp")]
    assert codes(run(rows)) == [(3, "メール", "duplicate_record")]


def test_blank_rows_skipped_and_counted():
    blank = [None] * len(HEADERS)
    spaces = ["  ", "\u3000"] + [None] * (len(HEADERS) - 2)
    result = run(
        [good_row(), blank, spaces, good_row(案件ID="D-2", 会社名="ベータ", メール="b@x.jp")]
    )
    assert codes(result) == []
    assert result.summary["blank_rows"] == 2
    assert result.summary["rows_checked"] == 2


def test_columns_bind_by_header_not_position():
    headers = list(reversed(HEADERS))
    result = run([list(reversed(good_row(金額="未定")))], headers=headers)
    assert codes(result) == [(2, "金額", "invalid_number")]
    assert result.findings[0].column_letter == "F"  # 金額 is the 6th column from the right


def test_blank_and_duplicate_headers_named_and_reported():
    headers = [*HEADERS, None, "メモ", "メモ"]
    row = [*good_row(), "x", "a", "b"]
    result = run([row], headers=headers)
    header_findings = [(f.column, f.params["problem"]) for f in result.findings]
    assert header_findings == [
        ("(L)", "blank_with_values"),
        ("メモ", "unknown"),
        ("メモ (2)", "duplicate"),
    ]


def without_column(name: str, *rows: list) -> tuple[list, list[list]]:
    """Return HEADERS and ``rows`` with the column ``name`` left out."""
    keep = [header != name for header in HEADERS]
    headers = [header for header, kept in zip(HEADERS, keep, strict=True) if kept]
    cut = [[value for value, kept in zip(row, keep, strict=True) if kept] for row in rows]
    return headers, cut


def test_missing_required_column_reported_once():
    second = good_row(会社名="ベータ", メール="b@example.jp")
    headers, rows = without_column("案件ID", good_row(), second)
    result = run(rows, headers=headers)
    assert [(f.code.value, f.row) for f in result.findings] == [("missing_column", 1)]


def test_sheet_error_marks_every_row():
    # Sync blocks every row for a missing required column, so no row may read OK.
    second = good_row(会社名="ベータ", メール="b@example.jp")
    headers, rows = without_column("案件ID", good_row(), second, [None] * len(HEADERS))

    result = run(rows, headers=headers)
    texts = build_writeback(result, "ja").columns[ManagedColumn.FINDINGS]

    assert result.rows["status"].tolist() == ["error", "error", "blank"]
    assert result.summary["rows_with_errors"] == 2
    assert result.summary["rows_ok"] == 0
    assert texts[0].startswith("案件ID: 「案件ID」の列がありません")
    assert texts[1] == texts[0]
    assert texts[2] == ""


def test_many_sheet_errors_counted_per_row():
    second = good_row(会社名="ベータ", メール="b@example.jp")
    headers, rows = without_column("案件ID", good_row(), second)
    # A second missing column: the stage column now repeats another header.
    headers = ["会社名" if header == "ステージ" else header for header in headers]

    result = run(rows, headers=headers)
    texts = build_writeback(result, "ja").columns[ManagedColumn.FINDINGS]

    first, more = texts[0].split("\n")[:2]
    assert first.startswith("案件ID: 「案件ID」の列がありません")
    assert more == "…ほかにシート全体のエラーが 1 件あります（実行の概要を参照してください）"


def test_sheet_warning_leaves_rows_ok():
    headers = [*HEADERS, "メモ"]
    rows = [[*good_row(), "自由記入"]]

    result = run(rows, headers=headers)

    assert [f.code.value for f in result.findings] == ["header_problem"]
    assert result.rows["status"].tolist() == ["ok"]


def test_stale_in_stage_from_managed_columns():
    headers = [*HEADERS, "ステージ開始日", "確認済みステージ"]
    row = [*good_row(ステージ="導入"), "2026-09-01", "onboarding"]
    table = SheetTable.from_rows(
        "案件",
        headers,
        [row],
        managed={ManagedColumn.STAGE_ENTERED: 11, ManagedColumn.STAGE_SEEN: 12},
    )
    result = validate(table, load_design_text(DESIGN), AS_OF)
    assert codes(result) == [(2, "ステージ", "stale_in_stage")]
    assert result.findings[0].params["days"] == 91
    assert result.rows.loc[0, "stage_entered"].date() == dt.date(2026, 9, 1)


def test_stage_change_restarts_managed_entered_date():
    headers = [*HEADERS, "ステージ開始日", "確認済みステージ"]
    row = [*good_row(), "2026-01-01", "onboarding"]  # now in 定着 (adoption)
    table = SheetTable.from_rows(
        "案件",
        headers,
        [row],
        managed={ManagedColumn.STAGE_ENTERED: 11, ManagedColumn.STAGE_SEEN: 12},
    )
    result = validate(table, load_design_text(DESIGN), AS_OF)
    assert codes(result) == []
    assert result.rows.loc[0, "stage_entered"].date() == AS_OF
    assert result.rows.loc[0, "stage_entered_source"] == "first_seen"


def test_score_weighted_and_graded():
    result = run([good_row(満足度="3", プラン="ベーシック"), good_row(案件ID="D-2", 会社名="B",
                  メール="b@x.jp", 満足度=None, プラン="プロ", ステージ="導入")])  # fmt: skip
    # Row 2: satisfaction 3 -> 50 points (weight 3), plan basic -> 0 (weight 1): 37.5.
    assert result.rows.loc[0, "score"] == 37.5
    assert result.rows.loc[0, "grade"] == "危険"
    # Row 3 has no satisfaction: the plan alone decides.
    assert result.rows.loc[1, "score"] == 100.0
    assert result.rows.loc[1, "grade"] == "良好"


def test_score_drop_against_previous_run():
    previous = {"D-1": PreviousState(stage_id="adoption", score=90.0)}
    result = run([good_row(満足度="3")], previous=previous)
    assert [f.code.value for f in result.findings] == ["score_dropped"]
    assert result.findings[0].params["previous"] == "90.0"


def test_summary_counts():
    rows = [good_row(), good_row(案件ID="D-2", 会社名="B", メール="b@x.jp", 金額="未定"),
            good_row(案件ID="D-3", 会社名="C", メール="c@x.jp", 次回アクション日="2026/1/1")]  # fmt: skip
    summary = run(rows).summary
    assert (summary["rows_ok"], summary["rows_with_errors"], summary["rows_with_warnings"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert summary["findings_by_code"] == {"invalid_number": 1, "next_step_overdue": 1}


KEY_DESIGN = """\
version: 1
sheet: {key_column: deal_id, stage_column: stage}
properties:
  - {name: deal_id, label: 案件ID, required: true, blank_values: ["-"]}
  - {name: dealname, label: 案件名}
  - {name: stage, label: ステージ}
pipelines:
  - {id: p, label: P, stages: [{id: s, label: S}]}
"""


def test_first_column_blank_value_is_missing():
    rows = [["D-1", "a"], ["-", "b"], ["  ", "c"], [None, None]]
    table = SheetTable.from_rows("案件", ["案件ID", "案件名"], rows)
    result = validate(table, load_design_text(KEY_DESIGN), AS_OF)
    missing = [f.row for f in result.findings if f.code.value == "missing_required"]
    assert missing == [3, 4]
    assert result.summary["blank_rows"] == 1


@pytest.mark.parametrize("blank_row", [False, True])
def test_large_sheet_first_column_blank_cells(blank_row):
    """Above 20,000 rows a column of distinct texts is not hashed: each cell is its own value."""
    rows = [[f"D-{number}", f"案件 {number}"] for number in range(25_000)]
    for position in range(0, 25_000, 1000):
        rows[position][0] = " "
    if blank_row:
        rows[1] = [None, ""]
    table = SheetTable.from_rows("案件", ["案件ID", "案件名"], rows)
    result = validate(table, load_design_text(KEY_DESIGN), AS_OF)
    missing = [f.row for f in result.findings if f.code.value == "missing_required"]
    assert missing == [position + 2 for position in range(0, 25_000, 1000)]
    assert result.summary["blank_rows"] == int(blank_row)
    assert result.values["deal_id"].notna().sum() == 25_000 - 25 - int(blank_row)


def test_row_table_columns_accept_writes():
    result = run([good_row(), good_row(案件ID="D-2", 会社名="B", メール="b@x.jp")])
    for name in result.rows.columns:
        column = result.rows[name]
        column.iloc[0] = column.iloc[1]
    keys = result.rows["row_key"]
    keys.iloc[0] = "changed"
    assert result.values["deal_id"].iloc[0] == "D-1"


def test_percent_range_in_percent():
    # The example design's usage rate is a percent limited to 0..1 as a fraction;
    # the user typed "120%", so the limits read 0% and 100%.
    example = Path(__file__).resolve().parent.parent / "examples" / "design.yaml"
    design = load_design_text(example.read_text(encoding="utf-8"))
    table = SheetTable.from_rows("案件", ["案件ID", "利用率"], [["D-1", "120%"], ["D-2", "80%"]])

    result = validate(table, design, AS_OF)

    [finding] = [f for f in result.findings if f.code.value == "out_of_range"]
    assert finding.row == 2
    assert finding.value == "120%"
    assert (finding.params["min"], finding.params["max"]) == ("0%", "100%")


def test_blank_header_names_value_row():
    headers = [*HEADERS, None, None]
    rows = [good_row() + [None, None], good_row(案件ID="D-2") + [None, "余分"]]

    result = run(rows, headers=headers)

    header_findings = {
        f.column_letter: f.params for f in result.findings if f.code.value == "header_problem"
    }
    extra = column_letter(len(HEADERS) + 2)
    empty = column_letter(len(HEADERS) + 1)
    assert header_findings[extra] == {"problem": "blank_with_values", "first_row": 3}
    assert header_findings[empty] == {"problem": "blank"}
    assert "row 3 has a value" in finding_message(
        next(f for f in result.findings if f.column_letter == extra), "en"
    )


def test_title_row_hints_header_row():
    # The design sets header_row 1, but the sheet has a title above its header.
    title = ["2026年度 案件一覧"] + [None] * (len(HEADERS) - 1)
    result = run([list(HEADERS), good_row()], headers=title)

    missing = [f for f in result.findings if f.code.value == "missing_column"]
    assert missing
    assert {f.params.get("header_row") for f in missing} == {2}
    assert "2 行目が見出し行のようです" in finding_message(missing[0], "ja")


def test_no_hint_without_better_row():
    headers, rows = without_column("案件ID", good_row())
    [finding] = run(rows, headers=headers).findings
    assert "header_row" not in finding.params
