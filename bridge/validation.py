"""Run a validation end to end: design, sheet, rules, write-back, report.

The CLI and the HTTP API both call these functions; they differ only in how
they present the result.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from bridge.errors import DesignFileError, SourceNotFoundError
from bridge.i18n import N_, gettext
from bridge.messages import finding_message, finding_text, status_text
from bridge.reasons import NOT_YAML_TEXT, Reason, os_reason
from bridge.sheets.local_paths import write_text_file
from bridge.sheets.writeback import CellMark, WriteBack
from validators.design import Design
from validators.design_file import DesignError, load_design_text
from validators.engine import ValidationResult
from validators.findings import Severity
from validators.table import ManagedColumn

logger = logging.getLogger(__name__)

EXAMPLE_DESIGN = Path(__file__).resolve().parent.parent / "examples" / "design.yaml"
MAX_CELL_TEXT = 50_000  # Google Sheets' limit of characters in one cell
MORE_SHEET_ERRORS = N_("… and {count} more errors of the whole sheet (see the run's summary)")
REPORT_FIELDS = ("row", "column", "column_letter", "code", "severity", "value")


def load_design(path: Path | None) -> tuple[Design, Path]:
    """Load the design file, by default the bundled example design."""
    path = path or EXAMPLE_DESIGN
    if not path.exists():
        raise SourceNotFoundError(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise DesignFileError(path, [], os_reason(error)) from None
    except UnicodeDecodeError:
        raise DesignFileError(path, [], Reason(NOT_YAML_TEXT)) from None
    try:
        return load_design_text(text, str(path)), path
    except DesignError as error:
        raise DesignFileError(path, error.problems) from None


def today_in(time_zone: str) -> dt.date:
    """Return today's date in the spreadsheet's time zone."""
    return dt.datetime.now(ZoneInfo(time_zone)).date()


def build_writeback(result: ValidationResult, lang: str) -> WriteBack:
    """Turn a validation result into managed column values and cell marks."""
    rows = result.rows
    texts, marks = _finding_texts(result, lang)

    columns: dict[ManagedColumn, list[Any]] = {
        ManagedColumn.STATUS: [status_text(status, lang) for status in rows["status"]],
        ManagedColumn.FINDINGS: texts,
        ManagedColumn.SCORE: [_number_or_blank(score) for score in rows["score"]],
        ManagedColumn.GRADE: [grade if isinstance(grade, str) else None for grade in rows["grade"]],
    }
    hidden: set[ManagedColumn] = set()
    design = result.design
    if not design.sheet.stage_entered_column:
        columns[ManagedColumn.STAGE_ENTERED] = _date_texts(rows["stage_entered"])
        columns[ManagedColumn.STAGE_SEEN] = [_text_or_blank(stage) for stage in rows["stage"]]
        hidden.add(ManagedColumn.STAGE_SEEN)
    if not design.sheet.key_column:
        columns[ManagedColumn.ROW_KEY] = [_text_or_blank(key) for key in rows["row_key"]]

    return WriteBack(columns=columns, lang=lang, marks=marks, hidden=hidden)


def _finding_texts(result: ValidationResult, lang: str) -> tuple[list[str], list[CellMark]]:
    """Return the findings column's text per row and one highlight per user cell with findings.

    Each finding's message is formatted once and used in both. In a cell's
    highlight, errors win over warnings.
    """
    first_row = result.table.first_data_row
    lines: dict[int, list[str]] = {}
    by_cell: dict[tuple[int, int], list[tuple[Severity, str]]] = {}
    column_index = {column.letter: column.index for column in result.binding.columns}

    sheet_lines: list[str] = []  # errors on the whole sheet, which block every row
    for finding in result.findings:
        if finding.row is None or finding.row < first_row:
            if finding.severity is Severity.ERROR:
                text = finding_text(finding, lang)
                sheet_lines.append(f"{finding.column}: {text}" if finding.column else text)
            continue
        text = finding_text(finding, lang)
        position = finding.row - first_row
        line = f"{finding.column}: {text}" if finding.column else text
        lines.setdefault(position, []).append(line)
        index = column_index.get(finding.column_letter) if finding.column_letter else None
        if index is not None:
            by_cell.setdefault((position, index), []).append((finding.severity, text))

    if len(sheet_lines) > 1:
        # Every row repeats these lines, so a sheet with many missing columns
        # names the first and counts the rest instead of listing them all.
        more = gettext(lang, MORE_SHEET_ERRORS, count=len(sheet_lines) - 1)
        sheet_lines = [sheet_lines[0], more]
    if sheet_lines:
        blank = result.rows["status"].to_numpy(dtype=object) == "blank"
        for position in np.flatnonzero(~blank).tolist():
            lines[position] = sheet_lines + lines.get(position, [])
    texts = [
        "\n".join(lines[position])[:MAX_CELL_TEXT] if position in lines else ""
        for position in range(len(result.rows))
    ]
    marks = []
    for (position, index), notes in by_cell.items():
        has_error = any(severity is Severity.ERROR for severity, _ in notes)
        note = notes[0][1] if len(notes) == 1 else "\n".join(text for _, text in notes)
        marks.append(CellMark(position, index, "error" if has_error else "warning", note))
    return texts, marks


def _date_texts(dates: pd.Series) -> list[str | None]:
    """Return each date as YYYY-MM-DD, one text object per distinct date."""
    known: dict[Any, str | None] = {}
    texts = []
    for date in dates:
        text = known.get(date)
        if text is None and date not in known:
            text = known[date] = None if pd.isna(date) else date.strftime("%Y-%m-%d")
        texts.append(text)
    return texts


def report_dict(result: ValidationResult, lang: str) -> dict[str, Any]:
    """Return the JSON report: summary and every finding with its message."""
    findings = []
    for finding in result.findings:
        item = {name: getattr(finding, name) for name in REPORT_FIELDS}
        item["code"] = finding.code.value
        item["severity"] = finding.severity.value
        item["message"] = finding_message(finding, lang)
        item["suggestion"] = finding.suggestion
        findings.append(item)
    return {"summary": result.summary, "findings": findings}


def write_report(result: ValidationResult, lang: str, path: Path) -> None:
    data = report_dict(result, lang)
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    write_text_file(path, text + "\n")


def _number_or_blank(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _text_or_blank(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
