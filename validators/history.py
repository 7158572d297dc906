"""What earlier validation runs recorded per row, and the KPIs drawn from it.

Pure functions over a history frame with one row per (row key, as-of date) and
the columns ``HISTORY_COLUMNS``; ``sync.history`` stores and loads that frame.
A row key stands for one client (one deal row of the sheet).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from validators.engine import PreviousState, ValidationResult

HISTORY_COLUMNS = ("row_key", "as_of", "pipeline", "stage", "score", "grade")
SPARK_CHARACTERS = "▁▂▃▄▅▆▇█"
SPARK_MISSING = "·"  # a run where the row had no score
CALENDAR_MONTHS = 12


def empty_history() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in HISTORY_COLUMNS})


def history_rows(result: ValidationResult) -> tuple[pd.DataFrame, list[str]]:
    """Return the rows of ``result`` to record, and the keys left out because rows share them.

    Blank rows and rows without a key are not recorded. A key that several
    rows share (a ``duplicate_key`` error) is left out: its history would mix
    different clients.
    """
    rows = result.rows[(result.rows["status"] != "blank") & result.rows["row_key"].notna()]
    keys = rows["row_key"].map(str)
    shared = keys.duplicated(keep=False)
    frame = pd.DataFrame(
        {
            "row_key": keys[~shared],
            "as_of": result.as_of,
            "pipeline": rows.loc[~shared, "pipeline"],
            "stage": rows.loc[~shared, "stage"],
            "score": rows.loc[~shared, "score"].astype("float64"),
            "grade": rows.loc[~shared, "grade"],
        }
    )
    frame = frame.astype({"pipeline": object, "stage": object, "grade": object})
    frame = frame.where(frame.notna(), None)
    return frame.reset_index(drop=True), sorted(set(keys[shared]))


def previous_states(
    history: pd.DataFrame, as_of: dt.date, *, drop_window_days: int | None = None
) -> dict[str, PreviousState]:
    """Return each row key's state before ``as_of``, for ``validate(previous=...)``.

    ``stage_entered`` is the date of the first run in the unbroken series of
    runs that saw the row in its latest recorded stage. ``score`` is the score
    of the latest earlier run, or the highest score recorded within
    ``drop_window_days`` days before ``as_of`` when that is higher, so that the
    engine's drop check also catches a slow slide. Records dated ``as_of``
    itself are ignored, so a re-run on the same day compares with the same
    earlier runs as the first one did.
    """
    earlier = _sorted(history[history["as_of"] < as_of])
    if earlier.empty:
        return {}

    position = earlier["pipeline"].astype(str) + "/" + earlier["stage"].astype(str)
    changed = (position != position.groupby(earlier["row_key"]).shift()).astype(int)
    earlier = earlier.assign(streak=changed.groupby(earlier["row_key"]).cumsum())
    window_start = as_of - dt.timedelta(days=drop_window_days) if drop_window_days else None

    states: dict[str, PreviousState] = {}
    for key, runs in earlier.groupby("row_key", sort=False):
        latest = runs.iloc[-1]
        streak = runs[runs["streak"] == latest["streak"]]
        score = _number(latest["score"])
        if window_start is not None:
            recent = pd.to_numeric(runs.loc[runs["as_of"] >= window_start, "score"])
            if recent.notna().any():
                score = max(score if score is not None else -np.inf, float(recent.max()))
        stage = latest["stage"] if isinstance(latest["stage"], str) else None
        states[str(key)] = PreviousState(
            stage_id=stage,
            stage_entered=streak["as_of"].iloc[0] if stage else None,
            score=score,
        )
    return states


def missing_row_keys(history: pd.DataFrame, current_keys: Sequence[object]) -> list[str]:
    """Return the keys earlier runs recorded that the sheet no longer has, sorted."""
    current = {str(key) for key in current_keys if key is not None and key == key}
    return sorted(set(history["row_key"].map(str)) - current)


def grades_on(history: pd.DataFrame, day: dt.date) -> pd.Series:
    """Return each row key's grade in the latest run on or before ``day``."""
    runs = _sorted(history[history["as_of"] <= day])
    latest = runs.groupby("row_key", sort=False).tail(1).set_index("row_key")["grade"]
    return latest[latest.map(lambda grade: isinstance(grade, str))]


