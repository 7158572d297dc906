"""Success drivers: which attribute values go with success more often than average.

Definitions, per attribute the design names (``drivers.attributes``):

- rows judged: for outcome "won" the closed deals (won or lost) of the KPI
  pipeline (``kpi.pipeline``, every pipeline when it is not set), where
  success is won. For outcome "retained" the retention cohort (see
  ``validators.kpi.retention``, also the KPI pipeline's rows only), where
  success is still being active. Mixing pipelines would compare unlike
  outcomes, e.g. a renewed customer with a partner that went dormant;
- overall rate: successes / rows judged, over all of them. ``pipeline``
  records the base, so that the output can name it;
- per value of the attribute: rows, successes, rate = successes / rows, its
  95% Wilson interval, and lift = rate / overall rate;
- values with fewer than ``min_rows`` rows are marked ``small``: their rate
  is shown but should not be trusted. A value with a single row gets no
  rate at all (reason ``single_row``);
- rows without a value for the attribute are counted as ``blank``.

Values are sorted by lift, highest first, values without a lift last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from validators.kpi.data import KpiData
from validators.kpi.metric import Metric, Reason, rate, wilson_interval
from validators.kpi.retention import cohort_outcome


@dataclass(frozen=True)
class DriverValue:
    value: str
    rows: int
    successes: int
    rate: Metric
    low: Metric  # 95% Wilson interval
    high: Metric
    lift: Metric
    small: bool  # fewer rows than drivers.min_rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "rows": self.rows,
            "successes": self.successes,
            "rate": self.rate.to_dict(),
            "low": self.low.to_dict(),
            "high": self.high.to_dict(),
            "lift": self.lift.to_dict(),
            "small": self.small,
        }


@dataclass(frozen=True)
class DriverKpi:
    attribute: str
    label: str  # the property's label, or the lookup's name
    outcome: str
    pipeline: str | None  # label of the KPI pipeline the rows come from; None: every pipeline
    rows: int
    overall: Metric
    blank: int
    values: list[DriverValue]

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "label": self.label,
            "outcome": self.outcome,
            "pipeline": self.pipeline,
            "rows": self.rows,
            "overall": self.overall.to_dict(),
            "blank": self.blank,
            "values": [value.to_dict() for value in self.values],
        }


def success_flags(data: KpiData) -> pd.Series:
    """Return True (success), False (failure) or None (not judged) per row."""
    settings = data.settings.drivers
    assert settings is not None
    if settings.outcome == "retained":
        return cohort_outcome(data)
    closed = data.rows["closed"]
    judged = closed.notna() & data.in_pipeline()
    return (closed == "won").where(judged, None).astype(object)


def driver_tables(data: KpiData) -> list[DriverKpi] | None:
    settings = data.settings.drivers
    if settings is None:
        return None
    success = success_flags(data)
    judged = success.notna()
    wins = success == True  # noqa: E712 - object column of True/False/None
    total, successes = int(judged.sum()), int((judged & wins).sum())
    overall = rate(successes, total)
    return [
        _attribute_table(data, name, judged, wins, overall, settings.min_rows)
        for name in settings.attributes
    ]


def _attribute_table(
    data: KpiData,
    name: str,
    judged: pd.Series,
    wins: pd.Series,
    overall: Metric,
    min_rows: int,
) -> DriverKpi:
    labels = data.labels(name, data.column(name))[judged]
    present = labels.notna()
    grouped = pd.DataFrame({"value": labels[present], "win": wins[judged][present]})
    counts = grouped.groupby("value", sort=True)["win"].agg(["size", "sum"])

    values = []
    for value, (rows, successes) in counts.iterrows():
        values.append(_driver_value(str(value), int(rows), int(successes), overall, min_rows))
    values.sort(key=lambda item: (item.lift.value is None, -(item.lift.value or 0), item.value))
    return DriverKpi(
        attribute=name,
        label=data.design.property(name).label if name in data.design.property_names() else name,
        outcome=data.settings.drivers.outcome if data.settings.drivers else "won",
        pipeline=_pipeline_label(data),
        rows=int(judged.sum()),
        overall=overall,
        blank=int((~present).sum()),
        values=values,
    )


def _driver_value(
    value: str, rows: int, successes: int, overall: Metric, min_rows: int
) -> DriverValue:
    small = rows < min_rows
    if rows == 1:
        single = Metric.missing(Reason.SINGLE_ROW, numerator=successes, denominator=1)
        return DriverValue(value, rows, successes, single, single, single, single, small)
    share = rate(successes, rows)
    low, high = wilson_interval(successes, rows)
    if overall.value is None or overall.value == 0:
        lift = Metric.missing(Reason.ZERO_DENOMINATOR)
    else:
        lift = Metric(share.value / overall.value) if share.value is not None else share
    return DriverValue(value, rows, successes, share, low, high, lift, small)


def _pipeline_label(data: KpiData) -> str | None:
    pipeline_id = data.settings.pipeline
    if pipeline_id is None:
        return None
    return next((p.label for p in data.design.pipelines if p.id == pipeline_id), pipeline_id)
