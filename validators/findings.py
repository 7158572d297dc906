"""Findings: validation problems as data, never as exceptions.

A finding names the row as the sheet shows it (the header row keeps its own
number, so with the header in row 1 the first data row is row 2), the column
header and its A1 letter, a stable code, a severity and the original value.
The message text is rendered later, in the user's language, from the code and
``params`` (see ``bridge.messages``), so this module stays free of I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"  # blocks sync
    WARNING = "warning"  # reported, does not block sync


class Code(StrEnum):
    MISSING_REQUIRED = "missing_required"
    INVALID_NUMBER = "invalid_number"
    INVALID_DATE = "invalid_date"
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    INVALID_URL = "invalid_url"
    INVALID_POSTAL_CODE = "invalid_postal_code"
    INVALID_CORPORATE_NUMBER = "invalid_corporate_number"
    INVALID_BOOL = "invalid_bool"
    INVALID_OPTION = "invalid_option"
    OUT_OF_RANGE = "out_of_range"
    UNKNOWN_STAGE = "unknown_stage"
    UNKNOWN_PIPELINE = "unknown_pipeline"
    STAGE_REQUIREMENT = "stage_requirement"
    STALE_IN_STAGE = "stale_in_stage"
    CONTACT_OVERDUE = "contact_overdue"
    NEXT_STEP_OVERDUE = "next_step_overdue"
    CLOSE_DATE_PASSED = "close_date_passed"
    INCONSISTENT = "inconsistent"
    DUPLICATE_KEY = "duplicate_key"
    DUPLICATE_RECORD = "duplicate_record"
    FORMULA_ERROR = "formula_error"
    SCORE_DROPPED = "score_dropped"
    HEADER_PROBLEM = "header_problem"
    MISSING_COLUMN = "missing_column"
    SYNC_CONFLICT = "sync_conflict"
    SYNC_REJECTED = "sync_rejected"
    UNKNOWN_OWNER = "unknown_owner"  # the owner matches no HubSpot owner, so the row is not sent
    ASSOCIATION_FAILED = "association_failed"  # the deal was written but not linked


# Codes that describe work to do for the row's owner (listed in the to-do sheet
# even when they are only warnings).
REMINDER_CODES = frozenset(
    {
        Code.MISSING_REQUIRED,
        Code.STAGE_REQUIREMENT,
        Code.STALE_IN_STAGE,
        Code.CONTACT_OVERDUE,
        Code.NEXT_STEP_OVERDUE,
    }
)


def column_letter(index: int) -> str:
    """Return the A1 letter of a 1-based column index (1 -> A, 27 -> AA)."""
    if index < 1:
        raise ValueError(f"column index must be 1 or more, got {index}")
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True, slots=True)
class Finding:
    row: int | None  # sheet row number as the user sees it; None for sheet-level findings
    column: str | None  # header text as written in the sheet
    column_letter: str | None
    code: Code
    severity: Severity
    value: Any = None  # the original cell value
    params: dict[str, Any] = field(default_factory=dict)  # values quoted by the message
    suggestion: str | None = None

    @property
    def blocks_sync(self) -> bool:
        return self.severity is Severity.ERROR
