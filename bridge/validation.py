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

import pandas as pd

from bridge.errors import DesignFileError, SourceNotFoundError
from bridge.messages import finding_message, finding_text, status_text
from bridge.sheets.writeback import CellMark, WriteBack
from validators.design import Design
from validators.design_file import DesignError, load_design_text
from validators.engine import ValidationResult
from validators.findings import Severity
from validators.table import ManagedColumn

logger = logging.getLogger(__name__)

EXAMPLE_DESIGN = Path(__file__).resolve().parent.parent / "examples" / "design.yaml"
MAX_CELL_TEXT = 50_000  # Google Sheets' limit of characters in one cell
REPORT_FIELDS = ("row", "column", "column_letter", "code", "severity", "value")


def load_design(path: Path | None) -> tuple[Design, Path]:
    """Load the design file, by default the bundled example design."""
    path = path or EXAMPLE_DESIGN
    if not path.exists():
        raise SourceNotFoundError(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise DesignFileError(path, [], str(error)) from None
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
    by_row = result.findings_by_row()
    texts: list[str] = []
    for sheet_row in rows["sheet_row"]:
        lines = [
            f"{finding.column}: {finding_text(finding, lang)}" if finding.column
            else finding_text(finding, lang)
            for finding in by_row.get(int(sheet_row), [])
        ]  # fmt: skip
        texts.append("\n".join(lines)[:MAX_CELL_TEXT])

    columns: dict[ManagedColumn, list[Any]] = {
        ManagedColumn.STATUS: [status_text(status, lang) for status in rows["status"]],
        ManagedColumn.FINDINGS: texts,
        ManagedColumn.SCORE: [_number_or_blank(score) for score in rows["score"]],
        ManagedColumn.GRADE: [grade if isinstance(grade, str) else None for grade in rows["grade"]],
    }
    hidden: set[ManagedColumn] = set()
    design = result.design
    if not design.sheet.stage_entered_column:
        columns[ManagedColumn.STAGE_ENTERED] = [
            None if pd.isna(date) else date.strftime("%Y-%m-%d") for date in rows["stage_entered"]
        ]
        columns[ManagedColumn.STAGE_SEEN] = [_text_or_blank(stage) for stage in rows["stage"]]
        hidden.add(ManagedColumn.STAGE_SEEN)
    if not design.sheet.key_column:
        columns[ManagedColumn.ROW_KEY] = [_text_or_blank(key) for key in rows["row_key"]]

    return WriteBack(columns=columns, lang=lang, marks=_marks(result, lang), hidden=hidden)


def _marks(result: ValidationResult, lang: str) -> list[CellMark]:
    """Return one highlight per user cell with findings; errors win over warnings."""
    by_cell: dict[tuple[int, int], list[Any]] = {}
    column_index = {column.letter: column.index for column in result.binding.columns}
    header_row = result.table.header_row
    for finding in result.findings:
        if finding.row is None or finding.row <= header_row or finding.column_letter is None:
            continue
        index = column_index.get(finding.column_letter)
        if index is None:
            continue
        by_cell.setdefault((finding.row - header_row - 1, index), []).append(finding)

    marks = []
    for (position, index), findings in by_cell.items():
        has_error = any(finding.severity is Severity.ERROR for finding in findings)
        note = "\n".join(finding_text(finding, lang) for finding in findings)
        marks.append(CellMark(position, index, "error" if has_error else "warning", note))
    return marks


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
    path.write_text(text + "\n", encoding="utf-8")


def _number_or_blank(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _text_or_blank(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
