"""Cell rules: spreadsheet errors, values that do not parse, ranges, always-required properties."""

from __future__ import annotations

import pandas as pd

from validators.context import RuleContext
from validators.findings import Code, Severity

INVALID_CODES = {
    "number": Code.INVALID_NUMBER,
    "currency": Code.INVALID_NUMBER,
    "percent": Code.INVALID_NUMBER,
    "date": Code.INVALID_DATE,
    "datetime": Code.INVALID_DATE,
    "bool": Code.INVALID_BOOL,
    "enum": Code.INVALID_OPTION,
    "email": Code.INVALID_EMAIL,
    "phone": Code.INVALID_PHONE,
    "url": Code.INVALID_URL,
    "postal_code": Code.INVALID_POSTAL_CODE,
    "corporate_number": Code.INVALID_CORPORATE_NUMBER,
}


def check_cells(ctx: RuleContext) -> None:
    """Report formula errors, unparseable values and out-of-range numbers per property."""
    for prop in ctx.design.properties:
        result = ctx.values.get(prop.name)
        if result is None:
            continue

        ctx.emit(result.formula_error, prop.name, Code.FORMULA_ERROR, Severity.ERROR)

        code = INVALID_CODES.get(prop.type)
        if code is not None:
            params = {"type": prop.type}
            if prop.type == "enum":
                params["options"] = ", ".join(option.label for option in prop.options[:8])
            ctx.emit(result.invalid, prop.name, code, Severity.ERROR, params, result.suggestion)

        if prop.min is not None or prop.max is not None:
            _check_range(ctx, prop.name, prop.min, prop.max, percent=prop.type == "percent")


def _check_range(
    ctx: RuleContext, name: str, low: float | None, high: float | None, *, percent: bool
) -> None:
    outside = outside_range(ctx.values[name].values, low, high)
    # A percent's limits are fractions (0 to 1), but the user typed "120%", so quote them so.
    limit_text = _percent_text if percent else _number_text
    params = {"min": limit_text(low), "max": limit_text(high)}
    if high is None:
        params["problem"] = "below"
    elif low is None:
        params["problem"] = "above"
    ctx.emit(outside, name, Code.OUT_OF_RANGE, Severity.ERROR, params)


def outside_range(values: pd.Series, low: float | None, high: float | None) -> pd.Series:
    """Return True where a value is a number below ``low`` or above ``high``."""
    numbers = pd.to_numeric(values, errors="coerce")
    outside = pd.Series(False, index=values.index)
    if low is not None:
        outside |= numbers < low
    if high is not None:
        outside |= numbers > high
    return outside


def check_required(ctx: RuleContext) -> None:
    """Report properties the design marks required in every stage that are blank."""
    for prop in ctx.design.properties:
        if not prop.required:
            continue
        column = ctx.column(prop.name)
        if column is None:
            continue  # reported once as a missing column
        result = ctx.values[prop.name]
        missing = result.empty.to_numpy() & ~result.formula_error.to_numpy()
        params = {"label": column.name}
        ctx.emit(missing, prop.name, Code.MISSING_REQUIRED, Severity.ERROR, params)


def _number_text(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else str(value)


def _percent_text(value: float | None) -> str:
    if value is None:
        return "–"
    return _number_text(round(value * 100, 6)) + "%"
