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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bridge.design_source import load_sheet_design
from bridge.errors import RowKeysNotStored
from bridge.i18n import N_, gettext
from bridge.sheets.google_source import parse_google_source
from bridge.sheets.local_paths import CHECKED_SUFFIX, default_output_path, is_checked_file
from bridge.sheets.writeback import WriteBack
from bridge.sources import LocalSheet, SheetAdapter, open_source
from bridge.validation import build_writeback, today_in
from sync.batch import ASSOCIATION_FAILED, CONFLICT, REJECTED, SYNCED, same_value
from sync.errors import DailyLimitReached, HubSpotRetriableError
from sync.hubspot.client import (
    CASE_INSENSITIVE_ID_PROPERTIES as CASELESS_PROPERTIES,
)
from sync.hubspot.client import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    HubSpotClient,
    object_type_name,
)
from sync.ledger import Ledger, SyncedState
from sync.ledger_tables import RUN_ACTIVE
from sync.mapping import ROW_KEY_PROPERTY
from sync.owners import OwnerDirectory
from sync.plan import BLOCKED, PortalIds, RowPlan, SyncPlan, build_plan
from sync.portal_snapshot import forget_portal, load_portal, save_portal
from sync.preflight import (
    Portal,
    PreflightFailed,
    check_design,
    portal_stage_ids,
    prepare_sync,
    read_portal,
)
from sync.runner import Progress, RunOptions, RunReport, run_sync
from sync.secrets import get_access_token
from sync.steps import StepReport, run_step, stop_run
from validators.design import Design
from validators.engine import ValidationResult, validate
from validators.findings import Finding
from validators.table import ManagedColumn, SheetTable

logger = logging.getLogger(__name__)

