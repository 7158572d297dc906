"""Validate a sheet against a design: the steps in order, and the result they produce."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from validators import rules_cells, rules_duplicates, rules_stage, rules_time
from validators.context import RuleContext
from validators.design import Design
from validators.findings import Code, Finding, Severity
from validators.headers import Binding, bind_columns, likely_header_row
from validators.normalize import (
    Normalized,
    OptionSpec,
    is_blank,
    normalize_prepared,
    prepare_column,
)
from validators.normalize.core import ColumnCells, with_blank_values
from validators.scoring import grade_rows, score_rows
from validators.table import ManagedColumn, SheetTable


@dataclass(frozen=True)
class PreviousState:
    """Stage, stage-entered date and score an earlier run recorded for a row key."""

    stage_id: str | None = None
    stage_entered: dt.date | None = None
    score: float | None = None


@dataclass
class ValidationResult:
    design: Design
    table: SheetTable
    binding: Binding
    as_of: dt.date
    findings: list[Finding]
    # One row per data row of the table (blank rows included, status "blank"),
    # indexed by 0-based row position in the table. Columns: sheet_row,
    # row_key, pipeline, stage, closed, owner, status, score, grade,
    # stage_entered, stage_entered_source, previous_score.
    rows: pd.DataFrame
    # Normalised property values of the non-blank rows, one column per bound property.
    values: pd.DataFrame
    new_row_keys: int = 0
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(finding.severity is Severity.ERROR for finding in self.findings)

    def findings_by_row(self) -> dict[int, list[Finding]]:
        grouped: dict[int, list[Finding]] = {}
        for finding in self.findings:
            if finding.row is not None:
                grouped.setdefault(finding.row, []).append(finding)
        return grouped


def validate(
    table: SheetTable,
    design: Design,
    as_of: dt.date,
    *,
    previous: Mapping[str, PreviousState] | None = None,
    new_key: Callable[[], str] | None = None,
) -> ValidationResult:
    """Check every row of ``table`` against ``design`` as of the given date.

    ``previous`` maps each row key to what earlier runs recorded. Without it,
    the bridge's own managed columns in the sheet serve as that record.
    """
    binding = bind_columns(table, design)
    all_rows = pd.RangeIndex(table.row_count)
    blank, first_column = _blank_rows(table, design, binding, all_rows)
    index = all_rows[~blank.to_numpy()]

    kept_rows = None if len(index) == len(all_rows) else index.to_numpy()
    raw = {
        name: _raw_cells(table.columns[column.index], kept_rows, index)
        for name, column in binding.by_property.items()
    }
    # The blank check prepared the first column for its property. Without
    # blank rows that covers the same cells, so normalising reuses it.
    reusable = [first_column] if first_column is not None and kept_rows is None else []
    del first_column  # reusable holds the only reference, which _normalize_all drops
    values = _normalize_all(design, raw, table.time_zone, reusable)
    ctx = RuleContext(table, design, binding, pd.Timestamp(as_of), index, raw, values)
    ctx.findings.extend(binding.findings)
    _check_missing_columns(ctx)

    rules_cells.check_cells(ctx)
    rules_cells.check_required(ctx)
    rules_stage.resolve_stages(ctx)
    rules_stage.check_stage_requirements(ctx)
    rules_duplicates.check_duplicate_keys(ctx)
    rules_duplicates.check_duplicate_records(ctx)

    row_keys, new_keys = _row_keys(ctx, new_key or _new_row_key)
    states = _previous_states(ctx, row_keys, previous)
    entered, source = rules_time.stage_entered_dates(
        ctx,
        {position: state.stage_id for position, state in states.items()},
        {position: state.stage_entered for position, state in states.items()},
    )
    rules_time.check_stale(ctx, entered)
    rules_time.check_contact(ctx)
    rules_time.check_past_dates(ctx)
    rules_time.check_inconsistent(ctx)

    scores, grades = _score(ctx)
    previous_scores = pd.Series(
        {position: state.score for position, state in states.items()}, dtype="float64"
    ).reindex(index)
    _check_score_drop(ctx, scores, previous_scores)

    ctx.findings.sort(key=_finding_order)
    normalized = pd.DataFrame(  # copy=False: the columns stay separate arrays, not one copy
        {name: result.values for name, result in values.items()}, index=index, copy=False
    )
    owner_name = design.sheet.owner_column
    owners = ctx.normalized(owner_name) if owner_name else None
    # The rules are done: free the per-cell masks and suggestions before the
    # row table is built (about 150 MB at 1M rows).
    values.clear()
    rows = _row_table(ctx, all_rows, blank, row_keys, owners, entered, source, scores, grades)
    rows["previous_score"] = previous_scores.reindex(all_rows)
    result = ValidationResult(
        design, table, binding, as_of, ctx.findings, rows, normalized, new_keys
    )
    result.summary = summarize(result)
    return result


@dataclass(frozen=True)
class _PreparedColumn:
    """A column that prepare_column has split for the property bound to it."""

    property_name: str
    cells: ColumnCells


def _blank_rows(
    table: SheetTable, design: Design, binding: Binding, all_rows: pd.RangeIndex
) -> tuple[pd.Series, _PreparedColumn | None]:
    """Return True for rows whose user cells are all blank, and the prepared first column.

    The first column is prepared as normalising its property prepares it,
    so that _normalize can reuse the work. The second value is None when
    the first column is bound to no property.
    """
    properties = {column.index: name for name, column in binding.by_property.items()}
    blank = np.ones(len(all_rows), dtype=bool)
    first_column = None
    # Each column is checked only on the rows still blank so far. In a real
    # sheet that set shrinks to the few empty rows after the first column.
    for column in binding.columns:
        candidates = np.flatnonzero(blank)
        if not len(candidates):
            break
        cells = table.columns[column.index]
        name = properties.get(column.index)
        if len(candidates) == len(all_rows) and name is not None:
            series = pd.Series(cells, dtype=object, copy=False)
            prepared = prepare_column(series, design.property(name).type)
            first_column = _PreparedColumn(name, prepared)
            # A copy: expand may return prepared.empty itself, which the
            # checks of the next columns must not overwrite.
            blank = np.array(prepared.distinct.expand(prepared.empty, True), dtype=bool)
            continue
        if len(candidates) < len(all_rows):
            cells = cells[candidates]
        blank[candidates] = is_blank(pd.Series(cells, dtype=object, copy=False)).to_numpy()
    return pd.Series(blank, index=all_rows), first_column


def _raw_cells(cells: np.ndarray, kept_rows: np.ndarray | None, index: pd.Index) -> pd.Series:
    """Return a column's cells on the non-blank rows; all rows share the array itself."""
    if kept_rows is None:
        return pd.Series(cells, index=index, dtype=object, copy=False)
    return pd.Series(cells[kept_rows], index=index, dtype=object, copy=False)


