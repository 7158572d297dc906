"""Starting a job that reads one spreadsheet tab (validation, KPIs)."""

from __future__ import annotations

from flask import Response, url_for

from bridge.auth import check_spreadsheet_access
from bridge.cloud_tasks import TaskCreationError
from bridge.jobs import Job
from bridge.logging_setup import bind_context
from bridge.sheets.google_source import parse_google_source
from bridge.web.api import current_identity, json_response, service_state
from bridge.web.problems import ApiProblem, request_language
from bridge.web.schemas import JobAccepted, SheetRequest


def start_sheet_job(kind: str, body: SheetRequest) -> Response:
    """Check access to the spreadsheet, queue a ``kind`` job and respond 202."""
    identity = current_identity()
    state = service_state()

    try:
        source = parse_google_source(body.spreadsheet)
    except (OSError, ValueError):
        # The parser checks whether a bare id names a local file. A text too long
        # for a file name, or one with a NUL byte, is no spreadsheet id either.
        source = None
    if source is None:
        raise ApiProblem("source-not-supported", source=body.spreadsheet[:200])
    check_spreadsheet_access(identity, source.spreadsheet_id, state.settings)
    bind_context(spreadsheet_id=source.spreadsheet_id)

    request = body.model_dump(mode="json")
    request["lang"] = body.lang or request_language()
    if body.gid is None:
        request["gid"] = source.gid
    job = Job(
        kind=kind, owner=identity.email, request=request, spreadsheet_id=source.spreadsheet_id
    )
    try:
        state.jobs.start(job, identity.access_token)
    except TaskCreationError:
        raise ApiProblem("service-unavailable", service="Cloud Tasks") from None

    status_url = url_for("api.jobs.get_job", job_id=job.id)
    accepted = JobAccepted(job_id=job.id, state="queued", status_url=status_url)
    return json_response(accepted, 202, Location=status_url)
