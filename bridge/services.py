"""What the HTTP API does, apart from HTTP: run a validation, check a design.

Views parse the request and call one function here. Job handlers run in a
worker thread or a Cloud Tasks request. They open their sheet through a
``SheetOpener``, so tests can give them local files.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from typing import Any, Protocol

from bridge.history_service import (
    DATABASE_URL_VARIABLE,
    RunHistory,
    open_run_history,
)
from bridge.jobs import JobContext, JobFailure, JobHandler
from bridge.kpi_service import (
    add_history_rows,
    add_kpi_tabs,
    history_for_kpis,
    parse_period,
    report_json,
)
from bridge.messages import design_problem_message
from bridge.sheets.google import GoogleSheet
from bridge.sheets.google_auth import service_account_credentials, user_credentials
from bridge.sources import SheetAdapter
from bridge.validation import build_writeback, load_design, report_dict, today_in
from bridge.web.schemas import (
    DesignCheckResponse,
    DesignProblemItem,
    KpiRequest,
    ValidationRequest,
)
from validators.design import Design
from validators.design_file import DesignError, load_design_text
from validators.engine import ValidationResult, validate
from validators.kpi.report import compute_kpis as compute_report
from validators.table import SheetTable

logger = logging.getLogger(__name__)

INLINE_DESIGN_SOURCE = "design"  # how messages name a design sent in the request body


class SheetOpener(Protocol):
    def __call__(
        self,
        spreadsheet_id: str,
        *,
        sheet: str | None,
        gid: int | None,
        access_token: str | None,
        user: str,
    ) -> SheetAdapter: ...


def open_google_sheet(
    spreadsheet_id: str,
    *,
    sheet: str | None,
    gid: int | None,
    access_token: str | None,
    user: str,
    allowed_sheets: tuple[str, ...] = (),
) -> SheetAdapter:
    """Open a Google spreadsheet as the user (OAuth token) or as the service account."""
    if access_token:
        credentials = user_credentials(access_token, user)
    else:
        credentials = service_account_credentials(spreadsheet_id, allowed_sheets)
    return GoogleSheet(spreadsheet_id, gid=gid, sheet=sheet, credentials=credentials)


def design_from_request(design_yaml: str | None, lang: str) -> Design:
    """Return the design sent as YAML, else the bundled example design."""
    if not design_yaml:
        return load_design(None)[0]
    try:
        return load_design_text(design_yaml, INLINE_DESIGN_SOURCE)
    except DesignError as error:
        raise JobFailure(
            "design-invalid",
            count=len(error.problems),
            first=design_problem_message(error.problems[0], lang, INLINE_DESIGN_SOURCE),
        ) from None


def run_validation(
    request: dict[str, Any],
    context: JobContext,
    *,
    open_sheet: SheetOpener,
    max_rows: int,
) -> dict[str, Any]:
    """Validate one tab and write its managed columns; return the JSON report."""
    body = ValidationRequest.model_validate(request)
    lang = body.lang or "ja"
    design = design_from_request(body.design_yaml, lang)
    adapter, table = _read_sheet(body, design, context, open_sheet, max_rows)

    result, history = _validate_with_history(body, design, table, context)
    if history is not None:
        result.summary["history"] = history.record(result)
    context.report_progress(0.7)

    written = adapter.write(table, build_writeback(result, lang)) if body.write else None
    report = report_dict(result, lang)
    report["written"] = written
    logger.info("validated sheet %s: %d findings", table.title, len(report["findings"]))
    # Dates and numpy numbers in the summary become plain JSON values.
    return json.loads(json.dumps(report, ensure_ascii=False, default=str))


def _read_sheet(
    body: ValidationRequest | KpiRequest,
    design: Design,
    context: JobContext,
    open_sheet: SheetOpener,
    max_rows: int,
) -> tuple[SheetAdapter, SheetTable]:
    """Open the requested tab as the job's user and read it, within the row limit."""
    adapter = open_sheet(
        context.job.spreadsheet_id or body.spreadsheet,
        sheet=body.sheet,
        gid=body.gid,
        access_token=context.access_token,
        user=context.job.owner,
    )
    table = adapter.read(design)
    if table.row_count > max_rows:
        raise JobFailure("too-many-rows", sheet=table.title, rows=table.row_count, limit=max_rows)
    context.report_progress(0.3)
    return adapter, table


