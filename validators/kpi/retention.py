"""Retention rate (継続率) and churn rate (解約率) as cohort rates.

Definition: the cohort is the customers who were active at the start of the
period. Customers who joined during the period are new and left out, so a
growing customer base does not hide churn. Of the cohort, the customers who
cancelled on or before the period's last day are churned and the others are
retained. Retention rate = retained / cohort and churn rate = churned /
cohort, so the two add up to 1.

Two ways to know who was a customer at the period's start:

- dated: ``start_date_property`` (customer since) and ``end_date_property``
  (cancellation date). The cohort is the customers who started before the
  period's first day and had not cancelled before it. A cancelled customer
  without a cancellation date cannot be placed in time and is counted as
  ``undated`` instead.
- snapshot, for data without dates (one export per period, like the IBM
  telco data): every customer with a known status is in the cohort, except
  those whose ``tenure_property`` is at most ``new_max_tenure`` (they joined
  within the observed period). The period then is the export's own window.

Only rows of the KPI pipeline count; rows whose churn status is blank or
whose stage is unknown are counted as ``unknown_status`` and left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from validators.kpi.data import KpiData, match_key
from validators.kpi.metric import Metric, Reason, rate
from validators.kpi.settings import RetentionSettings


@dataclass(frozen=True)
class RetentionKpi:
    mode: Literal["dated", "snapshot"]
    cohort: int  # customers active at the period's start, new ones excluded
    retained: int
    churned: int
    new_customers: int  # joined during the period, so excluded
    unknown_status: int  # blank churn status, unknown stage or missing tenure
    undated: int  # cancelled without a cancellation date (dated mode only)
    retention_rate: Metric
    churn_rate: Metric

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("mode", "cohort", "retained", "churned", "new_customers")
        }
        data["unknown_status"] = self.unknown_status
        data["undated"] = self.undated
        data["retention_rate"] = self.retention_rate.to_dict()
        data["churn_rate"] = self.churn_rate.to_dict()
        return data


def retention_counted(kpi: RetentionKpi) -> bool:
    """Return whether the cohort was counted: False when the design or the sheet lacks what it needs."""
    return kpi.retention_rate.reason not in (Reason.NOT_CONFIGURED, Reason.MISSING_COLUMN)


def churned_flags(data: KpiData) -> pd.Series:
    """Return True (churned), False (active) or None (unknown) per row."""
    settings = data.settings.retention or RetentionSettings()
    if settings.status_property:
        churned_keys = {match_key(value) for value in settings.churned_values}
        values = data.column(settings.status_property)

        def flag(value: object) -> bool | None:
            if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
                return None
            text = value
            if isinstance(value, bool):
                text = "true" if value else "false"
            return match_key(text) in churned_keys

        return values.map(flag).astype(object)

    cancellation = set(settings.cancellation_stages) or _lost_stages(data)
    stages = data.rows["stage"]
    flags = stages.map(lambda stage: None if stage is None else stage in cancellation)
    return flags.where(stages.notna(), None).astype(object)


@dataclass(frozen=True)
class Cohort:
    """Row masks of the cohort and the counts of the rows left out of it."""

    members: pd.Series  # active at the period's start, new customers excluded
    churned: pd.Series  # members who cancelled by the period's last day
    new: pd.Series
    unknown_status: int
    undated: int


def cohort(data: KpiData) -> Cohort:
    """Return who is in the retention cohort and who of them churned."""
    settings = data.settings.retention or RetentionSettings()
    scope = data.in_pipeline()
    flags = churned_flags(data)
    known = scope & flags.notna()
    churned = known & (flags == True)  # noqa: E712 - object column of True/False/None
    unknown = int((scope & flags.isna()).sum())

    if settings.start_date_property:
        return _dated_cohort(data, known, churned, unknown)

    new = pd.Series(False, index=data.rows.index)
    if settings.tenure_property:
        tenure = data.numbers(settings.tenure_property)
        unknown += int((known & tenure.isna()).sum())
        known = known & tenure.notna()
        new = known & (tenure <= settings.new_max_tenure)
    members = known & ~new
    return Cohort(members, members & churned, new, unknown, 0)


def _dated_cohort(data: KpiData, known: pd.Series, churned: pd.Series, unknown: int) -> Cohort:
    settings = data.settings.retention or RetentionSettings()
    start = data.dates(settings.start_date_property)
    end = data.dates(settings.end_date_property)
    first = pd.Timestamp(data.period.start)
    last = pd.Timestamp(data.period.end)

    unknown += int((known & start.isna()).sum())
    known = known & start.notna()
    undated = known & churned & end.isna()
    known = known & ~undated
    new = known & (start >= first) & (start <= last)
    gone_before = churned & (end < first)
    members = known & (start < first) & ~gone_before
    return Cohort(members, members & churned & (end <= last), new, unknown, int(undated.sum()))


def cohort_outcome(data: KpiData) -> pd.Series:
    """Return True (retained), False (churned) or None (not in the cohort) per row."""
    members = cohort(data)
    return (~members.churned).where(members.members, None).astype(object)


def retention_kpis(data: KpiData) -> RetentionKpi:
    settings = data.settings.retention
    if settings is None:
        missing = Metric.missing(Reason.NOT_CONFIGURED)
        return RetentionKpi("snapshot", 0, 0, 0, 0, 0, 0, missing, missing)
    mode: Literal["dated", "snapshot"] = "dated" if settings.start_date_property else "snapshot"
    members = cohort(data)
    return _result(
        mode,
        int(members.members.sum()),
        int(members.churned.sum()),
        int(members.new.sum()),
        members.unknown_status,
        members.undated,
    )


def _result(
    mode: Literal["dated", "snapshot"],
    cohort: int,
    churned: int,
    new: int,
    unknown: int,
    undated: int,
) -> RetentionKpi:
    retained = cohort - churned
    if cohort == 0:
        retention = Metric.missing(Reason.EMPTY_PERIOD, numerator=0, denominator=0)
        churn = retention
    else:
        retention, churn = rate(retained, cohort), rate(churned, cohort)
    return RetentionKpi(mode, cohort, retained, churned, new, unknown, undated, retention, churn)


def _lost_stages(data: KpiData) -> set[str]:
    pipelines = data.design.pipelines
    if data.settings.pipeline is not None:
        pipelines = (data.design.pipeline(data.settings.pipeline),)
    return {
        stage.id for pipeline in pipelines for stage in pipeline.stages if stage.closed == "lost"
    }
