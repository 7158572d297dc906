"""Edge cases of the KPI definitions: empty periods, zero denominators, single rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from validators.design_file import DesignError, load_design_text
from validators.kpi.data import KpiData, Period
from validators.kpi.drivers import driver_tables
from validators.kpi.metric import Reason, rate, wilson_interval
from validators.kpi.partners import partner_table
from validators.kpi.report import compute_report
from validators.kpi.retention import retention_kpis
from validators.kpi.upsell import upsell_candidates

DESIGN = """
version: 1
sheet: {stage_column: stage, owner_column: owner, close_date_column: closed_on}
properties:
  - {name: stage, label: Stage}
  - {name: owner, label: Owner}
  - {name: start, label: Start, type: date}
  - {name: ended, label: Ended, type: date}
  - {name: closed_on, label: Closed on, type: date}
  - {name: revenue, label: Revenue, type: number}
  - {name: csat, label: CSAT, type: number}
  - {name: region, label: Region}
  - {name: partner, label: Partner}
pipelines:
  - id: cs
    label: CS
    stages:
      - {id: active, label: Active}
      - {id: renewed, label: Renewed, closed: won}
      - {id: churned, label: Churned, closed: lost}
kpi:
  revenue_property: revenue
  satisfaction_property: csat
  retention: {start_date_property: start, end_date_property: ended}
  upsell: {min_score: 70, min_satisfaction: 4, max_revenue: 1000}
  partners: {property: partner}
  drivers: {attributes: [region], min_rows: 3}
