"""Duplicate rules: one key per row, one row per value of a unique property."""

from __future__ import annotations

import pandas as pd

from validators.context import RuleContext
from validators.design import Property
from validators.findings import Code, Severity
from validators.headers import header_key
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
        return values.map(header_key, na_action="ignore")
    return values.astype(object).where(values.notna(), None)


def _emit_with_rows(
    ctx: RuleContext, name: str, keys: pd.Series, flagged: pd.Series, code: Code
) -> None:
    """Emit findings that list the other rows sharing the same key."""
    if not flagged.any():
        return
    shared = keys[keys.isin(set(keys[flagged]))]
    rows_by_key: dict[object, list[int]] = {}
    for position, key in shared.items():
        rows_by_key.setdefault(key, []).append(ctx.table.sheet_row(int(position)))

    params = []
    for position in ctx.index[flagged.to_numpy()]:
        own = ctx.table.sheet_row(int(position))
        others = [row for row in rows_by_key[keys.at[position]] if row != own]
        params.append({"rows": ", ".join(str(row) for row in others)})
    ctx.emit(flagged, name, code, Severity.ERROR, params)
