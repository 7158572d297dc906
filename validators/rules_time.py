"""Time rules, measured in whole days from the run's as-of date.

Stale in stage, contact overdue, next step overdue, close date passed, and the
inconsistencies of won and lost rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from validators.context import RuleContext
from validators.findings import Code, Severity


def _dates(ctx: RuleContext, name: str | None) -> pd.Series:
    """Return the property's normalised dates (NaT where blank, invalid or absent)."""
    values = ctx.normalized(name) if name else None
    if values is None:
        return pd.Series(pd.NaT, index=ctx.index, dtype="datetime64[ns]")
    dates = pd.to_datetime(values, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.dt.normalize()


def _days_since(ctx: RuleContext, dates: pd.Series) -> pd.Series:
    return (ctx.as_of - dates).dt.days


def _date_text(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d")


def stage_entered_dates(
    ctx: RuleContext,
    previous_stage: Mapping[int, str | None],
    previous_entered: Mapping[int, pd.Timestamp | None],
) -> tuple[pd.Series, pd.Series]:
    """Return when each row entered its current stage, and where that date came from.

    Sources in order: the stage's own entered-date property (e.g. engage_date),
    the sheet's stage-entered column, the date a previous run first saw the row
    in this stage, and finally the as-of date for a stage seen for the first time.
    """
    assert ctx.stage_ids is not None and ctx.pipeline_ids is not None
    entered = pd.Series(pd.NaT, index=ctx.index, dtype="datetime64[ns]")
    source = pd.Series(None, index=ctx.index, dtype=object)
    if not ctx.design.sheet.stage_entered_column and ctx.stage_ids.isna().all():
        return entered, source  # no stage to date, and no column that dates rows anyway

    for pipeline in ctx.design.pipelines:
        for stage in pipeline.stages:
            if not stage.entered_date_property:
                continue
            in_stage = (ctx.pipeline_ids == pipeline.id) & (ctx.stage_ids == stage.id)
            own = _dates(ctx, stage.entered_date_property)
            use = in_stage & own.notna() & entered.isna()
            entered[use] = own[use]
            source[use] = "property"

    sheet_column = ctx.design.sheet.stage_entered_column
    if sheet_column:
        column_dates = _dates(ctx, sheet_column)
        use = entered.isna() & column_dates.notna()
        entered[use] = column_dates[use]
        source[use] = "sheet"
        return entered, source

    # NOTE: without a stage-entered column the bridge keeps its own date: it
    # can only know when a run first saw the stage, not when the deal moved.
    open_slot = entered.isna() & ctx.stage_ids.notna()
    if not open_slot.any():
        return entered, source
    if not (previous_stage or previous_entered):
        # No earlier run: every open slot is a stage seen for the first time.
        entered[open_slot] = ctx.as_of
        source[open_slot] = "first_seen"
        return entered, source
    previous_stages = pd.Series(previous_stage, dtype=object).reindex(ctx.index)
    previous_dates = pd.to_datetime(
        pd.Series(previous_entered, dtype=object).reindex(ctx.index), errors="coerce"
    )
    same_stage = previous_stages.eq(ctx.stage_ids) & previous_dates.notna()

    kept = open_slot & same_stage
    entered[kept] = previous_dates[kept]
    source[kept] = "previous_run"
    first = open_slot & ~same_stage
    entered[first] = ctx.as_of
    source[first] = "first_seen"
    return entered, source


def check_stale(ctx: RuleContext, entered: pd.Series) -> None:
    """Report open deals that have stayed longer than their stage's max_days."""
    assert ctx.stage_ids is not None and ctx.pipeline_ids is not None
    if not any(
        stage.max_days is not None and not stage.is_closed
        for pipeline in ctx.design.pipelines
        for stage in pipeline.stages
    ):
        return  # no stage has a day limit
    days = _days_since(ctx, entered)
    flagged = pd.Series(False, index=ctx.index)
    limits = pd.Series(np.nan, index=ctx.index)
    labels = pd.Series(None, index=ctx.index, dtype=object)
    for pipeline in ctx.design.pipelines:
        for stage in pipeline.stages:
            if stage.max_days is None or stage.is_closed:
                continue
            in_stage = (ctx.pipeline_ids == pipeline.id) & (ctx.stage_ids == stage.id)
            over = in_stage & (days > stage.max_days)
            flagged |= over
            limits[over] = stage.max_days
            labels[over] = stage.label

    column = ctx.design.sheet.stage_entered_column or ctx.design.sheet.stage_column
    flags = flagged.to_numpy()
    rows = zip(days[flags].astype("int64").tolist(), limits[flags].astype("int64").tolist(),
               labels[flags].tolist(), _date_text(entered[flags]).tolist(), strict=True)  # fmt: skip
    params = [
        {"days": count, "max_days": limit, "stage": label, "since": since}
        for count, limit, label, since in rows
    ]
    ctx.emit(flagged, column, Code.STALE_IN_STAGE, Severity.WARNING, params)


def check_contact(ctx: RuleContext) -> None:
    """Report open deals whose client was not contacted within the stage's cadence."""
    name = ctx.design.sheet.last_contact_column
    if not name or ctx.column(name) is None:
        return
    assert ctx.stage_ids is not None and ctx.pipeline_ids is not None
    last = _dates(ctx, name)
    days = _days_since(ctx, last)
    result = ctx.values[name]
    flagged = pd.Series(False, index=ctx.index)
    cadence = pd.Series(np.nan, index=ctx.index)
    for pipeline in ctx.design.pipelines:
        for stage in pipeline.stages:
            if stage.contact_every_days is None or stage.is_closed:
                continue
            in_stage = (ctx.pipeline_ids == pipeline.id) & (ctx.stage_ids == stage.id)
            # A blank last-contact date counts as overdue; an invalid one is
            # already an invalid_date error.
            overdue = (days > stage.contact_every_days) | (result.empty & ~result.formula_error)
            hit = in_stage & overdue
            flagged |= hit
            cadence[hit] = stage.contact_every_days

    flags = flagged.to_numpy()
    known = last[flags].notna().tolist()
    rows = zip(cadence[flags].astype("int64").tolist(), days[flags].tolist(),
               _date_text(last[flags]).tolist(), known, strict=True)  # fmt: skip
    params = [
        {
            "every_days": every,
            "days": int(count) if is_known else None,
            "since": since if is_known else None,
        }
        for every, count, since, is_known in rows
    ]
    ctx.emit(flagged, name, Code.CONTACT_OVERDUE, Severity.WARNING, params)


def check_past_dates(ctx: RuleContext) -> None:
    """Report open deals whose next step date or close date is already past."""
    rules = (
        (ctx.design.sheet.next_step_column, Code.NEXT_STEP_OVERDUE),
        (ctx.design.sheet.close_date_column, Code.CLOSE_DATE_PASSED),
    )
    for name, code in rules:
        if not name or ctx.column(name) is None:
            continue
        dates = _dates(ctx, name)
        days = _days_since(ctx, dates)
        passed = ctx.open_rows() & (days > 0)
        flags = passed.to_numpy()
        texts = _date_text(dates[flags]).tolist()
        day_counts = days[flags].astype("int64").tolist()
        params = [
            {"date": text, "days": count} for text, count in zip(texts, day_counts, strict=True)
        ]
        ctx.emit(passed, name, code, Severity.WARNING, params)


def check_inconsistent(ctx: RuleContext) -> None:
    """Report rows whose values contradict each other or the calendar."""
    assert ctx.closed is not None
    sheet = ctx.design.sheet

    amount_name = sheet.amount_column
    if amount_name and ctx.column(amount_name) is not None:
        amount = pd.to_numeric(ctx.normalized(amount_name), errors="coerce")
        result = ctx.values[amount_name]
        no_amount = (amount.fillna(0) <= 0) & ~result.invalid & ~result.formula_error
        won_without = (ctx.closed == "won") & no_amount
        ctx.emit(won_without, amount_name, Code.INCONSISTENT, Severity.WARNING,
                 {"problem": "won_without_amount"})  # fmt: skip

    close_name = sheet.close_date_column
    if close_name and ctx.column(close_name) is not None:
        days = _days_since(ctx, _dates(ctx, close_name))
        closed_in_future = ctx.closed.notna() & (days < 0)
        ctx.emit(closed_in_future, close_name, Code.INCONSISTENT, Severity.WARNING,
                 {"problem": "closed_in_future"})  # fmt: skip

    for name in (sheet.last_contact_column, sheet.stage_entered_column):
        if not name or ctx.column(name) is None:
            continue
        days = _days_since(ctx, _dates(ctx, name))
        ctx.emit(days < 0, name, Code.INCONSISTENT, Severity.WARNING, {"problem": "future_date"})
