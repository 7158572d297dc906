"""``POST /tasks/run-job``: Cloud Tasks delivers one job run here.

Only requests carrying Cloud Tasks' ``X-CloudTasks-QueueName`` (of the
configured queue) and ``X-CloudTasks-TaskName`` headers are accepted. App
Engine removes ``X-CloudTasks-*`` headers from requests that come from
outside Google, so on App Engine their presence proves that the queue sent
the request. Elsewhere these headers prove nothing: deploy with the thread
backend there, or put the endpoint behind an authenticating proxy.

A delivery is idempotent: a job that is done, failed or running is left alone.
"""

from __future__ import annotations

from flask import Blueprint, request

from bridge.auth import ACCESS_TOKEN_HEADER
from bridge.web.api import documented, json_response, parse_body, service_state
from bridge.web.problems import ApiProblem
from bridge.web.schemas import TaskOutcome, TaskRequest

blueprint = Blueprint("tasks", __name__, url_prefix="/tasks")

QUEUE_HEADER = "X-CloudTasks-QueueName"
TASK_HEADER = "X-CloudTasks-TaskName"


@blueprint.post("/run-job")
@documented(
    "Run a job (called by Cloud Tasks only)",
    tag="tasks",
    request=TaskRequest,
    responses={200: (TaskOutcome, "The job after this delivery")},
    problems=(403, 404, 413, 415, 422),
    authenticated=False,
)
def run_job():
    state = service_state()
    queue = state.settings.tasks_queue
    if request.headers.get(QUEUE_HEADER) != queue or not request.headers.get(TASK_HEADER):
        raise ApiProblem("task-headers-missing", queue=queue)
    body = parse_body(TaskRequest)

    job, ran = state.runner.run(body.job_id, request.headers.get(ACCESS_TOKEN_HEADER))
    if job is None:
        raise ApiProblem("job-not-found", job_id=body.job_id)
    return json_response(TaskOutcome(job_id=job.id, state=job.state, ran=ran))  # type: ignore[arg-type]