def _validate_with_history(
    body: ValidationRequest | KpiRequest, design: Design, table: SheetTable, context: JobContext
) -> tuple[ValidationResult, RunHistory | None]:
    """Validate the tab, taking earlier runs into account when a history database is set."""
    day = body.as_of or today_in(table.time_zone)
    history = _open_history(context.job.spreadsheet_id or body.spreadsheet, body, table.title)
    previous = history.previous(day, design) if history else None
    return validate(table, design, day, previous=previous), history


def _open_history(
    spreadsheet: str, body: ValidationRequest | KpiRequest, title: str
) -> RunHistory | None:
    """Open the run history when ``DATABASE_URL`` names the shared database.

    Without it there is no database every instance shares (App Engine's disk
    is not kept), so runs started here record nothing.
    """
    if not os.environ.get(DATABASE_URL_VARIABLE):
        return None
    source = spreadsheet
    if body.gid is not None:
        source = f"https://docs.google.com/spreadsheets/d/{spreadsheet}/edit#gid={body.gid}"
    elif not spreadsheet.startswith(("https://", "gsheet:")):
        source = f"gsheet:{spreadsheet}#{title}"
    return open_run_history(source, None)


def run_kpis(
    request: dict[str, Any],
    context: JobContext,
    *,
    open_sheet: SheetOpener,
    max_rows: int,
) -> dict[str, Any]:
    """Validate one tab, compute its KPIs and to-do list, and write the KPI and to-do tabs."""
    body = KpiRequest.model_validate(request)
    lang = body.lang or "ja"
    design = design_from_request(body.design_yaml, lang)
    adapter, table = _read_sheet(body, design, context, open_sheet, max_rows)

    # KPIs read the history (grade movement, score trends) but record nothing:
    # only a validation adds to it.
    result, history = _validate_with_history(body, design, table, context)
    # NOTE: only lookups whose values are in the design are used; the service
    # never reads a file that a request's design names.
    lookups = {lookup.name: dict(lookup.values) for lookup in design.kpi.lookups if lookup.values}
    period = parse_period(body.period)
    report = compute_report(result, period, lookups)
    history_data = history_for_kpis(history, result, period)
    context.report_progress(0.7)

    data = report_json(report, result, lang)
    data["history"] = history_data
    data["written"] = None
    if body.write:
        writeback = add_kpi_tabs(build_writeback(result, lang), report, result, lang)
        add_history_rows(writeback, history_data, lang)
        data["written"] = adapter.write(table, writeback)
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def check_design(design_yaml: str, lang: str) -> DesignCheckResponse:
    """Load a design from YAML and return every problem, or its size when it is valid."""
    try:
        design = load_design_text(design_yaml, INLINE_DESIGN_SOURCE)
    except DesignError as error:
        problems = [
            DesignProblemItem(
                key=problem.key,
                line=problem.line,
                code=problem.code,
                message=design_problem_message(problem, lang, INLINE_DESIGN_SOURCE),
            )
            for problem in error.problems
        ]
        return DesignCheckResponse(valid=False, problems=problems)
    return DesignCheckResponse(
        valid=True,
        problems=[],
        pipelines=len(design.pipelines),
        stages=sum(len(pipeline.stages) for pipeline in design.pipelines),
        properties=len(design.properties),
    )


def job_handlers(open_sheet: SheetOpener, max_rows: int) -> dict[str, JobHandler]:
    """Return the handler of each job kind, bound to a sheet opener and a row limit."""
    return {
        "validation": functools.partial(run_validation, open_sheet=open_sheet, max_rows=max_rows),
        "kpi": functools.partial(run_kpis, open_sheet=open_sheet, max_rows=max_rows),
    }
