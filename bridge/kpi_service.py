"""KPI runs for the CLI and the HTTP API: lookups, periods, the JSON form, the tabs.

``compute_kpis`` is the service function the API and the sidebar use: it
takes a validation result and returns the KPI report as JSON-ready data in
the user's language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from bridge.errors import InvalidPeriodError, LookupFileError
from bridge.history_service import RunHistory, history_kpi_rows, history_kpis
from bridge.i18n import gettext
from bridge.kpi_sheets import KPI_SHEET, kpi_writeback
from bridge.kpi_texts import REASON_TEXTS
from bridge.kpi_todo import todo_items
from bridge.sheets.writeback import WriteBack
from validators.design import Design
from validators.engine import ValidationResult
from validators.kpi.data import Period
from validators.kpi.report import KpiReport
from validators.kpi.report import compute_kpis as compute_report
from validators.kpi.settings import DEFAULT_MIN_ROWS
from validators.normalize.dates import parse_date_text

logger = logging.getLogger(__name__)

PERIOD_SEPARATOR = ".."


def parse_period(value: str | None) -> Period | None:
    """Parse "2024-04-01..2025-03-31" (both ends inclusive, either date form of cells); None stays None."""
    if value is None:
        return None
    start, separator, end = value.partition(PERIOD_SEPARATOR)
    if not separator:
        raise InvalidPeriodError(value)
    first, last = parse_date_text(start), parse_date_text(end)
    if first is None or last is None:
        raise InvalidPeriodError(value)
    try:
        return Period(first, last)
    except ValueError:
        raise InvalidPeriodError(value) from None


def load_lookups(
    design: Design, design_path: Path | None, source: Path | None
) -> dict[str, dict[str, str]]:
    """Return each lookup's key -> value table, reading CSV files where the design names one.

    A relative file path is looked up beside the source sheet first, then
    beside the design file. Raises ``LookupFileError`` when the file is
    missing or lacks a named column.
    """
    tables: dict[str, dict[str, str]] = {}
    for lookup in design.kpi.lookups:
        if lookup.values is not None:
            tables[lookup.name] = dict(lookup.values)
            continue
        assert lookup.file and lookup.key_column and lookup.value_column
        path = _find_file(Path(lookup.file), design_path, source)
        tables[lookup.name] = _read_lookup(
            lookup.name, path, lookup.key_column, lookup.value_column
        )
        logger.info("Read lookup %s: %d keys from %s", lookup.name, len(tables[lookup.name]), path)
    return tables


def _find_file(path: Path, design_path: Path | None, source: Path | None) -> Path:
    if path.is_absolute():
        return path
    folders = [folder.parent for folder in (source, design_path) if folder is not None]
    for folder in folders:
        if (folder / path).is_file():
            return folder / path
    return (folders[0] / path) if folders else path


def _read_lookup(name: str, path: Path, key_column: str, value_column: str) -> dict[str, str]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise LookupFileError(name, path, "file not found") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise LookupFileError(name, path, str(error)) from None
    for column in (key_column, value_column):
        if column not in frame.columns:
            raise LookupFileError(name, path, f"no column {column!r}")
    keys = frame[key_column].str.strip()
    values = frame[value_column].str.strip()
    present = (keys != "") & (values != "")
    return dict(zip(keys[present], values[present], strict=True))


def compute_kpis(
    result: ValidationResult,
    lang: str,
    *,
    period: Period | None = None,
    lookups: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """Return the KPIs and the to-do list as JSON-ready data.

    Every missing value is ``{"value": null, "reason": code, "reason_text":
    text in lang}``; ``todo`` lists the rows with an error or a reminder.
    """
    report = compute_report(result, period, lookups)
    return report_json(report, result, lang)


def report_json(report: KpiReport, result: ValidationResult, lang: str) -> dict[str, Any]:
    data = _with_reason_texts(report.to_dict(), lang)
    data["sheet"] = result.table.title
    data["todo"] = [item.to_dict() for item in todo_items(result, lang)]
    return data


def add_kpi_tabs(
    writeback: WriteBack, report: KpiReport, result: ValidationResult, lang: str
) -> WriteBack:
    """Add the KPI and to-do tabs and their charts to ``writeback`` and return it."""
    drivers = result.design.kpi.drivers
    min_rows = drivers.min_rows if drivers is not None else DEFAULT_MIN_ROWS
    tabs, charts = kpi_writeback(report, todo_items(result, lang), lang, min_rows)
    writeback.extra_sheets.update(tabs)
    writeback.charts.extend(charts)
    return writeback


def _with_reason_texts(data: Any, lang: str) -> Any:
    if isinstance(data, dict):
        converted = {key: _with_reason_texts(value, lang) for key, value in data.items()}
        reason = data.get("reason")
        if "value" in data and isinstance(reason, str) and reason in REASON_TEXTS:
            converted["reason_text"] = gettext(lang, REASON_TEXTS[reason])
        return converted
    if isinstance(data, list):
        return [_with_reason_texts(item, lang) for item in data]
    return data


def history_for_kpis(
    history: RunHistory | None, result: ValidationResult, period: Period | None
) -> dict[str, Any] | None:
    """Return grade movement, score trends and calendar, or None while there is no history."""
    if history is None or history.records.empty:
        return None
    start, end = (period.start, period.end) if period else (None, None)
    return history_kpis(history.records, result, start=start, end=end)


def add_history_rows(writeback: WriteBack, data: dict[str, Any] | None, lang: str) -> None:
    """Append the history tables below the KPI tab's own rows."""
    if data is not None:
        rows = writeback.extra_sheets.setdefault(KPI_SHEET, [])
        rows.extend([[], *history_kpi_rows(data, lang)])
