"""Score rows 0-100 from the design's weighted measures and grade them by band."""

from __future__ import annotations

import numpy as np
import pandas as pd

from validators.design import Measure, Scoring


def measure_points(measure: Measure, values: pd.Series) -> pd.Series:
    """Return 0-100 points per row for one measure; NaN where the value is missing."""
    if measure.points is not None:
        lookup = {_point_key(key): float(points) for key, points in measure.points.items()}
        # One lookup per distinct value, because a column contains few of them.
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        distinct_points = [lookup.get(_point_key(value), np.nan) for value in uniques]
        table = np.array([*distinct_points, np.nan], dtype="float64")  # code -1: missing
        return pd.Series(table.take(codes), index=values.index, dtype="float64")

    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    scaled = (numbers - measure.low) / (measure.high - measure.low) * 100.0
    return scaled.clip(lower=0.0, upper=100.0)


def score_rows(scoring: Scoring, values: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """Return each row's score as the weighted mean of the measures it has.

    A missing measure leaves its weight to the others; a row with no measure
    at all has no score (NaN).
    """
    weighted = np.zeros(len(index))
    weights = np.zeros(len(index))
    for measure in scoring.measures:
        column = values.get(measure.property)
        if column is None:
            continue
        points = measure_points(measure, column).to_numpy(dtype="float64", na_value=np.nan)
        present = ~np.isnan(points)
        weighted += np.where(present, points * measure.weight, 0.0)
        weights += np.where(present, measure.weight, 0.0)

    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(weights > 0, weighted / weights, np.nan)
    return pd.Series(np.round(scores, 1), index=index, dtype="float64")


def grade_rows(scoring: Scoring, scores: pd.Series) -> pd.Series:
    """Return the band name for each score; None where there is no score."""
    bands = sorted(scoring.bands, key=lambda band: band.min)
    edges = [band.min for band in bands]
    positions = np.searchsorted(edges, scores.to_numpy(dtype="float64"), side="right") - 1
    positions = np.clip(positions, 0, len(bands) - 1)
    names = np.array([band.grade for band in bands], dtype=object)[positions]
    return pd.Series(np.where(scores.isna(), None, names), index=scores.index, dtype=object)


def _point_key(value: object) -> str:
    """Return the lookup form of a value: booleans as true/false, whole floats without .0."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().casefold()
