"""Satisfaction, score and grade: averages and distributions.

Definitions: average satisfaction is the mean (and median) of the
satisfaction property over the rows of the KPI pipeline that have a value;
its distribution counts each distinct value. Scores are the design's 0-100
scores of every checked row; their distribution counts rows per ten-point
band (0-9.9 … 90-100). The grade distribution counts rows per grade band of
the design, in band order from the highest, bands without rows included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from validators.kpi.data import KpiData
from validators.kpi.metric import Metric, Reason, mean_of, median_of

SCORE_BAND_WIDTH = 10


@dataclass(frozen=True)
class DistributionKpi:
    """Mean, median and counts per value of one measure."""

    property: str | None
    rows: int
    mean: Metric
    median: Metric
    counts: list[tuple[str, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "rows": self.rows,
            "mean": self.mean.to_dict(),
            "median": self.median.to_dict(),
            "counts": [{"value": value, "rows": rows} for value, rows in self.counts],
        }


def satisfaction_kpis(data: KpiData) -> DistributionKpi:
    name = data.settings.satisfaction_property
    if name is None or not data.has(name):
        reason = Reason.NOT_CONFIGURED if name is None else Reason.MISSING_COLUMN
        return DistributionKpi(name, 0, Metric.missing(reason), Metric.missing(reason))
    values = data.numbers(name)[data.in_pipeline()].dropna()
    counts = values.value_counts().sort_index()
    listed = [(_number_text(value), int(rows)) for value, rows in counts.items()]
    return DistributionKpi(name, len(values), mean_of(values), median_of(values), listed)


def score_kpis(data: KpiData) -> DistributionKpi:
    """Return the score's mean, median and rows per ten-point band."""
    if data.design.scoring is None:
        missing = Metric.missing(Reason.NOT_CONFIGURED)
        return DistributionKpi(None, 0, missing, missing)
    scores = pd.to_numeric(data.rows["score"], errors="coerce").dropna()
    edges = np.arange(0, 100 + SCORE_BAND_WIDTH, SCORE_BAND_WIDTH)
    # A score of exactly 100 belongs to the top band, not to a band of its own.
    band = np.minimum(scores.to_numpy() // SCORE_BAND_WIDTH, len(edges) - 2).astype(int)
    counts = np.bincount(band, minlength=len(edges) - 1)
    listed = [
        (f"{edges[i]}-{edges[i + 1] if i == len(counts) - 1 else edges[i + 1] - 0.1:g}", int(n))
        for i, n in enumerate(counts)
    ]
    return DistributionKpi("score", len(scores), mean_of(scores), median_of(scores), listed)


def grade_counts(data: KpiData) -> list[tuple[str, int]]:
    """Return (grade, rows) per band of the design, highest band first."""
    if data.design.scoring is None:
        return []
    counts = data.rows["grade"].dropna().value_counts()
    bands = sorted(data.design.scoring.bands, key=lambda band: band.min, reverse=True)
    return [(band.grade, int(counts.get(band.grade, 0))) for band in bands]


def _number_text(value: float) -> str:
    return f"{value:g}"
