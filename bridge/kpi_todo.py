"""The per-owner to-do list: every row with an error or a reminder finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from bridge.i18n import N_, gettext
from bridge.messages import finding_message
from validators.engine import ValidationResult
from validators.findings import REMINDER_CODES, Finding, Severity

NO_OWNER = N_("(no owner)")


@dataclass(frozen=True)
class TodoItem:
    owner: str
    row: int  # sheet row number of the data tab
    key: str | None
    stage: str | None  # stage label
    severity: str
    code: str
    message: str
    since: str | None  # YYYY-MM-DD: the date the problem dates from, where known

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def is_todo(finding: Finding, header_row: int) -> bool:
    if finding.row is None or finding.row <= header_row:
        return False
    return finding.severity is Severity.ERROR or finding.code in REMINDER_CODES


def todo_items(result: ValidationResult, lang: str) -> list[TodoItem]:
    """Return the to-do items sorted by owner, then row.

    "Since" is the finding's own date (last contact, stage entered, next
    step date) and otherwise the date the row entered its stage.
    """
    rows = result.rows.set_index("sheet_row", drop=False)
    owners = _owner_labels(result, rows)
    stage_labels = {s.id: s.label for p in result.design.pipelines for s in p.stages}
    items = []
    for finding in result.findings:
        if not is_todo(finding, result.table.header_row):
            continue
        row = rows.loc[finding.row] if finding.row in rows.index else None
        owner = owners.get(finding.row) or gettext(lang, NO_OWNER)
        items.append(
            TodoItem(
                owner=owner,
                row=int(finding.row),
                key=None if row is None else _text(row["row_key"]),
                stage=None if row is None else stage_labels.get(row["stage"]),
                severity=finding.severity.value,
                code=finding.code.value,
                message=finding_message(finding, lang),
                since=_since(finding, row),
            )
        )
    items.sort(key=lambda item: (item.owner, item.row, item.code))
    return items


def _owner_labels(result: ValidationResult, rows: pd.DataFrame) -> dict[int, str]:
    name = result.design.sheet.owner_column
    if not name:
        return {}
    labels = {option.value: option.label for option in result.design.property(name).options}
    owners = {}
    for sheet_row, owner in rows["owner"].items():
        text = _text(owner)
        if text:
            owners[int(sheet_row)] = labels.get(text, text)
    return owners


def _since(finding: Finding, row: pd.Series | None) -> str | None:
    for key in ("since", "date"):
        value = finding.params.get(key)
        if value:
            return str(value)
    if row is None or pd.isna(row["stage_entered"]):
        return None
    return pd.Timestamp(row["stage_entered"]).strftime("%Y-%m-%d")


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)