def grade_movement(
    history: pd.DataFrame, start: dt.date, end: dt.date, grades: Sequence[str]
) -> pd.DataFrame:
    """Return a transition matrix: rows are grades on ``start``, columns grades on ``end``.

    ``grades`` gives the order, best first. Only keys graded on both dates count.
    """
    before = grades_on(history, start)
    after = grades_on(history, end)
    both = before.index.intersection(after.index)
    matrix = pd.crosstab(
        pd.Categorical(before[both], categories=grades),
        pd.Categorical(after[both], categories=grades),
        dropna=False,
    )
    matrix.index = pd.Index(list(grades), name="from")
    matrix.columns = pd.Index(list(grades), name="to")
    return matrix.astype(int)


def movement_counts(matrix: pd.DataFrame) -> dict[str, int]:
    """Return how many keys moved to a worse grade, to a better one, or stayed."""
    values = matrix.to_numpy()
    return {
        "worsened": int(np.triu(values, k=1).sum()),
        "improved": int(np.tril(values, k=-1).sum()),
        "unchanged": int(np.trace(values)),
    }


def score_trends(
    history: pd.DataFrame, end: dt.date, *, runs: int = CALENDAR_MONTHS
) -> dict[str, list[tuple[dt.date, float | None]]]:
    """Return each key's (as-of date, score) of its last ``runs`` runs on or before ``end``."""
    recent = _sorted(history[history["as_of"] <= end]).groupby("row_key", sort=False).tail(runs)
    trends: dict[str, list[tuple[dt.date, float | None]]] = {}
    for key, day, score in zip(recent["row_key"], recent["as_of"], recent["score"], strict=True):
        trends.setdefault(str(key), []).append((day, _number(score)))
    return trends


def sparkline(scores: Sequence[float | None], low: float = 0.0, high: float = 100.0) -> str:
    """Return one block character per score on the fixed scale ``low``..``high``.

    A fixed scale keeps a steady 80 high and a steady 20 low, which a scale
    fitted to each client's own range would both draw as a flat middle line.
    """
    characters = []
    top = len(SPARK_CHARACTERS) - 1
    for score in scores:
        if score is None or score != score:
            characters.append(SPARK_MISSING)
            continue
        share = (min(max(score, low), high) - low) / (high - low)
        characters.append(SPARK_CHARACTERS[round(share * top)])
    return "".join(characters)


def support_calendar(result: ValidationResult, *, months: int = CALENDAR_MONTHS) -> pd.DataFrame:
    """Return renewals (close dates) and planned actions (next step dates) per month.

    Counts open deals whose date falls from the run's as-of date to the end of
    the ``months``-th month (the as-of month is the first). Past dates are left
    out because validation already reports them as overdue. Columns:
    ``renewals``, ``renewal_amount`` (0 without an amount column) and
    ``planned_actions``; the index is ``YYYY-MM``.
    """
    first = pd.Period(result.as_of, freq="M")
    periods = pd.period_range(first, periods=months, freq="M")
    calendar = pd.DataFrame(
        0, index=pd.Index([str(period) for period in periods], name="month"),
        columns=["renewals", "renewal_amount", "planned_actions"],
    )  # fmt: skip
    calendar["renewal_amount"] = calendar["renewal_amount"].astype("float64")

    sheet = result.design.sheet
    open_rows = result.rows.loc[result.values.index]
    is_open = (open_rows["stage"].notna() & open_rows["closed"].isna()).to_numpy()
    amounts = _column(result, sheet.amount_column, numeric=True)

    for column, count_name in ((sheet.close_date_column, "renewals"),
                               (sheet.next_step_column, "planned_actions")):  # fmt: skip
        dates = _column(result, column, numeric=False)
        if dates is None:
            continue
        day = pd.Timestamp(result.as_of)
        months_of = dates.dt.to_period("M")
        in_range = is_open & (dates >= day).to_numpy() & months_of.isin(periods).to_numpy()
        labels = months_of[in_range].astype(str)
        calendar[count_name] = labels.value_counts().reindex(calendar.index, fill_value=0)
        if count_name == "renewals" and amounts is not None:
            totals = amounts[in_range].fillna(0).groupby(labels.to_numpy()).sum()
            calendar["renewal_amount"] = totals.reindex(calendar.index, fill_value=0.0)
    return calendar.astype({"renewals": int, "planned_actions": int})


def _column(result: ValidationResult, name: str | None, *, numeric: bool) -> pd.Series | None:
    if not name or name not in result.values.columns:
        return None
    values = result.values[name]
    if numeric:
        return pd.to_numeric(values, errors="coerce").astype("float64")
    dates = pd.to_datetime(values, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.dt.normalize()


def _sorted(history: pd.DataFrame) -> pd.DataFrame:
    return history.sort_values(["row_key", "as_of"], kind="stable").reset_index(drop=True)


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else number
