"""The sheet as the validators see it: raw cells plus where the managed columns are.

Adapters (local workbook, Google Sheets) build a ``SheetTable``; validators never
read files or call APIs themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ManagedColumn(StrEnum):
    """Columns the bridge owns at the right of the user's data, in display order."""

    STATUS = "status"
    FINDINGS = "findings"
    SCORE = "score"
    GRADE = "grade"
    STAGE_ENTERED = "stage_entered"  # only when the sheet has no stage-entered column
    STAGE_SEEN = "stage_seen"  # stage the stage-entered date belongs to
    HUBSPOT_ID = "hubspot_id"
    SYNC_STATUS = "sync_status"
    LAST_SYNCED_AT = "last_synced_at"
    CONTENT_HASH = "content_hash"
    ROW_KEY = "row_key"  # only when the sheet has no key column


@dataclass
class SheetTable:
    """One tab of a spreadsheet, read as raw cell values.

    ``rows`` holds every row below the header row, each padded or cut to
    ``len(headers)``. Cells keep the type the adapter read: ``str``, ``int``,
    ``float``, ``bool``, ``datetime.date``/``datetime.datetime`` or ``None``.
    Google Sheets dates arrive as serial numbers (days since 1899-12-30).
    """

    title: str
    headers: list[Any]
    rows: list[list[Any]]
    header_row: int = 1
    locale: str = "ja"
    time_zone: str = "Asia/Tokyo"
    # Managed column id -> 0-based index into ``headers``, found by marker
    # (developer metadata in Google Sheets, a defined name in .xlsx, the
    # header text in .csv).
    managed: dict[ManagedColumn, int] = field(default_factory=dict)

    @property
    def first_data_row(self) -> int:
        """Sheet row number (1-based) of the first row below the header."""
        return self.header_row + 1

    def sheet_row(self, position: int) -> int:
        """Return the sheet row number of the data row at 0-based ``position``."""
        return self.header_row + 1 + position

    def managed_values(self, column: ManagedColumn) -> list[Any] | None:
        """Return the current cells of a managed column, or None when absent."""
        index = self.managed.get(column)
        if index is None:
            return None
        return [row[index] if index < len(row) else None for row in self.rows]
