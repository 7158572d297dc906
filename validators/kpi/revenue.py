"""Revenue per customer, for all customers and for key clients, mean beside median.

Definition: the customers are the rows of the KPI pipeline whose revenue
property (``kpi.revenue_property``, default the sheet's amount column) contains
a known number (see ``known_revenue``: a closed deal with 0 or less is not
known). Cancelled customers count too, because the KPI describes the
revenue the team has managed. Key clients are the rows whose
``key_clients.flag_property`` is true, else the top ``top_share`` of
customers by revenue: ceil(share × customers) rows, ties at the cut going to
the row higher up in the sheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from validators.kpi.data import KpiData
from validators.kpi.metric import Metric, Reason, mean_of, median_of, sum_of


@dataclass(frozen=True)
class RevenueKpi:
    property: str | None
    customers: int
    total: Metric
    mean: Metric
    median: Metric
    key_rule: str  # "flag" or "top_share"
    key_clients: int
    key_mean: Metric
    key_median: Metric
    key_share_of_revenue: Metric  # key clients' part of the total revenue

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in ("property", "customers", "key_rule", "key_clients"):
            data[name] = getattr(self, name)
        for name in ("total", "mean", "median", "key_mean", "key_median", "key_share_of_revenue"):
            data[name] = getattr(self, name).to_dict()
        return data


def revenue_property(data: KpiData) -> str | None:
    return data.settings.revenue_property or data.design.sheet.amount_column


def known_revenue(data: KpiData) -> pd.Series:
    """Return each row's revenue, NaN where it is blank, invalid or unknown.

    A won deal whose revenue is 0 or less counts as unknown, not as 0:
    ``bridge validate`` flags the same contradiction on the amount column
    (``inconsistent``, won_without_amount), and a 0 would pull averages down
    and pass every ``max_revenue`` condition. A lost deal with 0 or less
    never became a customer (a sales pipeline's lost deal), so it counts as
    unknown too; a churned customer with a contract amount keeps it.
    """
    revenue = data.numbers(revenue_property(data))
    closed = data.rows["closed"].isin(["won", "lost"])
    return revenue.mask(closed & (revenue <= 0))


def revenue_kpis(data: KpiData) -> RevenueKpi:
    name = revenue_property(data)
    rule = data.settings.key_clients
    key_rule = "flag" if rule.flag_property else "top_share"
    if name is None or not data.has(name):
        reason = Reason.NOT_CONFIGURED if name is None else Reason.MISSING_COLUMN
        missing = Metric.missing(reason)
        return RevenueKpi(
            name, 0, missing, missing, missing, key_rule, 0, missing, missing, missing
        )

    revenue = known_revenue(data)
    revenue = revenue[data.in_pipeline() & revenue.notna()]
    key = key_client_mask(data, revenue)
    key_revenue = revenue[key]
    total = sum_of(revenue)
    share = Metric.missing(Reason.ZERO_DENOMINATOR)
    if total.ok and total.value != 0:
        share = Metric(float(key_revenue.sum()) / total.value)
    return RevenueKpi(
        property=name,
        customers=len(revenue),
        total=total,
        mean=mean_of(revenue),
        median=median_of(revenue),
        key_rule=key_rule,
        key_clients=len(key_revenue),
        key_mean=mean_of(key_revenue),
        key_median=median_of(key_revenue),
        key_share_of_revenue=share,
    )


def key_client_mask(data: KpiData, revenue: pd.Series) -> pd.Series:
    """Return True for the key clients among the rows of ``revenue``."""
    rule = data.settings.key_clients
    if rule.flag_property:
        flags = data.column(rule.flag_property).reindex(revenue.index)
        return flags.map(lambda value: value is True or value == "true").astype(bool)
    count = math.ceil(rule.top_share * len(revenue))
    top = revenue.nlargest(count, keep="first").index
    return pd.Series(revenue.index.isin(top), index=revenue.index)
