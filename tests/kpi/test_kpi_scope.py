"""Which rows each KPI reads: the KPI pipeline only, unknown revenue, rows with errors.

A small two-pipeline sheet goes through the real validation. Expected values
come from the same rows filtered with pandas, not from the KPI code.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from validators.design_file import load_design_text
from validators.engine import validate
from validators.kpi.report import compute_kpis
from validators.table import SheetTable

DESIGN = """\
version: 1
sheet:
  key_column: deal_id
  stage_column: stage
  pipeline_column: pipeline
  owner_column: owner
  close_date_column: close_date
  amount_column: amount
properties:
  - {name: deal_id, label: 案件ID, unique: true, required: true}
  - {name: pipeline, label: パイプライン}
  - {name: stage, label: ステージ, required: true}
  - {name: owner, label: 担当者}
  - {name: partner, label: パートナー}
  - {name: region, label: 地域}
  - {name: amount, label: 金額, type: currency, min: 0}
  - {name: satisfaction, label: 満足度, type: number, min: 1, max: 5}
  - {name: start_date, label: 開始日, type: date}
  - {name: close_date, label: クローズ日, type: date}
pipelines:
  - id: cs
    label: CS
    stages:
      - {id: adoption, label: 定着}
      - {id: renewed, label: 更新済み, closed: won}
      - {id: churned, label: 解約, closed: lost}
  - id: ps
    label: PS
    stages:
      - {id: candidate, label: 候補}
      - {id: active, label: 稼働中, closed: won}
      - {id: dormant, label: 休眠, closed: lost}
scoring:
  measures:
    - {property: satisfaction, weight: 1, low: 1, high: 5}
  bands:
    - {grade: 良好, min: 70}
    - {grade: 危険, min: 0}
kpi:
  pipeline: cs
  revenue_property: amount
  satisfaction_property: satisfaction
  upsell: {min_score: 70, min_satisfaction: 4, max_revenue: 1000000}
  partners: {property: partner, start_date_property: start_date}
  drivers: {attributes: [region], min_rows: 2}