def _normalize_all(
    design: Design, raw: dict[str, pd.Series], time_zone: str, reusable: list[_PreparedColumn]
) -> dict[str, Normalized]:
    """Normalise each property's cells, in the order of ``raw``.

    The property of the prepared column in ``reusable`` goes first, and the
    list is emptied, so that its prepared cells (tens of MB at 1M rows) are
    freed before the other columns are normalised.
    """
    done: dict[str, Normalized] = {}
    if reusable:
        prepared = reusable.pop()
        name = prepared.property_name
        done[name] = _normalize(design, name, raw[name], time_zone, prepared)
        del prepared
    return {
        name: done[name] if name in done else _normalize(design, name, series, time_zone)
        for name, series in raw.items()
    }


def _normalize(
    design: Design,
    name: str,
    series: pd.Series,
    time_zone: str,
    prepared: _PreparedColumn | None = None,
) -> Normalized:
    """Normalise a property's cells, reusing ``prepared`` when it is this property's column."""
    prop = design.property(name)
    options = [OptionSpec(o.value, o.label, tuple(o.aliases)) for o in prop.options]
    if prepared is None or prepared.property_name != name:
        column = prepare_column(series, prop.type, prop.blank_values)
    elif prop.blank_values:
        column = with_blank_values(prepared.cells, prop.blank_values)
    else:
        column = prepared.cells
    return normalize_prepared(column, series.index, prop.type, options=options, time_zone=time_zone)


def _check_missing_columns(ctx: RuleContext) -> None:
    """Report once each required or role property that no column holds."""
    roles = set(ctx.design.sheet.role_columns().values())
    missing = [
        prop
        for prop in ctx.design.properties
        if ctx.column(prop.name) is None and (prop.required or prop.name in roles)
    ]
    if not missing:
        return

    # A title row above the header is a common reason: name the row that looks like it.
    header_below = likely_header_row(ctx.table, ctx.design, len(ctx.binding.by_property))
    for prop in missing:
        params: dict[str, Any] = {"label": prop.label, "aliases": ", ".join(prop.aliases)}
        if header_below is not None:
            params.update(problem="header_below", header_row=header_below)
        ctx.findings.append(
            Finding(
                row=ctx.table.header_row,
                column=prop.label,
                column_letter=None,
                code=Code.MISSING_COLUMN,
                severity=Severity.ERROR if prop.required else Severity.WARNING,
                params=params,
            )
        )


