"""Display forms of KPI values: numbers rounded for people, "–" with a translated reason.

Money is shown in whole units (yen) and percentages with one decimal, in
the terminal and in the KPI tab alike.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from bridge.i18n import N_, gettext
from validators.kpi.metric import Metric, Reason

MISSING = "–"  # shown in place of a KPI that cannot be computed

REASON_TEXTS: dict[str, str] = {
    Reason.NO_DATA: N_("No row has a value for it."),
    Reason.EMPTY_PERIOD: N_("No customer was active at the start of the period."),
    Reason.ZERO_DENOMINATOR: N_("No rows to divide by."),
    Reason.SINGLE_ROW: N_("Only one row, too few to judge."),
    Reason.NOT_CONFIGURED: N_("Not set up in the kpi section of the design."),
    Reason.MISSING_COLUMN: N_("The sheet has no column for the property."),
}

# Column-specific texts that explain a reason more precisely than the general
# text above, keyed by (column, reason). The column names are KPI field names.
COLUMN_REASON_TEXTS: dict[tuple[str, str], str] = {
    ("median_days_to_close", Reason.NO_DATA): N_(
        "No won deal has both a close date and a start date."
    ),
    ("median_days_to_close", Reason.SINGLE_ROW): N_(
        "Only one won deal has both a close date and a start date, too few for a median."
    ),
    ("win_rate", Reason.ZERO_DENOMINATOR): N_("No deal is closed yet (won or lost)."),
    ("revenue", Reason.NO_DATA): N_("No won deal has an amount."),
    ("average_score", Reason.NO_DATA): N_("No deal has a score."),
    ("stage_value", Reason.NO_DATA): N_("No row in the stage has an amount."),
    ("conversion", Reason.NOT_CONFIGURED): N_(
        "The pipeline has no closed won stage to convert to."
    ),
    ("conversion", Reason.ZERO_DENOMINATOR): N_("No deal has reached the stage."),
    ("median_days", Reason.NO_DATA): N_("No row in the stage has a stage-entered date."),
    ("median_days", Reason.SINGLE_ROW): N_("Only one row in the stage, too few for a median."),
}

Kind = Literal["percent", "money", "number", "days", "ratio"]


def reason_text(metric: Metric | None, lang: str, column: str | None = None) -> str:
    """Return why ``metric`` is missing in ``lang`` ("" when it is not).

    ``column`` picks the more precise text of ``COLUMN_REASON_TEXTS`` where one exists.
    """
    if metric is None or metric.reason is None:
        return ""
    message = COLUMN_REASON_TEXTS.get((column or "", metric.reason), REASON_TEXTS[metric.reason])
    return gettext(lang, message)


def round_money(value: float) -> int:
    """Return ``value`` rounded to a whole unit, halves away from zero (2.5 -> 3)."""
    return int(Decimal(str(float(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cell_value(metric: Metric | None, kind: Kind) -> float | int | str | None:
    """Return the value for a sheet cell: rounded number, "–" when missing, None for n/a."""
    if metric is None:
        return None
    if metric.value is None:
        return MISSING
    value = metric.value
    if kind == "percent":
        return round(value * 100, 1)
    if kind == "days":
        return round(value, 1)
    if kind == "ratio":
        return round(value, 2)
    if kind == "money":
        return round_money(value)
    return round(value, 2)


def display(metric: Metric | None, kind: Kind) -> str:
    """Return the value as terminal text, e.g. "26.6%" or "–"."""
    value = cell_value(metric, kind)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "money":
        return f"{value:,}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:g}"


def interval_text(low: Metric, high: Metric) -> str:
    """Return "low%–high%", or a single "–" when either end is missing."""
    if low.value is None or high.value is None:
        return MISSING
    return f"{display(low, 'percent')}–{display(high, 'percent')}"
