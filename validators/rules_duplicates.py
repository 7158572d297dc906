"""Duplicate rules: one key per row, one row per value of a unique property."""

from __future__ import annotations

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
    keys = ctx.normalized(name)
    present = keys.notna()
    duplicated = present & keys.duplicated(keep=False)
    _emit_with_rows(ctx, name, keys, duplicated, Code.DUPLICATE_KEY)


def check_duplicate_records(ctx: RuleContext) -> None:
    """Report rows that repeat a unique property's value of an earlier row."""
    key_name = ctx.design.sheet.key_column
    for prop in ctx.design.properties:
        if not prop.unique or prop.name == key_name or ctx.column(prop.name) is None:
            continue
        match_keys = match_key(prop, ctx.normalized(prop.name))
        present = match_keys.notna() & (match_keys != "")
        later = present & match_keys.duplicated(keep="first")
        _emit_with_rows(ctx, prop.name, match_keys, later, Code.DUPLICATE_RECORD)


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


def _emit_with_rows(
    ctx: RuleContext, name: str, keys: pd.Series, flagged: pd.Series, code: Code
) -> None:
    """Emit findings that name the other rows sharing the same key."""
    if not flagged.any():
        return
    flagged_keys = keys[flagged]
    shared = keys[keys.isin(set(flagged_keys))]
    counts = shared.value_counts().to_dict()
    rows_by_key: dict[object, list[int]] = {}
    for position, key in zip(shared.index.tolist(), shared.tolist(), strict=True):
        rows = rows_by_key.setdefault(key, [])
        if len(rows) <= MAX_ROWS_LISTED:
            rows.append(ctx.table.sheet_row(position))

    params = []
    for position, key in zip(flagged_keys.index.tolist(), flagged_keys.tolist(), strict=True):
        own = ctx.table.sheet_row(position)
        others = [row for row in rows_by_key[key] if row != own][:MAX_ROWS_LISTED]
        text = ", ".join(str(row) for row in others)
        if counts[key] - 1 > len(others):
            text += ", …"
        params.append({"rows": text})
    ctx.emit(flagged, name, code, Severity.ERROR, params)