def _new_row_key() -> str:
    return uuid.uuid4().hex[:12]


def _row_keys(ctx: RuleContext, new_key: Callable[[], str]) -> tuple[pd.Series, int]:
    """Return each row's stable key: the key column, else the managed row key column.

    Rows without either get a new key, which the write-back stores in the
    managed row-key column.
    """
    key_name = ctx.design.sheet.key_column
    if key_name:
        keys = ctx.normalized(key_name)
        if keys is None:
            return pd.Series(None, index=ctx.index, dtype=object), 0
        missing = keys.isna().to_numpy()
        if not missing.any():
            return keys.astype(object), 0
        values = keys.to_numpy(dtype=object, copy=True)
        values[missing] = None
        return pd.Series(values, index=keys.index, dtype=object, copy=False), 0

    stored = ctx.table.managed_values(ManagedColumn.ROW_KEY)
    keys = pd.Series(None, index=ctx.index, dtype=object)
    used: set[str] = set()
    created = 0
    for position in ctx.index:
        value = stored[position] if stored else None
        text = None if value is None else str(value).strip()
        if not text or text in used:  # a copied row must not share its original's key
            text = new_key()
            created += 1
        used.add(text)
        keys.at[position] = text
    return keys, created


def _previous_states(
    ctx: RuleContext, row_keys: pd.Series, previous: Mapping[str, PreviousState] | None
) -> dict[int, PreviousState]:
    """Return the previous state per row position, from history or the managed columns."""
    if previous is not None:
        return {
            int(position): previous[key]
            for position, key in row_keys.items()
            if key is not None and key in previous
        }

    stage_seen = ctx.table.managed_values(ManagedColumn.STAGE_SEEN)
    entered = ctx.table.managed_values(ManagedColumn.STAGE_ENTERED)
    scores = ctx.table.managed_values(ManagedColumn.SCORE)
    if not (stage_seen or entered or scores):
        return {}
    return {
        position: PreviousState(
            stage_id=_text_or_none(stage_seen, position),
            stage_entered=_date_or_none(entered, position),
            score=_number_or_none(scores, position),
        )
        for position in ctx.index.tolist()
    }


def _text_or_none(cells: list[Any] | None, position: int) -> str | None:
    if not cells or cells[position] is None:
        return None
    return str(cells[position]).strip() or None


def _date_or_none(cells: list[Any] | None, position: int) -> dt.date | None:
    if not cells or cells[position] in (None, ""):
        return None
    value = cells[position]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float):  # serial date from Google Sheets
        return (pd.Timestamp("1899-12-30") + pd.Timedelta(days=float(value))).date()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _number_or_none(cells: list[Any] | None, position: int) -> float | None:
    if not cells or cells[position] in (None, ""):
        return None
    try:
        return float(cells[position])
    except (TypeError, ValueError):
        return None


def _score(ctx: RuleContext) -> tuple[pd.Series, pd.Series]:
    scoring = ctx.design.scoring
    if scoring is None:
        empty = pd.Series(np.nan, index=ctx.index, dtype="float64")
        return empty, pd.Series(None, index=ctx.index, dtype=object)
    values = {name: result.values for name, result in ctx.values.items()}
    scores = score_rows(scoring, values, ctx.index)
    return scores, grade_rows(scoring, scores)


def _check_score_drop(ctx: RuleContext, scores: pd.Series, previous: pd.Series) -> None:
    scoring = ctx.design.scoring
    if scoring is None or scoring.drop_threshold is None:
        return
    drop = previous - scores
    dropped = drop > scoring.drop_threshold
    column = None
    params = [
        {"previous": f"{previous.at[i]:.1f}", "score": f"{scores.at[i]:.1f}",
         "drop": f"{drop.at[i]:.1f}", "threshold": f"{scoring.drop_threshold:g}"}
        for i in ctx.index[dropped.to_numpy()]
    ]  # fmt: skip
    ctx.emit(dropped, column, Code.SCORE_DROPPED, Severity.WARNING, params)