"""

HEADERS = ["案件ID", "パイプライン", "ステージ", "担当者", "パートナー", "地域", "金額", "満足度",
           "開始日", "クローズ日"]  # fmt: skip
ROWS = [
    ["D1", "CS", "定着", "佐藤", "A社", "東", "500000", "5", None, None],
    # Won without an amount: validate flags it, and its revenue is unknown.
    ["D2", "CS", "更新済み", "佐藤", "A社", "東", None, "5", "2026/1/1", "2026/7/1"],
    ["D3", "CS", "更新済み", "鈴木", "A社", "西", "800000", "5", "2026/1/1", "2026/3/2"],
    ["D4", "CS", "解約", "鈴木", "B社", "西", "300000", "2", "2025/6/1", "2026/2/1"],
    # The same key twice: both rows have a duplicate_key error.
    ["D5", "CS", "定着", "田中", "B社", "東", "400000", "5", None, None],
    ["D5", "CS", "定着", "田中", "B社", "東", "400000", "5", None, None],
    ["D6", "CS", "定着", "田中", "C社", "東", None, "5", None, None],
    ["D7", "CS", "更新済み", "田中", "C社", "東", "0", "5", "2026/2/1", "2026/4/1"],
    # Lost with 0: never a customer, so its revenue is unknown (D4 keeps its amount).
    ["D8", "CS", "解約", "鈴木", "C社", "西", "0", "3", "2025/6/1", "2026/5/1"],
    # The partners' own rows in the partner pipeline: not deals they brought.
    ["P1", "PS", "稼働中", "山本", "A社", "東", "900000", "5", "2025/1/1", "2025/2/1"],
    ["P2", "PS", "休眠", "山本", "B社", "西", "100000", None, "2025/1/1", "2025/6/1"],
]
AS_OF = dt.date(2026, 12, 1)
WON, LOST = "更新済み", "解約"


@pytest.fixture(scope="module")
def report():
    design = load_design_text(DESIGN)
    table = SheetTable.from_rows("案件", HEADERS, ROWS)
    return compute_kpis(validate(table, design, AS_OF))


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    data = pd.DataFrame(ROWS, columns=HEADERS)
    data["sheet_row"] = range(2, len(data) + 2)
    data["amount"] = pd.to_numeric(data["金額"])
    data["satisfaction"] = pd.to_numeric(data["満足度"])
    return data


def test_partner_counts_kpi_pipeline_only(report, frame):
    cs = frame[frame["パイプライン"] == "CS"]
    deals = cs.groupby("パートナー").size()
    won = cs[cs["ステージ"] == WON].groupby("パートナー").size()
    by_partner = {entry.partner: entry for entry in report.partners}

    assert set(by_partner) == set(deals.index)
    for partner, count in deals.items():
        assert by_partner[partner].deals == count, partner
        assert by_partner[partner].won == won.get(partner, 0), partner
        assert by_partner[partner].active_clients == int(
            (cs[cs["パートナー"] == partner]["ステージ"] != LOST).sum()
        ), partner


def test_partner_revenue_skips_won_without_amount(report, frame):
    cs_won = frame[(frame["パイプライン"] == "CS") & (frame["ステージ"] == WON)]
    known = cs_won[cs_won["amount"] > 0]
    revenue = known.groupby("パートナー")["amount"].sum()
    without = (cs_won["amount"].fillna(0) <= 0).groupby(cs_won["パートナー"]).sum()
    by_partner = {entry.partner: entry for entry in report.partners}

    assert by_partner["A社"].revenue.value == pytest.approx(revenue["A社"])
    assert by_partner["A社"].won_without_revenue == without["A社"] == 1
    # C社's only won deal has an amount of 0, so its revenue is unknown, not 0.
    assert by_partner["C社"].revenue.value is None
    assert by_partner["C社"].won_without_revenue == without["C社"] == 1
    assert by_partner["B社"].won_without_revenue == 0


def test_partner_median_days_over_won_deals(report, frame):
    cs_won = frame[(frame["パイプライン"] == "CS") & (frame["ステージ"] == WON)]
    days = pd.to_datetime(cs_won["クローズ日"]) - pd.to_datetime(cs_won["開始日"])
    expected = days.dt.days.groupby(cs_won["パートナー"]).median()
    by_partner = {entry.partner: entry for entry in report.partners}
    assert by_partner["A社"].median_days_to_close.value == pytest.approx(expected["A社"])


def test_upsell_skips_unknown_revenue_and_errors(report, frame):
    cs = frame[frame["パイプライン"] == "CS"]
    duplicated = cs["案件ID"].duplicated(keep=False)
    known = cs["amount"].where(~((cs["ステージ"] == WON) & (cs["amount"].fillna(0) <= 0)))
    meets = (
        (cs["ステージ"] != LOST)
        & (cs["satisfaction"] >= 4)  # score = satisfaction scaled to 0-100 here
        & known.notna()
        & (known < 1_000_000)
    )
    upsell = report.upsell

    assert [item.sheet_row for item in upsell.candidates] == cs["sheet_row"][
        meets & ~duplicated
    ].tolist()
    assert upsell.excluded_errors == int((meets & duplicated).sum()) == 2
    listed = {item.row_key for item in upsell.candidates}
    assert "D2" not in listed  # won without an amount
    assert "D7" not in listed  # won with an amount of 0
    assert "D6" not in listed  # open, amount blank


def test_upsell_json_keeps_list_shape(report):
    data = report.to_dict()
    assert isinstance(data["upsell"], list)
    assert data["upsell_excluded_errors"] == 2


def test_revenue_skips_closed_without_amount(report, frame):
    cs = frame[frame["パイプライン"] == "CS"]
    unknown = cs["ステージ"].isin([WON, LOST]) & (cs["amount"].fillna(0) <= 0)
    known = cs["amount"][~unknown].dropna()
    assert report.revenue.customers == len(known)
    assert report.revenue.mean.value == pytest.approx(known.mean())


def test_drivers_judge_kpi_pipeline_only(report, frame):
    cs = frame[frame["パイプライン"] == "CS"]
    closed = cs[cs["ステージ"].isin([WON, LOST])]
    won = closed["ステージ"] == WON
    (table,) = report.drivers

    assert table.rows == len(closed)
    assert table.overall.value == pytest.approx(won.mean())
    assert table.pipeline == "CS"
    by_value = {value.value: value for value in table.values}
    for region, rows in closed.groupby("地域"):
        assert by_value[region].rows == len(rows), region


def test_kpi_skips_out_of_range():
    # 満足度 7 on the 1-5 scale is an out_of_range error, so the KPIs leave it out.
    rows = [list(row) for row in ROWS]
    rows[0][HEADERS.index("満足度")] = "7"
    design = load_design_text(DESIGN)
    result = validate(SheetTable.from_rows("案件", HEADERS, rows), design, AS_OF)
    flagged = [f for f in result.findings if f.code.value == "out_of_range"]

    satisfaction = compute_kpis(result).satisfaction
    cs_values = [
        float(row[HEADERS.index("満足度")]) for row in ROWS[1:]
        if row[HEADERS.index("パイプライン")] == "CS" and row[HEADERS.index("満足度")]
    ]  # fmt: skip

    assert [f.row for f in flagged] == [2]
    assert satisfaction.rows == len(cs_values)
    assert satisfaction.mean.value == pytest.approx(sum(cs_values) / len(cs_values))
