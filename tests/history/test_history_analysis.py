"""Pure history analysis: previous states, grade movement, trends, sparklines, calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from bridge.history_service import history_kpi_rows, history_kpis
from bridge.sheets.local import read_local
from bridge.validation import load_design
from validators.engine import validate
from validators.history import (
    grade_movement,
    missing_row_keys,
    movement_counts,
    previous_states,
    sparkline,
    support_calendar,
)
from validators.table import SheetTable

ROOT = Path(__file__).resolve().parents[2]
D = dt.date


def history(records: list[tuple]) -> pd.DataFrame:
    columns = ["row_key", "as_of", "pipeline", "stage", "score", "grade"]
    return pd.DataFrame(records, columns=columns)


def test_stage_entered_from_unbroken_series():
    frame = history(
        [
            ("a", D(2026, 4, 1), "cs", "onboarding", 50.0, "注意"),
            ("a", D(2026, 4, 8), "cs", "adoption", 60.0, "注意"),
            ("a", D(2026, 4, 15), "cs", "adoption", 65.0, "注意"),
            ("b", D(2026, 4, 1), "cs", "adoption", 80.0, "良好"),
            ("b", D(2026, 4, 8), "cs", "onboarding", 80.0, "良好"),
            ("b", D(2026, 4, 15), "cs", "adoption", 80.0, "良好"),
        ]
    )
    states = previous_states(frame, D(2026, 4, 20))
    assert states["a"].stage_id == "adoption"
    assert states["a"].stage_entered == D(2026, 4, 8)
    assert states["a"].score == 65.0
    assert states["b"].stage_entered == D(2026, 4, 15)


def test_same_day_records_are_ignored():
    frame = history(
        [
            ("a", D(2026, 4, 1), "cs", "adoption", 90.0, "良好"),
            ("a", D(2026, 4, 20), "cs", "adoption", 10.0, "危険"),
        ]
    )
    assert previous_states(frame, D(2026, 4, 20))["a"].score == 90.0
    assert previous_states(frame, D(2026, 4, 1)) == {}


def test_drop_window_uses_highest_recent_score():
    frame = history(
        [
            ("a", D(2026, 3, 1), "cs", "adoption", 99.0, "良好"),  # outside a 30-day window
            ("a", D(2026, 4, 1), "cs", "adoption", 90.0, "良好"),
            ("a", D(2026, 4, 10), "cs", "adoption", 80.0, "良好"),
            ("a", D(2026, 4, 20), "cs", "adoption", 72.0, "良好"),
        ]
    )
    as_of = D(2026, 4, 25)
    assert previous_states(frame, as_of)["a"].score == 72.0
    assert previous_states(frame, as_of, drop_window_days=30)["a"].score == 90.0


def test_window_drop_found_by_engine(tmp_path):
    design, _ = load_design(ROOT / "examples" / "design.yaml")
    scoring = design.scoring.model_copy(update={"drop_window_days": 30})
    design = design.model_copy(update={"scoring": scoring})
    table = read_local(ROOT / "examples" / "deals.xlsx", sheet=None)
    as_of = D(2026, 11, 1)
    first = validate(table, design, as_of)
    key = str(first.rows["row_key"].iloc[0])
    score = float(first.rows["score"].iloc[0])
    frame = history(
        [
            (key, as_of - dt.timedelta(days=20), "cs", "adoption", score + 16, "良好"),
            (key, as_of - dt.timedelta(days=10), "cs", "adoption", score + 8, "良好"),
        ]
    )
    per_run = validate(table, design, as_of, previous=previous_states(frame, as_of))
    windowed = validate(
        table, design, as_of, previous=previous_states(frame, as_of, drop_window_days=30)
    )
    assert not [f for f in per_run.findings if f.code.value == "score_dropped" and f.row == 2]
    assert [f.row for f in windowed.findings if f.code.value == "score_dropped"] == [2]


def test_missing_row_keys_sorted():
    frame = history([("b", D(2026, 4, 1), "cs", None, None, None),
                     ("a", D(2026, 4, 1), "cs", None, None, None),
                     ("c", D(2026, 4, 1), "cs", None, None, None)])  # fmt: skip
    assert missing_row_keys(frame, ["c", None]) == ["a", "b"]


def test_grade_movement_matches_crosstab():
    grades = ["良好", "注意", "危険"]
    start, end = D(2026, 4, 1), D(2026, 5, 1)
    rows = [
        ("a", start, "良好", "注意"),
        ("b", start, "良好", "危険"),
        ("c", start, "注意", "良好"),
        ("d", start, "良好", "良好"),
        ("e", start, "危険", "危険"),
    ]
    records = [(key, day, "cs", "x", 0.0, before) for key, day, before, _ in rows]
    records += [(key, end, "cs", "x", 0.0, after) for key, _, _, after in rows]
    records.append(("f", end, "cs", "x", 0.0, "良好"))  # not graded on the start date
    matrix = grade_movement(history(records), start, end, grades)

    before = pd.Series({key: grade for key, _, grade, _ in rows})
    after = pd.Series({key: grade for key, _, _, grade in rows})
    expected = pd.crosstab(before, after).reindex(index=grades, columns=grades, fill_value=0)
    assert matrix.to_numpy().tolist() == expected.to_numpy().tolist()
    assert movement_counts(matrix) == {"worsened": 2, "improved": 1, "unchanged": 2}


def test_sparkline_fixed_scale():
    assert sparkline([0, 100]) == "▁█"
    assert sparkline([80, 80, 80]) == "▇▇▇"
    assert sparkline([20, None, 50]) == "▂·▅"
    assert sparkline([-5, 120]) == "▁█"


def test_support_calendar_counts_open_deals():
    design, _ = load_design(ROOT / "examples" / "design.yaml")
    headers = ["案件ID", "案件名", "パイプライン", "ステージ", "担当者", "顧客名", "契約金額",
               "更新予定日", "次回アクション日"]  # fmt: skip
    cells = [
        ("1", "活用促進", "100000", "2026-11-20", "2026-11-05"),
        ("2", "更新提案", "200000", "2026-11-30", "2027-01-10"),
        ("3", "活用促進", "300000", "2027-10-31", "2026-10-01"),  # action already past
        ("4", "活用促進", "400000", "2027-11-01", ""),  # renewal beyond the year
        ("5", "更新済み", "500000", "2026-12-01", "2026-12-01"),  # closed: not counted
        ("6", "活用促進", "600000", "2026-10-31", "2026-12-24"),  # renewal already past
    ]
    rows = [[key, f"案件{key}", "CS", stage, "佐藤 健", "顧客", amount, close, action]
            for key, stage, amount, close, action in cells]  # fmt: skip
    as_of = D(2026, 11, 1)
    result = validate(SheetTable.from_rows("案件一覧", headers, rows), design, as_of)
    calendar = support_calendar(result)

    raw = pd.DataFrame(cells, columns=["key", "stage", "amount", "close", "action"])
    raw = raw[raw["stage"] != "更新済み"]
    first, last = pd.Timestamp(as_of), pd.Timestamp(2027, 11, 1)
    for column, name in (("close", "renewals"), ("action", "planned_actions")):
        dates = pd.to_datetime(raw[column], errors="coerce")
        dates_in_year = dates[(dates >= first) & (dates < last)]
        expected = dates_in_year.dt.strftime("%Y-%m").value_counts()
        assert calendar[name].sum() == len(dates_in_year), name
        for month, count in expected.items():
            assert calendar.at[month, name] == count, (name, month)
    renewals = pd.to_datetime(raw["close"])
    in_year = (renewals >= first) & (renewals < last)
    november = raw[in_year & (renewals.dt.month == 11) & (renewals.dt.year == 2026)]
    assert calendar.at["2026-11", "renewal_amount"] == november["amount"].astype(float).sum()
    assert list(calendar.index) == [
        str(p) for p in pd.period_range("2026-11", periods=12, freq="M")
    ]


def test_kpi_json_and_rows():
    design, _ = load_design(ROOT / "examples" / "design.yaml")
    table = read_local(ROOT / "examples" / "deals.xlsx", sheet=None)
    result = validate(table, design, D(2026, 11, 1))
    key = str(result.rows["row_key"].iloc[0])
    frame = history(
        [
            (key, D(2026, 10, 1), "cs", "adoption", 90.0, "良好"),
            (key, D(2026, 10, 15), "cs", "adoption", 50.0, "注意"),
            (key, D(2026, 11, 1), "cs", "adoption", 20.0, "危険"),
        ]
    )
    data = history_kpis(frame, result, include_current=False)
    assert data["grade_movement"]["grades"] == ["良好", "注意", "危険"]
    assert data["grade_movement"]["worsened"] == 1
    trend = data["score_trends"][0]
    assert trend["row_key"] == key
    assert trend["sheet_row"] == 2
    assert trend["sparkline"] == "▇▅▂"
    assert [point["score"] for point in trend["scores"]] == [90.0, 50.0, 20.0]
    assert len(data["support_calendar"]) == 12

    rows = history_kpi_rows(data, "ja")
    assert any(row[:1] == [key] and "▇▅▂" in row for row in rows)
    assert ["良好", 0, 0, 1] in rows
