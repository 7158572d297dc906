"""``/api/v1/sync/...``: plan, run, status and verify of the staged HubSpot migration.

Plan and status read the sheet (and, for the plan, the portal) during the
request and respond at once. A run and a verification are jobs: the request
returns 202 with a job id, and the sidebar polls ``GET /api/v1/jobs/{id}``,
whose ``progress`` moves after each confirmed batch. Every route needs the
same sign-in as the rest of ``/api/v1``.

A run job sends one batch (at most 100 rows) per step, so no request comes
near App Engine's 10-minute limit. Each step reads the tab and checks the
design against the portal, which is read from HubSpot at the first step and
then taken from the run's snapshot. It then sends the next batch of the
sheet's run, confirms it in the ledger and writes the tab. Association links wait in the ledger and go
out in calls of up to 2,000 pairs, the rest at the last step. With Cloud Tasks every step is its own task; with the thread
backend one worker runs the steps in a row. The run stays active in the
ledger between steps (matched by the job id recorded as the run's user), so
no other run of the tab can start meanwhile.

Job deliveries are idempotent: the job store lets one worker claim a job's
next step, and a step delivered again after its worker died sends again only
the rows of its unconfirmed batch (``sync.steps``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, request

from bridge.auth import check_spreadsheet_access
from bridge.jobs import JobContext, JobFailure, PartialResult
from bridge.messages import finding_message
from bridge.services import SheetOpener, design_from_request, open_google_sheet
from bridge.sheets.google_source import parse_google_source
from bridge.sync_messages import sync_error_lines
from bridge.sync_service import (
    SheetSync,
    google_sheet_id,
    make_client,
    plan_sheet,
    read_portal_ids,
    read_sheet,
    run_sheet,
    run_sheet_step,
    sync_status,
    verify_sheet,
)
from bridge.web import authn
from bridge.web.api import current_identity, documented, json_response, parse_body, service_state
from bridge.web.openapi import STATUS_TEXT
from bridge.web.problems import PROBLEMS, ApiProblem, request_language
from bridge.web.schemas import JobAccepted, SheetQuery, SheetRequest
from bridge.web.sheet_jobs import start_sheet_job
from bridge.web.sync_problems import SYNC_PROBLEMS, SYNC_STATUS_TEXT, sync_problem
from bridge.web.sync_schemas import (
    PlanRowItem,
    SyncPlanRequest,
    SyncPlanResponse,
    SyncRunRequest,
    SyncStatusRequest,
    SyncStatusResponse,
    SyncVerifyRequest,
)
from sync.db import database_url, shared_engine
from sync.errors import SyncError
from sync.ledger import Ledger
from sync.run_errors import format_started
from sync.runner import Progress, RunOptions
from sync.steps import StepReport

logger = logging.getLogger(__name__)

blueprint = Blueprint("sync", __name__, url_prefix="/api/v1/sync")
blueprint.before_request(authn.authenticate)
MESSAGES_SHOWN = 200  # finding messages in a plan or run result


def init_app(app: Flask) -> None:
    """Register the sync routes, their job handlers and their problem codes on ``app``."""
    state = service_state_of(app)
    opener = app.config.get("SHEET_OPENER") or functools.partial(
        open_google_sheet, allowed_sheets=state.settings.service_account_sheets
    )
    url = state.settings.database_url or None
    ledger = functools.cache(lambda: Ledger(shared_engine(url or database_url())))
    app.extensions["bridge_sync"] = SyncContext(opener, ledger)
    state.runner.handlers["sync_run"] = functools.partial(run_job, open_sheet=opener, ledger=ledger)
    state.runner.handlers["sync_verify"] = functools.partial(
        verify_job, open_sheet=opener, ledger=ledger
    )
    for code, problem in SYNC_PROBLEMS.items():
        PROBLEMS.setdefault(code, problem)
    for status, text in SYNC_STATUS_TEXT.items():
        STATUS_TEXT.setdefault(status, text)
    app.register_blueprint(blueprint)


class SyncContext:
    """The sheet opener and the ledger of one app."""

    def __init__(self, opener: SheetOpener, ledger: Callable[[], Ledger]) -> None:
        self.opener = opener
        self.ledger = ledger


def service_state_of(app: Flask) -> Any:
    return app.extensions["bridge"]


def sync_context() -> SyncContext:
    from flask import current_app

    return current_app.extensions["bridge_sync"]


# -- views ------------------------------------------------------------------------


@blueprint.post("/plan")
@documented(
    "Plan a sync of one tab",
    tag="sync",
    request=SyncPlanRequest,
    responses={200: (SyncPlanResponse, "What a run would do to each row")},
    problems=(401, 403, 413, 415, 422, 429, 503),
    description=(
        "Reads the tab and the HubSpot portal, runs the pre-flight check and returns per row "
        "create, update, unchanged or blocked. Writes nothing."
    ),
)
def plan():
    body = parse_body(SyncPlanRequest)
    lang = body.lang or request_language()
    sheet = _open_in_request(body, lang)
    context = sync_context()
    try:
        portal = read_portal_ids(make_client(), sheet.design)
        result = plan_sheet(sheet, context.ledger(), body.wave, portal)
    except SyncError as error:
        raise _api_problem(error, lang) from None
    data = result.to_dict()
    response = SyncPlanResponse(
        sheet=sheet.table.title,
        wave=result.wave,
        totals=data["totals"],
        removed=data["removed"],
        rows=[PlanRowItem(**row) for row in data["rows"]],
        messages=[finding_message(f, lang) for f in result.findings[:MESSAGES_SHOWN]],
    )
    return json_response(response)


@blueprint.post("/runs")
@documented(
    "Start sending the next rows of one tab to HubSpot",
    tag="sync",
    request=SyncRunRequest,
    responses={202: (JobAccepted, "Job started; poll `status_url`")},
    problems=(401, 403, 409, 413, 415, 422, 503),
    description=(
        "The job checks the portal first, then sends the rows in batches of 100 and writes "
        "HubSpot ids and sync status into the tab; `progress` moves after each batch. 409 "
        "when this tab already has a run in progress. A job that meets HubSpot's daily "
        "limit fails with code `hubspot-daily-limit` after recording the rows it sent."
    ),
)
def start_run():
    body = parse_body(SyncRunRequest)
    spreadsheet_id = _spreadsheet_id(body)
    active = sync_context().ledger().active_runs(google_sheet_id(spreadsheet_id, ""))
    if body.sheet is not None:
        active = [
            run for run in active if run.sheet_id == google_sheet_id(spreadsheet_id, body.sheet)
        ]
    if active and not body.dry_run:
        run = active[0]
        started = format_started(run.started_at)
        raise ApiProblem("sync-run-in-progress", run_id=run.id, started_at=started)
    return start_sheet_job("sync_run", body)


@blueprint.post("/status")
@documented(
    "Count the rows of one tab by sync status",
    tag="sync",
    request=SyncStatusRequest,
    responses={200: (SyncStatusResponse, "Rows synced, pending, blocked, failed, in conflict")},
    problems=(401, 403, 413, 415, 422),
)
def status():
    return _status(parse_body(SyncStatusRequest))


@blueprint.get("/status")
@documented(
    "Count the rows of one tab by sync status (query parameters)",
    tag="sync",
    query=SheetQuery,
    responses={200: (SyncStatusResponse, "Rows synced, pending, blocked, failed, in conflict")},
    problems=(401, 403, 422, 503),
)
def status_by_query():
    fields = {name: request.args[name] for name in ("spreadsheet", "sheet", "gid", "lang")
              if name in request.args}  # fmt: skip
    return _status(SyncStatusRequest.model_validate(fields))


@blueprint.post("/verify")
@documented(
    "Start comparing the synced records in HubSpot with the tab",
    tag="sync",
    request=SyncVerifyRequest,
    responses={202: (JobAccepted, "Job started; poll `status_url`")},
    problems=(401, 403, 413, 415, 422, 503),
    description=(
        "The job reads the synced deals, companies and contacts back and lists every value "
        "that differs from the tab."
    ),
)
def start_verify():
    return start_sheet_job("sync_verify", parse_body(SyncVerifyRequest))


def _status(body: SyncStatusRequest):
    lang = body.lang or request_language()
    sheet = _open_in_request(body, lang)
    ledger = sync_context().ledger()
    counts = sync_status(sheet, ledger)
    active = ledger.active_run(sheet.sheet_id)
    response = SyncStatusResponse(
        sheet=sheet.table.title, active_run=active.id if active else None, **counts
    )
    return json_response(response)


# -- job handlers -----------------------------------------------------------------


def run_job(
    request_data: dict[str, Any],
    context: JobContext,
    *,
    open_sheet: SheetOpener,
    ledger: Callable[[], Ledger],
) -> dict[str, Any] | PartialResult:
    """Send the next batch of the tab's run; return the run's result, partial while rows remain.

    A dry run has one step: it selects the rows and sends nothing.
    """
    body = SyncRunRequest.model_validate(request_data)
    if body.dry_run:
        return _dry_run(body, context, open_sheet, ledger)
    lang = body.lang or "ja"
    job, step = context.job, context.step
    sheet = _open_in_job(body, context, open_sheet, lang)
    earlier = job.result or {}
    options = RunOptions(limit=body.limit, wave=body.wave, update_only=body.update_only,
                         user=f"{job.owner} (job {job.id})")  # fmt: skip

    def progress(event: Progress) -> None:
        if event.rows_total:
            context.report_progress(0.05 + 0.9 * event.rows_done / event.rows_total)

    try:
        report, planning, written = run_sheet_step(
            sheet, ledger(), make_client(), options, step=step,
            run_id=earlier.get("run_id"), progress=progress,
        )  # fmt: skip
    except SyncError as error:
        raise _job_failure(error, lang) from None
    result = _run_result(report, earlier, planning if step == 1 else [], written, lang)
    if report.stop_error is not None:
        raise _job_failure(report.stop_error, lang)
    logger.info("sync job %s run %s step %d: %s", job.id, report.run_id, step, report.counts)
    return PartialResult(result) if report.more else result


def _run_result(
    report: StepReport, earlier: dict[str, Any], planning: list, written: str | None, lang: str
) -> dict[str, Any]:
    """Join this step into the result of the earlier steps; counts come from the ledger."""
    rows = {row["row_key"]: row for row in earlier.get("rows", [])}
    for row in report.rows:
        if len(rows) < MESSAGES_SHOWN and row.row_key not in rows:
            rows[row.row_key] = {"row": row.sheet_row, "row_key": row.row_key,
                                 "action": row.action}  # fmt: skip
    for key, row in rows.items():
        row["status"] = report.statuses.get(key, "selected")
    messages = list(earlier.get("messages", []))
    for finding in [*planning, *report.findings]:
        if len(messages) < MESSAGES_SHOWN:
            messages.append(finding_message(finding, lang))
    return {
        "run_id": report.run_id,
        "state": report.state,
        "steps": report.step,
        "counts": report.counts,
        "rows": list(rows.values()),
        "messages": messages,
        "written": written,
    }


def _dry_run(
    body: SyncRunRequest, context: JobContext, open_sheet: SheetOpener, ledger: Callable[[], Ledger]
) -> dict[str, Any]:
    lang = body.lang or "ja"
    sheet = _open_in_job(body, context, open_sheet, lang)
    options = RunOptions(limit=body.limit, wave=body.wave, update_only=body.update_only,
                         dry_run=True, user=f"{context.job.owner} (job {context.job.id})")  # fmt: skip
    try:
        report, written = run_sheet(sheet, ledger(), None, options)
    except SyncError as error:
        raise _job_failure(error, lang) from None
    return {
        "run_id": report.run_id,
        "state": report.state,
        "counts": report.counts,
        "rows": [
            {
                "row": row.sheet_row,
                "row_key": row.row_key,
                "action": row.action,
                "status": "selected",
            }
            for row in report.selected[:MESSAGES_SHOWN]
        ],  # fmt: skip
        "messages": [finding_message(f, lang) for f in report.findings[:MESSAGES_SHOWN]],
        "written": written,
    }


def verify_job(
    request_data: dict[str, Any],
    context: JobContext,
    *,
    open_sheet: SheetOpener,
    ledger: Callable[[], Ledger],
) -> dict[str, Any]:
    """Compare the synced records with the tab; return the count checked and every difference."""
    body = SyncVerifyRequest.model_validate(request_data)
    lang = body.lang or "ja"
    sheet = _open_in_job(body, context, open_sheet, lang)
    try:
        checked, mismatches = verify_sheet(sheet, ledger(), make_client())
    except SyncError as error:
        raise _job_failure(error, lang) from None
    return {
        "checked": checked,
        "mismatches": [
            {
                "row": item.row,
                "row_key": item.row_key,
                "object": item.object,
                "property": item.property,
                "sheet_value": item.sheet_value,
                "hubspot_value": item.hubspot_value,
            }
            for item in mismatches
        ],  # fmt: skip
    }


# -- helpers ----------------------------------------------------------------------


def _spreadsheet_id(body: SheetRequest) -> str:
    try:
        source = parse_google_source(body.spreadsheet)
    except (OSError, ValueError):
        source = None
    if source is None:
        raise ApiProblem("source-not-supported", source=body.spreadsheet[:200])
    check_spreadsheet_access(current_identity(), source.spreadsheet_id, service_state().settings)
    return source.spreadsheet_id


def _open_in_request(body: SheetRequest, lang: str) -> SheetSync:
    spreadsheet_id = _spreadsheet_id(body)
    design = _design(body, lang)
    adapter = sync_context().opener(
        spreadsheet_id,
        sheet=body.sheet,
        gid=body.gid,
        access_token=current_identity().access_token,
        user=current_identity().email,
    )
    return read_sheet(adapter, design, spreadsheet_id, as_of=body.as_of, lang=lang)


def _open_in_job(
    body: SheetRequest, context: JobContext, open_sheet: SheetOpener, lang: str
) -> SheetSync:
    spreadsheet_id = context.job.spreadsheet_id or body.spreadsheet
    design = design_from_request(body.design_yaml, lang)
    adapter = open_sheet(
        spreadsheet_id,
        sheet=body.sheet,
        gid=body.gid,
        access_token=context.access_token,
        user=context.job.owner,
    )
    if context.step == 1:  # a later step keeps the progress its predecessors reached
        context.report_progress(0.05)
    return read_sheet(adapter, design, spreadsheet_id, as_of=body.as_of, lang=lang)


def _design(body: SheetRequest, lang: str):  # noqa: ANN202 - a Design
    try:
        return design_from_request(body.design_yaml, lang)
    except JobFailure as failure:
        raise ApiProblem(failure.code, **failure.params) from None


def _api_problem(error: SyncError, lang: str) -> ApiProblem:
    code, _ = sync_problem(error)
    return ApiProblem(code, message="\n".join(sync_error_lines(error, lang)))


def _job_failure(error: SyncError, lang: str) -> JobFailure:
    code, _ = sync_problem(error)
    return JobFailure(code, message="\n".join(sync_error_lines(error, lang)))
