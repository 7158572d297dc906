"""KPIs of the telco churn and Maven CRM data sets against values computed here with pandas."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.kpi.conftest import MAVEN_DIR, TELCO_CSV, wilson
from validators.findings import Code
from validators.kpi.report import compute_kpis


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    return pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def maven() -> pd.DataFrame:
    deals = pd.read_csv(MAVEN_DIR / "sales_pipeline.csv", dtype=str, keep_default_na=False)
    accounts = pd.read_csv(MAVEN_DIR / "accounts.csv", dtype=str, keep_default_na=False)
    teams = pd.read_csv(MAVEN_DIR / "sales_teams.csv", dtype=str, keep_default_na=False)
    deals = deals.merge(accounts[["account", "sector"]], on="account", how="left")
    return deals.merge(teams[["sales_agent", "regional_office"]], on="sales_agent", how="left")


def test_telco_churn_rate_excludes_new_customers(telco_run, telco):
    report = compute_kpis(telco_run[0], lookups=telco_run[1])
    cohort = telco[telco["tenure"].astype(int) > 0]
    churned = int((cohort["Churn"] == "Yes").sum())

    assert report.retention.cohort == len(cohort)
    assert report.retention.churned == churned
    assert report.retention.new_customers == int((telco["tenure"] == "0").sum())
    assert report.retention.churn_rate.value == pytest.approx(churned / len(cohort))
    assert report.retention.retention_rate.value == pytest.approx(1 - churned / len(cohort))


def test_telco_revenue_averages(telco_run, telco):
    report = compute_kpis(telco_run[0], lookups=telco_run[1])
    charges = telco["MonthlyCharges"].astype(float)
    top = charges.nlargest(math.ceil(0.2 * len(charges)), keep="first")

    assert report.revenue.customers == len(charges)
    assert report.revenue.mean.value == pytest.approx(charges.mean())
    assert report.revenue.median.value == pytest.approx(charges.median())
    assert report.revenue.key_clients == len(top)
    assert report.revenue.key_mean.value == pytest.approx(top.mean())
    assert report.revenue.key_median.value == pytest.approx(top.median())


@pytest.mark.parametrize(
    ("attribute", "column"), [("contract", "Contract"), ("internet_service", "InternetService")]
)
def test_telco_drivers_table(telco_run, telco, attribute, column):
    report = compute_kpis(telco_run[0], lookups=telco_run[1])
    table = next(item for item in report.drivers if item.attribute == attribute)
    cohort = telco[telco["tenure"].astype(int) > 0]
    retained = cohort["Churn"] == "No"
    overall = retained.mean()
    expected = cohort.assign(retained=retained).groupby(column)["retained"].agg(["size", "sum"])

    assert table.overall.value == pytest.approx(overall)
    assert [value.value for value in table.values] == list(
        (expected["sum"] / expected["size"]).sort_values(ascending=False).index
    )
    for value in table.values:
        rows, successes = expected.loc[value.value]
        low, high = wilson(int(successes), int(rows))
        assert value.rows == rows
        assert value.successes == successes
        assert value.rate.value == pytest.approx(successes / rows)
        assert value.lift.value == pytest.approx(successes / rows / overall)
        assert value.low.value == pytest.approx(low)
        assert value.high.value == pytest.approx(high)
        assert value.small is False


def test_telco_blank_total_charges_are_findings(telco_run, telco):
    result = telco_run[0]
    blank_rows = set(telco.index[telco["TotalCharges"].str.strip() == ""] + 2)
    flagged = {
        finding.row
        for finding in result.findings
        if finding.column == "TotalCharges" and finding.code is Code.MISSING_REQUIRED
    }
    assert len(blank_rows) == 11
    assert flagged == blank_rows


def test_maven_win_rate_per_agent(maven_run, maven):
    report = compute_kpis(maven_run[0], lookups=maven_run[1])
    closed = maven[maven["deal_stage"].isin(["Won", "Lost"])]
    won = closed["deal_stage"] == "Won"
    expected = won.groupby(closed["sales_agent"]).mean()
    deals = maven["sales_agent"].value_counts()

    by_agent = {entry.partner: entry for entry in report.partners}
    assert set(by_agent) == set(deals.index)
    for agent, win_rate in expected.items():
        assert by_agent[agent].win_rate.value == pytest.approx(win_rate), agent
        assert by_agent[agent].deals == deals[agent]
    rates = [entry.win_rate.value for entry in report.partners]
    assert rates == sorted(rates, reverse=True)


def test_maven_partner_revenue_and_days(maven_run, maven):
    report = compute_kpis(maven_run[0], lookups=maven_run[1])
    won = maven[maven["deal_stage"] == "Won"]
    revenue = won["close_value"].astype(float).groupby(won["sales_agent"]).sum()
    days = (pd.to_datetime(won["close_date"]) - pd.to_datetime(won["engage_date"])).dt.days
    median_days = days.groupby(won["sales_agent"]).median()
    active = maven[maven["deal_stage"] != "Lost"]
    clients = active[active["account"] != ""].groupby("sales_agent")["account"].nunique()

    for entry in report.partners:
        assert entry.revenue.value == pytest.approx(revenue[entry.partner])
        assert entry.median_days_to_close.value == pytest.approx(median_days[entry.partner])
        assert entry.active_clients == clients[entry.partner]


def test_maven_revenue_counts_won_deals(maven_run, maven):
    # Lost deals carry a close_value of 0: they never became customers.
    report = compute_kpis(maven_run[0], lookups=maven_run[1])
    won = maven[maven["deal_stage"] == "Won"]["close_value"].astype(float)
    won = won[won > 0]

    assert report.revenue.customers == len(won)
    assert report.revenue.median.value == pytest.approx(won.median())
    assert report.revenue.mean.value == pytest.approx(won.mean())


@pytest.mark.parametrize("attribute", ["sector", "regional_office"])
def test_maven_win_rate_per_lookup_attribute(maven_run, maven, attribute):
    report = compute_kpis(maven_run[0], lookups=maven_run[1])
    table = next(item for item in report.drivers if item.attribute == attribute)
    closed = maven[maven["deal_stage"].isin(["Won", "Lost"])]
    won = closed["deal_stage"] == "Won"
    expected = won.groupby(closed[attribute]).agg(["size", "sum"])

    assert table.overall.value == pytest.approx(won.mean())
    assert table.blank == int(closed[attribute].isna().sum())
    assert {value.value for value in table.values} == set(expected.index)
    for value in table.values:
        rows, successes = expected.loc[value.value]
        assert value.rows == rows
        assert value.rate.value == pytest.approx(successes / rows)
