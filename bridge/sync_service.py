"""Sync a sheet to HubSpot end to end: read, validate, plan, run, write back.

The CLI and the HTTP API both call these functions. ``sync`` contains the logic
and never imports ``bridge``; this module joins it with the sheet adapters,
the validation write-back and the message catalogs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bridge.i18n import N_, gettext
from bridge.sheets.writeback import WriteBack
from bridge.sources import SheetAdapter, is_google_sheet, open_source
from bridge.validation import build_writeback, load_design, today_in
from sync.batch import CONFLICT, REJECTED, SYNCED, same_value
from sync.hubspot.client import DEFAULT_API_VERSION, DEFAULT_BASE_URL, HubSpotClient
from sync.ledger import Ledger, SyncedState
from sync.mapping import ROW_KEY_PROPERTY
from sync.plan import BLOCKED, SyncPlan, build_plan
from sync.ports import CrmWriter
from sync.runner import Progress, RunOptions, RunReport, run_sync
from sync.secrets import get_access_token
from validators.design import Design
from validators.engine import ValidationResult, validate
from validators.table import ManagedColumn, SheetTable

logger = logging.getLogger(__name__)

SYNC_STATUS_TEXTS = {
    "synced": N_("Synced"),
    "pending": N_("Not synced"),
    "blocked": N_("Blocked (errors)"),
    "failed": N_("Failed"),
    "conflict": N_("Conflict"),
}


@dataclass
class SheetSync:
    """One sheet read and validated, ready to plan or run."""

    adapter: SheetAdapter
    design: Design
    table: SheetTable
    result: ValidationResult
    sheet_id: str
    lang: str


def make_client() -> HubSpotClient:
    """Return a HubSpot client from ``HUBSPOT_ACCESS_TOKEN``, ``HUBSPOT_BASE_URL`` and ``HUBSPOT_API_VERSION``."""
    return HubSpotClient(
        get_access_token(),
        base_url=os.environ.get("HUBSPOT_BASE_URL", DEFAULT_BASE_URL),
        api_version=os.environ.get("HUBSPOT_API_VERSION", DEFAULT_API_VERSION),
    )


def open_sheet(
    source: str,
    *,
    design_path: Path | None = None,
    sheet: str | None = None,
    as_of: dt.date | None = None,
    lang: str | None = None,
    output: Path | None = None,
) -> SheetSync:
    """Read ``source`` and validate it against the design."""
    design, _ = load_design(design_path)
    adapter = open_source(source, sheet=sheet, output=output)
    table = adapter.read(design)
    result = validate(table, design, as_of or today_in(table.time_zone))
    return SheetSync(
        adapter, design, table, result, sheet_id_of(source, table), lang or design.sheet.locale
    )


def sheet_id_of(source: str, table: SheetTable) -> str:
    """Return the ledger's id of a sheet: the spreadsheet and tab, or the file's absolute path and tab.

    NOTE: a local sheet without a key column gets new row keys on every read
    of the source, because they are stored only in the output file; sync such
    sheets from a Google Sheet or give them a key column.
    """
    if is_google_sheet(source):
        return f"{source}#{table.title}"
    return f"file:{Path(source).resolve()}#{table.title}"


def plan_sheet(sheet: SheetSync, ledger: Ledger, wave: str | None = None) -> SyncPlan:
    return build_plan(
        sheet.result, ledger.row_states(sheet.sheet_id), sheet_id=sheet.sheet_id, wave=wave
    )


def run_sheet(
    sheet: SheetSync,
    ledger: Ledger,
    client: CrmWriter | None,
    options: RunOptions,
    *,
    progress: Callable[[Progress], None] | None = None,
    write: bool = True,
) -> tuple[RunReport, str | None]:
    """Run one sync step and write its results into the sheet; return the report and where it went."""
    plan = plan_sheet(sheet, ledger, options.wave)
    report = run_sync(sheet.result, plan, ledger, client, options, progress=progress)
    written = None
    if write and not options.dry_run:
        writeback = sync_writeback(sheet, ledger.row_states(sheet.sheet_id), report)
        written = sheet.adapter.write(sheet.table, writeback)
    logger.info(
        "Sync run %s sheet=%s state=%s counts=%s",
        report.run_id,
        sheet.sheet_id,
        report.state,
        report.counts,
    )
    return report, written


def row_sync_statuses(plan: SyncPlan, states: dict[str, SyncedState]) -> dict[int, str]:
    """Return each planned row's sync status by 0-based position: synced, pending, blocked, failed, conflict."""
    statuses = {}
    for row in plan.rows:
        state = states.get(row.row_key) if row.row_key else None
        if row.action == BLOCKED:
            status = "blocked"
        elif state is not None and state.last_status == CONFLICT:
            status = "conflict"
        elif state is not None and state.last_status == REJECTED:
            status = "failed"
        elif (
            state is not None
            and state.last_status == SYNCED
            and row.mapped
            and state.content_hash == row.mapped.content_hash
        ):
            status = "synced"
        else:
            status = "pending"
        statuses[row.position] = status
    return statuses