GOOGLE_SHEET_PREFIX = "gsheet:"
SYNC_STATUS_TEXTS = {
    "synced": N_("Synced"),
    "pending": N_("Not synced"),
    "blocked": N_("Blocked (errors)"),
    "failed": N_("Failed"),
    "conflict": N_("Conflict"),
    "association_failed": N_("Synced, not linked"),
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
    design, _ = load_sheet_design(source, design_path)
    adapter = open_source(source, sheet=sheet, output=output)
    return read_sheet(adapter, design, source, as_of=as_of, lang=lang)


def read_sheet(
    adapter: SheetAdapter,
    design: Design,
    source: str,
    *,
    as_of: dt.date | None = None,
    lang: str | None = None,
) -> SheetSync:
    """Read an opened sheet and validate it; ``source`` is the path, URL or id it came from."""
    table = adapter.read(design)
    result = validate(table, design, as_of or today_in(table.time_zone))
    return SheetSync(
        adapter, design, table, result, sheet_id_of(source, table), lang or design.sheet.locale
    )


def sheet_id_of(source: str, table: SheetTable) -> str:
    """Return the ledger's id of a sheet: the spreadsheet and tab, or the file's absolute path and tab.

    A result file ``deals.checked.xlsx`` has the id of its original
    ``deals.xlsx`` (a CSV's tab is its file stem, so that loses the suffix
    too): both are the same sheet to the ledger.
    """
    google = parse_google_source(source)
    if google is not None:
        return google_sheet_id(google.spreadsheet_id, table.title)
    path = Path(source).resolve()
    title = table.title
    if is_checked_file(path):
        path = path.with_name(path.stem.removesuffix(CHECKED_SUFFIX) + path.suffix)
        title = title.removesuffix(CHECKED_SUFFIX)
    return f"file:{path}#{title}"


def google_sheet_id(spreadsheet_id: str, title: str) -> str:
    """Return the ledger's id of a Google Sheets tab, the same for its URL and its bare id."""
    return f"{GOOGLE_SHEET_PREFIX}{spreadsheet_id}#{title}"


def check_row_keys(sheet: SheetSync, ledger: Ledger) -> None:
    """Raise ``RowKeysNotStored`` when syncing this local file would mint new keys for synced rows.

    A sheet without a key column keeps the row keys in the managed row-key
    column of its result file (``deals.checked.xlsx``), never in the
    original. Reading keys from the result file instead would need to match
    its rows to the original's by position, and a sorted or edited original
    would give rows each other's keys. So a sync of a file without stored
    keys is allowed only the first time: before the ledger has states for the sheet
    and before its result file exists. Afterwards the user syncs the result
    file, which is written in place and keeps the keys.
    """
    adapter = sheet.adapter
    if sheet.design.sheet.key_column or not isinstance(adapter, LocalSheet):
        return
    if sheet.table.managed_values(ManagedColumn.ROW_KEY) is not None:
        return
    result_path = adapter.output or default_output_path(adapter.path).path
    if result_path.exists() or ledger.row_states(sheet.sheet_id):
        raise RowKeysNotStored(adapter.path, result_path)


def read_portal_ids(client: HubSpotClient, design: Design, *, check: bool = True) -> PortalIds:
    """Read the portal and return its owner and stage ids; with ``check``, run the pre-flight.

    The pre-flight raises ``PreflightFailed`` with every problem before
    anything is written.
    """
    if check:
        portal, owners = prepare_sync(client, design)
    else:
        portal = read_portal(client)
        owners = OwnerDirectory(portal.owners)
    return PortalIds(owners=owners, stages=portal_stage_ids(design, portal))


def plan_sheet(
    sheet: SheetSync, ledger: Ledger, wave: str | None = None, portal: PortalIds | None = None
) -> SyncPlan:
    """Plan a sync of the sheet; raise ``RowKeysNotStored`` where its keys were lost."""
    check_row_keys(sheet, ledger)
    return build_plan(
        sheet.result,
        ledger.row_states(sheet.sheet_id),
        sheet_id=sheet.sheet_id,
        wave=wave,
        portal=portal,
    )


def run_sheet(
    sheet: SheetSync,
    ledger: Ledger,
    client: HubSpotClient | None,
    options: RunOptions,
    *,
    progress: Callable[[Progress], None] | None = None,
    write: bool = True,
) -> tuple[RunReport, str | None]:
    """Check the portal, run one sync step and write its results into the sheet.

    Returns the report and where the results went. A dry run neither reads
    the portal nor writes anything.
    """
    check_row_keys(sheet, ledger)
    portal = None if options.dry_run or client is None else read_portal_ids(client, sheet.design)
    plan = plan_sheet(sheet, ledger, options.wave, portal)
    report = run_sync(sheet.result, plan, ledger, client, options, progress=progress)
    report.findings[:0] = plan.findings
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


def run_sheet_step(
    sheet: SheetSync,
    ledger: Ledger,
    client: HubSpotClient,
    options: RunOptions,
    *,
    step: int,
    run_id: int | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> tuple[StepReport, list[Finding], str | None]:
    """Check the portal, send batch ``step`` of the sheet's run and write the results into the sheet.

    The portal is read at the run's first step and then taken from the
    run's snapshot (``sync.portal_snapshot``). Returns the step's report, the
    findings met while planning (unknown owners, for example) and where the
    results went. The sheet is written after every step, with the states of
    all the rows the ledger holds, so it shows the run's progress so far.

    NOTE: a row written in HubSpot whose links wait for the run's last step
    shows "Not synced" (with its HubSpot id) until that step.
    """
    check_row_keys(sheet, ledger)
    try:
        portal, read_now = _step_portal(client, sheet.design, ledger, run_id)
    except (DailyLimitReached, HubSpotRetriableError) as error:
        if run_id is not None:
            stop_run(ledger, run_id, error)
        raise
    ids = PortalIds(
        owners=OwnerDirectory(portal.owners), stages=portal_stage_ids(sheet.design, portal)
    )
    plan = plan_sheet(sheet, ledger, options.wave, ids)
    report = run_step(
        sheet.result, plan, ledger, client, options, step=step, run_id=run_id, progress=progress
    )
    if report.state != RUN_ACTIVE:
        forget_portal(ledger, report.run_id)
    elif read_now:
        save_portal(ledger, report.run_id, portal)
    writeback = sync_writeback(sheet, ledger.row_states(sheet.sheet_id), _step_as_run(report))
    written = sheet.adapter.write(sheet.table, writeback)
    logger.info(
        "Sync run %s step %d sheet=%s state=%s counts=%s",
        report.run_id, step, sheet.sheet_id, report.state, report.counts,
    )  # fmt: skip
    return report, list(plan.findings), written


def _step_portal(
    client: HubSpotClient, design: Design, ledger: Ledger, run_id: int | None
) -> tuple[Portal, bool]:
    """Return the portal checked against ``design``, and whether it was read from HubSpot now.

    A run's first step reads the portal. Later steps use the snapshot stored
    with the run while it is younger than ``PORTAL_MAX_AGE`` and check the
    design against it again, so a step still raises ``PreflightFailed``
    before any write.
    """
    snapshot = load_portal(ledger, run_id) if run_id is not None else None
    if snapshot is None:
        portal, _ = prepare_sync(client, design)
        return portal, True
    problems = check_design(design, snapshot)
    if problems:
        raise PreflightFailed(problems)
    return snapshot, False


def _step_as_run(report: StepReport) -> RunReport:
    """Wrap a step's sync findings so that ``sync_writeback`` adds them to the sheet."""
    return RunReport(report.run_id, report.state, report.rows, findings=list(report.findings))


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
        elif state is not None and state.last_status == ASSOCIATION_FAILED:
            status = "association_failed"
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
    for position in range(sheet.table.row_count):
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
    """Count the sheet's rows by sync status, plus rows in the ledger that the sheet no longer has.

    NOTE: status reads no portal, so a row whose owner matches no HubSpot
    user counts as pending here although a run blocks it.
    """
    check_row_keys(sheet, ledger)
    states = ledger.row_states(sheet.sheet_id)
    plan = build_plan(sheet.result, states, sheet_id=sheet.sheet_id)
    counts = Counter(row_sync_statuses(plan, states).values())
    summary = {status: counts.get(status, 0) for status in SYNC_STATUS_TEXTS}
    summary["removed"] = len(plan.removed)
    return summary


@dataclass(frozen=True)
class Mismatch:
    """One value that differs between the sheet and HubSpot; ``object`` is deal, company or contact."""

    row: int
    row_key: str
    property: str
    sheet_value: str
    hubspot_value: str
    object: str = "deal"


def verify_sheet(
    sheet: SheetSync, ledger: Ledger, client: HubSpotClient
) -> tuple[int, list[Mismatch]]:
    """Read the synced deals, companies and contacts back and compare them field by field.

    Values are compared as the sync sends them: owners and stages as HubSpot
    ids, numbers by value and dates by their day (``same_value``). Returns the
    number of rows checked and every difference; a record missing in HubSpot
    is one difference on its id property.
    """
    check_row_keys(sheet, ledger)
    portal = read_portal_ids(client, sheet.design, check=False)
    states = ledger.row_states(sheet.sheet_id)
    plan = build_plan(sheet.result, states, sheet_id=sheet.sheet_id, portal=portal)
    rows = [
        row
        for row in plan.rows
        if row.mapped and row.row_key in states and states[row.row_key].deal_id
    ]
    names = sorted({name for row in rows for name in row.mapped.deal})
    deals = client.batch_read(
        "deals", [row.row_key for row in rows], id_property=ROW_KEY_PROPERTY, properties=names
    )
    mismatches = []
    for row in rows:
        record = deals.get(row.row_key)
        if record is None:
            mismatches.append(
                Mismatch(row.sheet_row, row.row_key, ROW_KEY_PROPERTY, row.row_key, "")
            )
            continue
        mismatches.extend(_compare(row, "deal", row.mapped.deal, record.properties))
    for kind in ("company", "contact"):
        mismatches.extend(_verify_objects(client, rows, states, kind))
    return len(rows), mismatches


def _verify_objects(
    client: HubSpotClient, rows: list[RowPlan], states: dict[str, SyncedState], kind: str
) -> list[Mismatch]:
    """Compare the company or contact of each row with HubSpot's record, read by its stored id."""
    id_field = "company_id" if kind == "company" else "contact_id"
    wanted = [
        (row, getattr(states[row.row_key], id_field))
        for row in rows
        if getattr(states[row.row_key], id_field) and _object_values(row, kind)
    ]
    names = sorted({name for row, _ in wanted for name in _object_values(row, kind)})
    found = client.batch_read(
        object_type_name(kind), [hubspot_id for _, hubspot_id in wanted], properties=names
    )
    mismatches = []
    for row, hubspot_id in wanted:
        record = found.get(hubspot_id)
        values = _object_values(row, kind)
        if record is None:
            key = row.mapped.company_key if kind == "company" else row.mapped.contact_key
            name = key.id_property if key else "hs_object_id"
            mismatches.append(
                Mismatch(row.sheet_row, row.row_key, name, values.get(name, ""), "", kind)
            )
            continue
        mismatches.extend(_compare(row, kind, values, record.properties))
    return mismatches


def _object_values(row: RowPlan, kind: str) -> dict[str, str]:
    return row.mapped.company if kind == "company" else row.mapped.contact


def _compare(
    row: RowPlan, kind: str, values: dict[str, str], hubspot: Mapping[str, str | None]
) -> list[Mismatch]:
    mismatches = []
    for name, value in sorted(values.items()):
        hubspot_value = hubspot.get(name)
        if not same_value(value, hubspot_value, case_insensitive=name in CASELESS_PROPERTIES):
            mismatches.append(
                Mismatch(row.sheet_row, row.row_key, name, value, hubspot_value or "", kind)
            )
    return mismatches


def plan_json(plan: SyncPlan) -> dict[str, Any]:
    return plan.to_dict()