def _finding_order(finding: Finding) -> tuple[int, str, str]:
    return (finding.row or 0, finding.column_letter or "", finding.code.value)


def _row_table(
    ctx: RuleContext,
    all_rows: pd.Index,
    blank: pd.Series,
    row_keys: pd.Series,
    owners: pd.Series | None,
    entered: pd.Series,
    source: pd.Series,
    scores: pd.Series,
    grades: pd.Series,
) -> pd.DataFrame:
    first_row = ctx.table.first_data_row
    status = _row_status(ctx.findings, first_row, blank.to_numpy())
    complete = len(ctx.index) == len(all_rows)

    def on_all_rows(series: pd.Series, dtype: Any = None) -> pd.Series:
        # Blank rows get what reindex fills in: NaN, or NaT for dates.
        # set_axis shares the data, copied only when someone writes to it.
        series = series.set_axis(all_rows) if complete else series.reindex(all_rows)
        return series if dtype is None else series.astype(dtype)

    columns = {
        "sheet_row": pd.Series(all_rows.to_numpy() + first_row, index=all_rows),
        "row_key": on_all_rows(row_keys, object),
        "pipeline": on_all_rows(ctx.pipeline_ids, object),
        "stage": on_all_rows(ctx.stage_ids, object),
        "closed": on_all_rows(ctx.closed),
        "owner": (
            on_all_rows(owners, object)
            if owners is not None
            else pd.Series(None, index=all_rows, dtype=object)
        ),
        "status": pd.Series(status, index=all_rows, dtype=object, copy=False),
        "score": on_all_rows(scores),
        "grade": on_all_rows(grades),
        "stage_entered": on_all_rows(entered),
        "stage_entered_source": on_all_rows(source),
    }
    return pd.DataFrame(columns, index=all_rows, copy=False)


def _row_status(findings: list[Finding], first_row: int, blank: np.ndarray) -> np.ndarray:
    """Return each row's status: "error" wins over "warning", which wins over "ok".

    An error on the whole sheet (a missing required column, a broken header)
    makes every row an error row, because sync blocks every row for it.
    """
    # None (a finding on the whole sheet) becomes NaN, which no comparison passes.
    rows = np.array(list(map(attrgetter("row"), findings)), dtype=np.float64)
    severities = np.array(list(map(attrgetter("severity._value_"), findings)), dtype=object)
    on_row = rows >= first_row
    is_error = severities == Severity.ERROR.value
    failed = on_row & is_error
    warned = on_row & ~failed

    # fill() stores one shared "ok": np.full would make a new str per row.
    status = np.empty(len(blank), dtype=object)
    if (is_error & ~on_row).any():
        status.fill("error")
    else:
        status.fill("ok")
        status[(rows[warned] - first_row).astype(np.intp)] = "warning"
        status[(rows[failed] - first_row).astype(np.intp)] = "error"
    status[blank] = "blank"
    return status


def summarize(result: ValidationResult) -> dict[str, Any]:
    """Return the counts the CLI, the API and the sidebar show."""
    rows = result.rows
    status = rows["status"].to_numpy(dtype=object)
    blank = status == "blank"
    blank_rows = int(blank.sum())
    # Counted by the plain str values: hashing an Enum member calls Python code.
    by_code = Counter(map(attrgetter("code._value_"), result.findings))
    by_severity = Counter(map(attrgetter("severity._value_"), result.findings))
    return {
        "as_of": result.as_of.isoformat(),
        "sheet": result.table.title,
        "rows_total": int(len(rows)),
        "rows_checked": int(len(rows) - blank_rows),
        "blank_rows": blank_rows,
        "rows_with_errors": int((status == "error").sum()),
        "rows_with_warnings": int((status == "warning").sum()),
        "rows_ok": int((status == "ok").sum()),
        "errors": int(by_severity.get("error", 0)),
        "warnings": int(by_severity.get("warning", 0)),
        "findings_by_code": dict(sorted(by_code.items())),
        "grades": _grade_counts(rows["grade"].to_numpy(dtype=object)[~blank]),
        "new_row_keys": result.new_row_keys,
    }


def _grade_counts(grades: np.ndarray) -> dict[str, int]:
    """Return the rows per grade, most frequent first; rows without a grade are left out."""
    if pd.isna(grades).all():
        return {}  # no scoring, or no row with a score
    counts = pd.Series(grades, dtype=object).dropna().value_counts()
    return {str(grade): int(count) for grade, count in counts.items()}
