"""``GET /api/v1/jobs/{job_id}``: a job's state, progress and result."""

from __future__ import annotations

from flask import Blueprint

from bridge.jobs import Job
from bridge.web.api import current_identity, documented, json_response, service_state
from bridge.web.problems import ApiProblem
from bridge.web.schemas import JobStatus, LangQuery

blueprint = Blueprint("jobs", __name__)


def job_status(job: Job) -> JobStatus:
    return JobStatus(
        job_id=job.id,
        kind=job.kind,
        state=job.state,  # type: ignore[arg-type]
        progress=job.progress,
        pause_reason=job.pause_reason,
        spreadsheet_id=job.spreadsheet_id,
        created_at=job.created_at,
        updated_at=job.updated_at,
        result=job.result,  # type: ignore[arg-type]
        error=job.error,  # type: ignore[arg-type]
    )


@blueprint.get("/jobs/<job_id>")
@documented(
    "Get a job's state, progress and result",
    tag="jobs",
    query=LangQuery,
    responses={200: (JobStatus, "The job")},
    problems=(401, 403, 404),
    description=(
        "A paused job (`pause_reason` token_expired) is queued again when this request "
        "carries a fresh `X-Goog-OAuth-Token`. Only the user who started a job can see it."
    ),
)
def get_job(job_id: str):
    identity = current_identity()
    jobs = service_state().jobs
    job = jobs.get_for(job_id, identity.email)
    if job is None:
        raise ApiProblem("job-not-found", job_id=job_id[:64])
    job = jobs.resume(job, identity.access_token)
    return json_response(job_status(job))
