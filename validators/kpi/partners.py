"""The partner table: how the deals of each partner (agent, office, reseller) went.

Definitions, per value of ``partners.property`` over the rows of the KPI
pipeline (``kpi.pipeline``, every row when it is not set). Rows without a
partner are left out. The KPI pipeline contains the deals a partner brought,
while a partner's own row in another pipeline (e.g. its onboarding as a
partner in a PS pipeline, which names the partner itself) is not one of its
deals, so it is left out too.

- deals: rows; won and lost: rows in a closed won or closed lost stage;
- win rate: won / (won + lost), so open deals do not count against it;
- revenue: sum of the revenue property (``kpi.revenue_property``, default
  the amount column) over the won deals whose revenue is known (see
  ``validators.kpi.revenue.known_revenue``); ``won_without_revenue`` counts
  the won deals left out of the sum;
- median days to close: close date minus ``partners.start_date_property``
  over the won deals that have both dates;
- active clients: distinct values of ``partners.client_property`` among
  open and won deals (without a client property: the open and won deals);
- average score: mean score of the partner's rows.

Rows are sorted by win rate, highest first, partners without one last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from validators.kpi.data import KpiData
from validators.kpi.metric import Metric, Reason, mean_of, median_of, rate, sum_of
from validators.kpi.revenue import known_revenue


@dataclass(frozen=True)
class PartnerKpi:
    partner: str  # display text (option label for enum properties)
    deals: int
    won: int
    lost: int
    win_rate: Metric
    revenue: Metric
    won_without_revenue: int  # won deals without a known revenue, left out of ``revenue``
    median_days_to_close: Metric
    active_clients: int
    average_score: Metric

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in ("partner", "deals", "won", "lost"):
            data[name] = getattr(self, name)
        data["win_rate"] = self.win_rate.to_dict()
        data["revenue"] = self.revenue.to_dict()
        data["won_without_revenue"] = self.won_without_revenue
        data["median_days_to_close"] = self.median_days_to_close.to_dict()
        data["active_clients"] = self.active_clients
        data["average_score"] = self.average_score.to_dict()
        return data


def partner_table(data: KpiData) -> list[PartnerKpi] | None:
    """Return one entry per partner, or None when the design names no partner property."""
    settings = data.settings.partners
    if settings is None:
        return None
    rows = data.rows
    partners = data.labels(settings.property, data.column(settings.property))
    partners = partners.where(data.in_pipeline(), None)
    won = rows["closed"] == "won"
    lost = rows["closed"] == "lost"
    revenue = known_revenue(data).where(won)
    days = _days_to_close(data).where(won)
    active = rows["closed"] != "lost"
    clients = data.column(settings.client_property) if settings.client_property else None
    scores = pd.to_numeric(rows["score"], errors="coerce")

    table = []
    for partner, group in partners.dropna().groupby(partners.dropna(), sort=True):
        index = group.index
        won_count, lost_count = int(won[index].sum()), int(lost[index].sum())
        revenue_count = int(revenue[index].notna().sum())
        if clients is None:
            active_clients = int(active[index].sum())
        else:
            active_clients = int(clients[index][active[index]].dropna().nunique())
        table.append(
            PartnerKpi(
                partner=str(partner),
                deals=len(index),
                won=won_count,
                lost=lost_count,
                win_rate=rate(won_count, won_count + lost_count),
                revenue=sum_of(revenue[index]) if won_count else Metric(0.0),
                won_without_revenue=won_count - revenue_count,
                median_days_to_close=_median_days(data, days[index]),
                active_clients=active_clients,
                average_score=mean_of(scores[index]),
            )
        )
    table.sort(key=lambda entry: (entry.win_rate.value is None, -(entry.win_rate.value or 0)))
    return table


def _days_to_close(data: KpiData) -> pd.Series:
    settings = data.settings.partners
    assert settings is not None
    start = data.dates(settings.start_date_property)
    close = data.dates(data.design.sheet.close_date_column)
    return (close - start).dt.days.astype("float64")


def _median_days(data: KpiData, days: pd.Series) -> Metric:
    settings = data.settings.partners
    assert settings is not None
    if not settings.start_date_property or not data.design.sheet.close_date_column:
        return Metric.missing(Reason.NOT_CONFIGURED)
    return median_of(days)
