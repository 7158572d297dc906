"""Cell normalisation: raw spreadsheet cells to typed values, one column at a time.

``normalize_column`` reads a column as one property type (``kind``) and
reports, per cell, the value and whether the cell is empty, invalid or a
spreadsheet error value. No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import get_args

import numpy as np
import pandas as pd

from validators.design import PropertyType
from validators.normalize.choices import parse_bool, parse_enum
from validators.normalize.core import (
    FORMULA_ERRORS,
    MAX_DISTINCT_SHARE,
    MAX_DISTINCT_SHARE_FOR_TEXT,
    Cells,
    ColumnCells,
    Normalized,
    OptionSpec,
    Parsed,
    clean_text,
    is_blank,
    prepare,
)
from validators.normalize.dates import parse_date, parse_datetime
from validators.normalize.emails import parse_email
from validators.normalize.identifiers import (
    corporate_check_digit,
    parse_corporate_number,
    parse_postal_code,
)
from validators.normalize.keys import company_match_key, email_match_key
from validators.normalize.numbers import parse_number, parse_percent
from validators.normalize.phones import parse_phone
from validators.normalize.urls import parse_url

__all__ = [
    "FORMULA_ERRORS",
    "KINDS",
    "Normalized",
    "OptionSpec",
    "clean_text",
    "company_match_key",
    "corporate_check_digit",
    "email_match_key",
    "is_blank",
    "normalize_column",
    "normalize_prepared",
    "prepare_column",
]

# The property types of the design file; each has a parser here.
KINDS = frozenset(get_args(PropertyType))


def normalize_column(
    series: pd.Series,
    kind: str,
    *,
    options: Sequence[OptionSpec] = (),
    blank_values: Collection[str] | None = (),
    time_zone: str = "Asia/Tokyo",
    phone_region: str = "JP",
) -> Normalized:
    """Read every cell of ``series`` as a value of property type ``kind``.

    Output values by kind:
    - number, currency, percent: float64. Percent is a fraction (12% -> 0.12).
    - date: naive datetime64[ns] at midnight.
    - datetime: datetime64[ns, time_zone].
    - bool: object, True/False/None.
    - all others: object, str/None. An enum gives the option's internal value.

    ``blank_values`` are texts that mean "blank" in this column, compared
    after cleaning and ignoring case and width. ``options`` are the enum's
    options. ``time_zone`` is the sheet's zone, for values without one.
    ``phone_region`` is the region of phone numbers written without +country.
    Suggestions exist for enum, email, phone, url, postal_code and
    corporate_number cells.

    Raises ValueError for an unknown kind.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown property type {kind!r}; expected one of {sorted(KINDS)}")
    column = prepare_column(series, kind, blank_values)
    return normalize_prepared(
        column, series.index, kind, options=options, time_zone=time_zone, phone_region=phone_region
    )


def prepare_column(
    series: pd.Series, kind: str, blank_values: Collection[str] | None = ()
) -> ColumnCells:
    """Split a column into distinct values and flag empty cells as normalize_column does for ``kind``."""
    share = MAX_DISTINCT_SHARE_FOR_TEXT if kind == "text" else MAX_DISTINCT_SHARE
    return prepare(
        series, blank_values, share, skip_unique_texts=kind in _KINDS_READING_EACH_TEXT_ALONE
    )


# Kinds whose parser gives a text the same value whatever the column's other
# texts are. A date column is not one: its sample of texts picks the formats.
_KINDS_READING_EACH_TEXT_ALONE = frozenset({"text", "number", "currency"})


def normalize_prepared(
    column: ColumnCells,
    index: pd.Index,
    kind: str,
    *,
    options: Sequence[OptionSpec] = (),
    time_zone: str = "Asia/Tokyo",
    phone_region: str = "JP",
) -> Normalized:
    """Normalise a column that prepare_column has split, one result per entry of ``index``.

    ``index`` labels the cells in the order of ``column.distinct.codes``.
    The other arguments are those of normalize_column.
    """
    pending = ~column.empty & ~column.formula_error
    parsed = _parse(
        column.cells.subset(pending),
        kind,
        options=options,
        time_zone=time_zone,
        phone_region=phone_region,
    )

    count = len(column.cells)
    if pending.all():
        values, invalid = parsed.values, parsed.invalid
    else:
        values = np.full(count, _missing_value(parsed.values.dtype), dtype=parsed.values.dtype)
        values[pending] = parsed.values
        invalid = np.zeros(count, dtype=bool)
        invalid[pending] = parsed.invalid

    # The arrays are the parser's and prepare's own, used by nothing else
    # afterwards, so the Series take them without a copy.
    expand = column.distinct.expand

    def series(cells: np.ndarray, dtype: np.dtype | type) -> pd.Series:
        return pd.Series(cells, index=index, dtype=dtype, copy=False)

    result_values = series(expand(values, _missing_value(values.dtype)), values.dtype)
    suggestion = None
    if parsed.suggestion is not None and np.not_equal(parsed.suggestion, None).any():
        suggestions = np.full(count, None, dtype=object)
        suggestions[pending] = parsed.suggestion
        suggestion = series(expand(suggestions, None), object)
    if kind == "datetime":
        result_values = result_values.dt.tz_localize("UTC").dt.tz_convert(time_zone)
    return Normalized(
        values=result_values,
        empty=series(expand(column.empty, True), bool),
        invalid=series(expand(invalid, False), bool),
        formula_error=series(expand(column.formula_error, False), bool),
        suggestion=suggestion,
    )


def _missing_value(dtype: np.dtype) -> object:
    if dtype.kind == "M":
        return np.datetime64("NaT", "ns")
    if dtype.kind == "f":
        return np.nan
    return None


def _parse(
    cells: Cells,
    kind: str,
    *,
    options: Sequence[OptionSpec],
    time_zone: str,
    phone_region: str,
) -> Parsed:
    if kind in ("number", "currency"):
        return parse_number(cells)
    if kind == "percent":
        return parse_percent(cells)
    if kind == "date":
        return parse_date(cells, time_zone)
    if kind == "datetime":
        return parse_datetime(cells, time_zone)
    if kind == "bool":
        return parse_bool(cells)
    if kind == "enum":
        return parse_enum(cells, options)
    if kind == "email":
        return parse_email(cells)
    if kind == "phone":
        return parse_phone(cells, phone_region)
    if kind == "url":
        return parse_url(cells)
    if kind == "postal_code":
        return parse_postal_code(cells)
    if kind == "corporate_number":
        return parse_corporate_number(cells)
    # text: the cleaned text itself, never invalid.
    return Parsed(cells.text.copy(), np.zeros(len(cells), dtype=bool))