"""


def make_data(records: list[dict], period: Period | None = None) -> KpiData:
    design = load_design_text(DESIGN)
    frame = pd.DataFrame(records)
    closed = frame["stage"].map({"renewed": "won", "churned": "lost"})
    rows = pd.DataFrame(
        {
            "sheet_row": range(2, len(frame) + 2),
            "row_key": [f"k{i}" for i in range(len(frame))],
            "pipeline": "cs",
            "stage": frame["stage"],
            "closed": closed.where(closed.notna(), None).astype(object),
            "owner": frame.get("owner", pd.Series(None, index=frame.index)),
            "status": "ok",
            "score": frame.get("score", pd.Series(float("nan"), index=frame.index)),
            "grade": None,
            "stage_entered": pd.NaT,
        }
    )
    values = pd.DataFrame(index=frame.index)
    for name in ("start", "ended", "closed_on"):
        if name in frame:
            values[name] = pd.to_datetime(frame[name])
    for name in ("revenue", "csat", "region", "partner", "stage", "owner"):
        if name in frame:
            values[name] = frame[name]
    as_of = dt.date(2024, 12, 31)
    return KpiData.build(design, rows, values, [], as_of, period)


YEAR_2024 = Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def test_retention_cohort_excludes_new_and_gone():
    data = make_data(
        [
            {"stage": "active", "start": "2023-05-01"},  # retained
            {"stage": "churned", "start": "2023-02-01", "ended": "2024-06-30"},  # churned
            {"stage": "churned", "start": "2022-01-01", "ended": "2023-12-31"},  # gone before
            {"stage": "active", "start": "2024-03-01"},  # new in the period
            {"stage": "churned", "start": "2023-01-01", "ended": "2025-02-01"},  # after the end
            {"stage": "churned", "start": "2023-01-01"},  # cancelled, no date
        ],
        YEAR_2024,
    )
    kpi = retention_kpis(data)
    assert kpi.cohort == 3
    assert kpi.churned == 1
    assert kpi.new_customers == 1
    assert kpi.undated == 1
    assert kpi.churn_rate.value == pytest.approx(1 / 3)
    assert kpi.retention_rate.value == pytest.approx(2 / 3)


def test_retention_empty_period_has_reason():
    data = make_data([{"stage": "active", "start": "2024-03-01"}], YEAR_2024)
    kpi = retention_kpis(data)
    assert kpi.cohort == 0
    assert kpi.churn_rate.value is None
    assert kpi.churn_rate.reason is Reason.EMPTY_PERIOD
    assert kpi.retention_rate.reason is Reason.EMPTY_PERIOD


def test_partner_without_closed_deals_has_no_win_rate():
    data = make_data(
        [
            {"stage": "active", "partner": "A", "score": 50.0},
            {"stage": "renewed", "partner": "B", "closed_on": "2024-05-01", "revenue": 10},
        ]
    )
    table = {entry.partner: entry for entry in partner_table(data)}
    assert table["A"].win_rate.value is None
    assert table["A"].win_rate.reason is Reason.ZERO_DENOMINATOR
    assert table["B"].win_rate.value == 1.0
    assert table["A"].median_days_to_close.reason is Reason.NOT_CONFIGURED
    assert [entry.partner for entry in partner_table(data)] == ["B", "A"]


def test_driver_single_row_group_has_reason():
    rows = [{"stage": "renewed", "region": "east"}] * 3 + [
        {"stage": "churned", "region": "east"},
        {"stage": "renewed", "region": "west"},
    ]
    (table,) = driver_tables(make_data(rows))
    by_value = {value.value: value for value in table.values}
    assert by_value["west"].rate.value is None
    assert by_value["west"].rate.reason is Reason.SINGLE_ROW
    assert by_value["west"].lift.reason is Reason.SINGLE_ROW
    assert by_value["west"].small is True
    assert by_value["east"].rate.value == pytest.approx(0.75)
    assert by_value["east"].lift.value == pytest.approx(0.75 / 0.8)
    assert by_value["east"].small is False
    assert [value.value for value in table.values] == ["east", "west"]


def test_driver_without_closed_rows_has_no_lift():
    (table,) = driver_tables(make_data([{"stage": "active", "region": "east"}] * 2))
    assert table.overall.reason is Reason.ZERO_DENOMINATOR
    assert table.values == []


def test_upsell_needs_every_condition():
    data = make_data(
        [
            {"stage": "active", "score": 80.0, "csat": 5, "revenue": 500},  # candidate
            {"stage": "active", "score": 80.0, "csat": 5, "revenue": 5000},  # revenue too high
            {"stage": "active", "score": 60.0, "csat": 5, "revenue": 500},  # score too low
            {"stage": "active", "score": 80.0, "revenue": 500},  # no satisfaction
            {"stage": "churned", "score": 90.0, "csat": 5, "revenue": 500},  # lost
        ]
    )
    candidates = upsell_candidates(data).candidates
    assert [candidate.sheet_row for candidate in candidates] == [2]


def test_report_of_no_rows_has_no_nan():
    data = make_data([{"stage": "active", "revenue": 5, "csat": 3, "start": "2023-01-01"}])
    data = KpiData.build(
        data.design, data.rows.iloc[:0], data.values.iloc[:0], [], data.as_of, YEAR_2024
    )
    report = compute_report(data).to_dict()

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, float):
            assert value == value, "NaN in the report"

    walk(report)
    assert report["revenue"]["mean"] == {"value": None, "reason": "no_data"}
    assert report["retention"]["churn_rate"]["reason"] == "empty_period"


def test_rate_and_wilson_zero_denominator():
    assert rate(0, 0).reason is Reason.ZERO_DENOMINATOR
    low, high = wilson_interval(0, 0)
    assert low.value is None
    assert high.reason is Reason.ZERO_DENOMINATOR


def test_wilson_interval_of_all_successes_stays_below_one():
    low, high = wilson_interval(10, 10)
    assert high.value == pytest.approx(1.0)
    # With every trial a success the lower bound reduces to n / (n + z²).
    assert low.value == pytest.approx(10 / (10 + 1.959963984540054**2))


def test_design_kpi_unknown_property_is_reported():
    text = DESIGN.replace("revenue_property: revenue", "revenue_property: turnover")
    with pytest.raises(DesignError) as caught:
        load_design_text(text)
    problem = caught.value.problems[0]
    assert problem.key == "kpi"
    assert "turnover" in problem.params["detail"]


def test_design_without_kpi_section_loads():
    text = DESIGN[: DESIGN.index("kpi:")]
    design = load_design_text(text)
    assert design.kpi.retention is None
    assert design.kpi.period_days == 365
