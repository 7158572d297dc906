"""Request and response bodies of the sync endpoints (``/api/v1/sync/...``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bridge.web.schemas import SheetRequest

MAX_ROWS_PER_RUN = 10_000


class SyncPlanRequest(SheetRequest):
    """Plan a sync of one tab: what each row would become in HubSpot."""

    wave: str | None = Field(default=None, max_length=200, description="Plan only this wave")


class SyncRunRequest(SheetRequest):
    """Send the next rows of one tab to HubSpot."""

    limit: int = Field(ge=1, le=MAX_ROWS_PER_RUN, description="Rows to send in this run")
    wave: str | None = Field(default=None, max_length=200, description="Send only this wave")
    update_only: bool = Field(default=False, description="Update existing records, create none")
    dry_run: bool = Field(default=False, description="Select the rows, send and write nothing")


class SyncStatusRequest(SheetRequest):
    """Count the rows of one tab by sync status."""


class SyncVerifyRequest(SheetRequest):
    """Read the synced records back from HubSpot and compare them with the tab."""


class PlanRowItem(BaseModel):
    row: int = Field(description="Sheet row number, header row counted")
    row_key: str | None
    action: Literal["create", "update", "unchanged", "blocked"]
    blocking_codes: list[str]
    hubspot_id: str | None


class SyncPlanResponse(BaseModel):
    """Per-row actions, totals per object, rows removed from the sheet and planning findings."""

    sheet: str
    wave: str | None
    totals: dict[str, dict[str, int]] = Field(
        description="deal, company, contact: rows or records per action; removed: rows"
    )
    removed: list[str] = Field(description="Row keys synced before that the sheet no longer has")
    rows: list[PlanRowItem]
    messages: list[str] = Field(description="Findings met while planning, e.g. unknown owners")


class SyncStatusResponse(BaseModel):
    """Migration progress: rows per sync status."""

    sheet: str
    synced: int
    pending: int
    blocked: int
    failed: int
    conflict: int
    association_failed: int
    removed: int
    active_run: int | None = Field(description="Id of the run in progress, if any")
