"""``POST /api/v1/validations``: start a validation job for one tab."""

from __future__ import annotations

from flask import Blueprint, url_for

from bridge.auth import check_spreadsheet_access
from bridge.cloud_tasks import TaskCreationError
from bridge.jobs import Job
from bridge.logging_setup import bind_context
from bridge.sheets.google_source import parse_google_source
from bridge.web.api import current_identity, documented, json_response, parse_body, service_state
from bridge.web.problems import ApiProblem, request_language
from bridge.web.schemas import JobAccepted, ValidationRequest

blueprint = Blueprint("validations", __name__)


@blueprint.post("/validations")
@documented(
    "Start validating one tab of a spreadsheet",
    tag="validation",
    request=ValidationRequest,
    responses={202: (JobAccepted, "Job started; poll `status_url`")},
    problems=(401, 403, 413, 415, 422, 503),
    description=(
        "Always answers 202 with a job: reading and writing a large sheet can take longer "
        "than the add-on's 60 s request limit. The job's result is the JSON report."
    ),
)
def start_validation():
    body = parse_body(ValidationRequest)
    identity = current_identity()
    state = service_state()

    source = parse_google_source(body.spreadsheet)
    if source is None:
        raise ApiProblem("source-not-supported", source=body.spreadsheet[:200])
    check_spreadsheet_access(identity, source.spreadsheet_id, state.settings)
    bind_context(spreadsheet_id=source.spreadsheet_id)

    request = body.model_dump(mode="json")
    request["lang"] = body.lang or request_language()
    if body.gid is None:
        request["gid"] = source.gid
    job = Job(
        kind="validation",
        owner=identity.email,
        request=request,
        spreadsheet_id=source.spreadsheet_id,
    )
    try:
        state.jobs.start(job, identity.access_token)
    except TaskCreationError:
        raise ApiProblem("service-unavailable", service="Cloud Tasks") from None

    status_url = url_for("api.jobs.get_job", job_id=job.id)
    accepted = JobAccepted(job_id=job.id, state="queued", status_url=status_url)
    return json_response(accepted, 202, Location=status_url)
