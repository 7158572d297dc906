"""Display forms of KPI values: numbers rounded for people, "–" with a translated reason."""

from __future__ import annotations

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

Kind = Literal["percent", "money", "number", "days", "ratio"]


def reason_text(metric: Metric | None, lang: str) -> str:
    if metric is None or metric.reason is None:
        return ""
    return gettext(lang, REASON_TEXTS[metric.reason])


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
        return f"{value:,.2f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:g}"
