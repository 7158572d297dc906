"""All KPIs of one validation run, computed together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validators.kpi.data import KpiData, Period
from validators.kpi.drivers import DriverKpi, driver_tables
from validators.kpi.funnel import FunnelKpi, funnel_kpis
from validators.kpi.partners import PartnerKpi, partner_table
from validators.kpi.retention import RetentionKpi, retention_kpis
from validators.kpi.revenue import RevenueKpi, revenue_kpis
from validators.kpi.satisfaction import DistributionKpi, grade_counts, satisfaction_kpis, score_kpis
from validators.kpi.upsell import UpsellKpi, upsell_candidates

if TYPE_CHECKING:
    from validators.engine import ValidationResult


@dataclass(frozen=True)
class KpiReport:
    as_of: dt.date
    period: Period
    rows: int  # checked (non-blank) rows
    retention: RetentionKpi
    revenue: RevenueKpi
    satisfaction: DistributionKpi
    scores: DistributionKpi
    grades: list[tuple[str, int]]
    funnels: list[FunnelKpi]
    upsell: UpsellKpi | None  # None: the design sets no upsell rule
    partners: list[PartnerKpi] | None  # None: the design names no partner property
    drivers: list[DriverKpi] | None  # None: the design names no driver attributes

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data; missing values carry a reason code."""
        return {
            "as_of": self.as_of.isoformat(),
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "rows": self.rows,
            "retention": self.retention.to_dict(),
            "revenue": self.revenue.to_dict(),
            "satisfaction": self.satisfaction.to_dict(),
            "scores": self.scores.to_dict(),
            "grades": [{"grade": grade, "rows": rows} for grade, rows in self.grades],
            "funnels": [funnel.to_dict() for funnel in self.funnels],
            "upsell": None if self.upsell is None else _listed(self.upsell.candidates),
            "upsell_excluded_errors": None if self.upsell is None else self.upsell.excluded_errors,
            "partners": _listed(self.partners),
            "drivers": _listed(self.drivers),
        }


def compute_report(data: KpiData) -> KpiReport:
    return KpiReport(
        as_of=data.as_of,
        period=data.period,
        rows=len(data.rows),
        retention=retention_kpis(data),
        revenue=revenue_kpis(data),
        satisfaction=satisfaction_kpis(data),
        scores=score_kpis(data),
        grades=grade_counts(data),
        funnels=funnel_kpis(data),
        upsell=upsell_candidates(data),
        partners=partner_table(data),
        drivers=driver_tables(data),
    )


def compute_kpis(
    result: ValidationResult,
    period: Period | None = None,
    lookups: Mapping[str, Mapping[str, str]] | None = None,
) -> KpiReport:
    """Compute every KPI from a validation result.

    ``period`` defaults to ``kpi.period_days`` days ending on the result's
    as-of date. ``lookups`` contains the loaded table of each design lookup.
    """
    data = KpiData.build(
        result.design,
        result.rows,
        result.values,
        result.findings,
        result.as_of,
        period,
        lookups,
    )
    return compute_report(data)


def _listed(items: list[Any] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [item.to_dict() for item in items]
