"""A KPI value that may be missing, with the reason why, and the safe arithmetic behind it.

A KPI that cannot be computed (no customers in the period, a zero
denominator, a group of one row) is a ``Metric`` with ``value=None`` and a
``Reason``. The sheet shows it as "–" beside the translated reason, so no
division error or NaN ever reaches a user.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

WILSON_Z = 1.959963984540054  # two-sided 95% quantile of the standard normal distribution


class Reason(StrEnum):
    NO_DATA = "no_data"  # no row has a value for this KPI
    EMPTY_PERIOD = "empty_period"  # no customer was active at the period's start
    ZERO_DENOMINATOR = "zero_denominator"  # e.g. no closed deal, so no win rate
    SINGLE_ROW = "single_row"  # a median or rate of one row cannot be judged
    NOT_CONFIGURED = "not_configured"  # the design's kpi section does not set it up
    MISSING_COLUMN = "missing_column"  # the design names a property the sheet lacks


@dataclass(frozen=True, slots=True)
class Metric:
    """One KPI value, or None with the reason it is missing."""

    value: float | None
    reason: Reason | None = None
    numerator: float | None = None  # for rates: the counts behind the value
    denominator: float | None = None

    @classmethod
    def missing(cls, reason: Reason, **counts: float | None) -> Metric:
        return cls(None, reason, counts.get("numerator"), counts.get("denominator"))

    @property
    def ok(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"value": self.value}
        if self.reason is not None:
            data["reason"] = self.reason.value
        if self.denominator is not None:
            data["numerator"] = self.numerator
            data["denominator"] = self.denominator
        return data


def rate(numerator: float, denominator: float) -> Metric:
    """Return numerator / denominator, or a missing metric when the denominator is zero."""
    numerator, denominator = float(numerator), float(denominator)
    if denominator == 0:
        return Metric.missing(Reason.ZERO_DENOMINATOR, numerator=numerator, denominator=0.0)
    return Metric(numerator / denominator, None, numerator, denominator)


def mean_of(values: pd.Series) -> Metric:
    """Return the mean of the non-missing values; missing (no_data) when there are none."""
    numbers = _numbers(values)
    if numbers.empty:
        return Metric.missing(Reason.NO_DATA)
    return Metric(float(numbers.mean()))


def median_of(values: pd.Series) -> Metric:
    """Return the median; missing for no values and for a single value."""
    numbers = _numbers(values)
    if numbers.empty:
        return Metric.missing(Reason.NO_DATA)
    if len(numbers) == 1:
        return Metric.missing(Reason.SINGLE_ROW)
    return Metric(float(numbers.median()))


def sum_of(values: pd.Series) -> Metric:
    numbers = _numbers(values)
    if numbers.empty:
        return Metric.missing(Reason.NO_DATA)
    return Metric(float(numbers.sum()))


def wilson_interval(successes: int, total: int, z: float = WILSON_Z) -> tuple[Metric, Metric]:
    """Return the Wilson score interval (low, high) of a proportion.

    Wilson, E. B. (1927), "Probable inference, the law of succession, and
    statistical inference", JASA 22(158). Unlike the normal approximation it
    stays inside 0..1 and works for 0 or ``total`` successes.
    """
    if total <= 0:
        missing = Metric.missing(Reason.ZERO_DENOMINATOR)
        return missing, missing
    p = successes / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    return Metric(max(0.0, centre - half)), Metric(min(1.0, centre + half))


def _numbers(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    return numbers[np.isfinite(numbers)]
