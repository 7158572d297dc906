"""Duplicate rules: one key per row, one row per value of a unique property."""

from __future__ import annotations

import numpy as np
import pandas as pd

from validators.context import RuleContext
from validators.design import Property
from validators.findings import Code, Severity
from validators.headers import header_key, map_distinct
from validators.normalize import company_match_key, email_match_key


def check_duplicate_keys(ctx: RuleContext) -> None:
    """Report every row whose key another row also uses: the row's identity is ambiguous."""
    name = ctx.design.sheet.key_column
    if not name or ctx.column(name) is None:
        return
    codes = _key_codes(ctx.normalized(name))
    counts = np.bincount(codes[codes >= 0])
    duplicated = (codes >= 0) & (np.append(counts, 0)[codes] > 1)
    _emit_with_rows(ctx, name, codes, duplicated, Code.DUPLICATE_KEY)


def check_duplicate_records(ctx: RuleContext) -> None:
    """Report rows that repeat a unique property's value of an earlier row."""
    key_name = ctx.design.sheet.key_column
    for prop in ctx.design.properties:
        if not prop.unique or prop.name == key_name or ctx.column(prop.name) is None:
            continue
        match_keys = match_key(prop, ctx.normalized(prop.name))
        present = (match_keys.notna() & (match_keys != "")).to_numpy()
        codes = _key_codes(match_keys)
        later = present & pd.Series(codes).duplicated(keep="first").to_numpy()
        _emit_with_rows(ctx, prop.name, codes, later, Code.DUPLICATE_RECORD)


def match_key(prop: Property, values: pd.Series) -> pd.Series:
    """Return the form two values are compared in to decide they name one record."""
    if prop.type == "email":
        return email_match_key(values)
    if prop.type == "text" and prop.object == "company":
        return company_match_key(values)
    if prop.type == "text":
        return map_distinct(values, header_key)
    return values.astype(object).where(values.notna(), None)


MAX_ROWS_LISTED = 5  # other rows named in one message; more are summarised as "…"


def _key_codes(keys: pd.Series) -> np.ndarray:
    """Return one integer per row that is equal for equal keys, -1 for a missing key."""
    codes, _distinct = pd.factorize(keys.to_numpy(dtype=object), use_na_sentinel=True)
    return codes


def _emit_with_rows(
    ctx: RuleContext, name: str, codes: np.ndarray, flagged: np.ndarray, code: Code
) -> None:
    """Emit findings that name the other rows sharing the same key (``codes`` from _key_codes)."""
    if not flagged.any():
        return
    positions = ctx.index.to_numpy()
    counts = np.bincount(codes[codes >= 0])

    # The first rows of each flagged key, in row order: one more than a
    # message lists, since a row leaves itself out of its own message.
    shared = np.flatnonzero(np.isin(codes, codes[flagged]))
    rows_by_key: dict[int, list[int]] = {}
    for position, key in zip(positions[shared].tolist(), codes[shared].tolist(), strict=True):
        rows = rows_by_key.setdefault(key, [])
        if len(rows) <= MAX_ROWS_LISTED:
            rows.append(ctx.table.sheet_row(position))

    params = []
    flagged_rows = zip(positions[flagged].tolist(), codes[flagged].tolist(), strict=True)
    for position, key in flagged_rows:
        own = ctx.table.sheet_row(position)
        others = [row for row in rows_by_key[key] if row != own][:MAX_ROWS_LISTED]
        text = ", ".join(str(row) for row in others)
        if counts[key] - 1 > len(others):
            text += ", …"
        params.append({"rows": text})
    ctx.emit(flagged, name, code, Severity.ERROR, params)
