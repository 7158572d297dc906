"""``POST /api/v1/validations``: start a validation job for one tab."""

from __future__ import annotations

from flask import Blueprint

from bridge.web.api import documented, parse_body
from bridge.web.schemas import JobAccepted, ValidationRequest
from bridge.web.sheet_jobs import start_sheet_job

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
    return start_sheet_job("validation", parse_body(ValidationRequest))