def sync_writeback(
    sheet: SheetSync, states: dict[str, SyncedState], report: RunReport | None
) -> WriteBack:
    """Return the validation columns plus HubSpot id, sync status, last synced at and content hash.

    The sync findings of ``report`` (conflicts, rejections) join the
    validation findings so that the findings column and the cell notes show them.
    """
    result = sheet.result
    if report is not None and report.findings:
        result = dataclasses.replace(result, findings=[*result.findings, *report.findings])
    writeback = build_writeback(result, sheet.lang)

    plan = build_plan(sheet.result, states, sheet_id=sheet.sheet_id)
    statuses = row_sync_statuses(plan, states)
    zone = ZoneInfo(sheet.table.time_zone)
    keys = sheet.result.rows["row_key"]
    ids, texts, times, hashes = [], [], [], []
    for position in range(len(sheet.table.rows)):
        key = keys.iloc[position] if position < len(keys) else None
        state = states.get(key) if isinstance(key, str) else None
        status = statuses.get(position)
        ids.append(state.deal_id if state else None)
        texts.append(gettext(sheet.lang, SYNC_STATUS_TEXTS[status]) if status else None)
        synced_at = state.synced_at if state else None
        times.append(
            synced_at.astimezone(zone).isoformat(timespec="seconds") if synced_at else None
        )
        hashes.append(state.content_hash if state else None)
    writeback.columns[ManagedColumn.HUBSPOT_ID] = ids
    writeback.columns[ManagedColumn.SYNC_STATUS] = texts
    writeback.columns[ManagedColumn.LAST_SYNCED_AT] = times
    writeback.columns[ManagedColumn.CONTENT_HASH] = hashes
    writeback.hidden.add(ManagedColumn.CONTENT_HASH)
    return writeback


def sync_status(sheet: SheetSync, ledger: Ledger) -> dict[str, int]:
    """Count the sheet's rows by sync status, plus rows in the ledger that the sheet no longer has."""
    states = ledger.row_states(sheet.sheet_id)
    plan = build_plan(sheet.result, states, sheet_id=sheet.sheet_id)
    counts = Counter(row_sync_statuses(plan, states).values())
    summary = {status: counts.get(status, 0) for status in SYNC_STATUS_TEXTS}
    summary["removed"] = len(plan.removed)
    return summary


@dataclass(frozen=True)
class Mismatch:
    row: int
    row_key: str
    property: str
    sheet_value: str
    hubspot_value: str


def verify_sheet(sheet: SheetSync, ledger: Ledger, client: CrmWriter) -> tuple[int, list[Mismatch]]:
    """Read the synced deals back from HubSpot and compare them field by field with the sheet.

    Returns the number of rows checked and every difference; a deal missing in
    HubSpot is one difference on the row-key property.
    NOTE: companies and contacts are not read back yet.
    """
    states = ledger.row_states(sheet.sheet_id)
    plan = build_plan(sheet.result, states, sheet_id=sheet.sheet_id)
    rows = [
        row
        for row in plan.rows
        if row.mapped and row.row_key in states and states[row.row_key].deal_id
    ]
    names = sorted({name for row in rows for name in row.mapped.deal})
    found = client.batch_read(
        "deals", [row.row_key for row in rows], id_property=ROW_KEY_PROPERTY, properties=names
    )
    mismatches = []
    for row in rows:
        record = found.get(row.row_key)
        if record is None:
            mismatches.append(
                Mismatch(row.sheet_row, row.row_key, ROW_KEY_PROPERTY, row.row_key, "")
            )
            continue
        for name, value in sorted(row.mapped.deal.items()):
            hubspot_value = record.properties.get(name)
            if not same_value(value, hubspot_value):
                mismatches.append(
                    Mismatch(row.sheet_row, row.row_key, name, value, hubspot_value or "")
                )
    return len(rows), mismatches


def plan_json(plan: SyncPlan) -> dict[str, Any]:
    return plan.to_dict()
