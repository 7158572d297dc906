"""``POST /tasks/run-job``: Cloud Tasks delivers one job run here.

Only requests carrying Cloud Tasks' ``X-CloudTasks-QueueName`` (of the
configured queue) and ``X-CloudTasks-TaskName`` headers are accepted. App
Engine removes ``X-CloudTasks-*`` headers from requests that come from
outside Google, so on App Engine their presence proves that the queue sent
the request. Elsewhere these headers prove nothing: deploy with the thread
backend there, or put the endpoint behind an authenticating proxy.

A delivery is idempotent: a job that is done, failed or running is left
alone, and so is a job whose next step is not the task's step. After a step
that leaves more to do, and after any delivery that finds its job waiting for
a later step, the handler creates the named task of the job's next step;
Cloud Tasks turns a second task of the same name away.

NOTE: a job left ``running`` by a worker that died is claimable again only
after ``RUNNING_LEASE``. Cloud Tasks' retry of the dead delivery usually comes
sooner, gets 200 with ``ran`` false and is not retried again, so the job
stays ``running``. Answering such a delivery with a status that Cloud Tasks
retries would need a queue whose retries span the lease.
"""

from __future__ import annotations

from flask import Blueprint, request

from bridge.auth import ACCESS_TOKEN_HEADER
from bridge.cloud_tasks import TaskCreationError
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

    access_token = request.headers.get(ACCESS_TOKEN_HEADER)
    job, ran = state.runner.run(body.job_id, access_token, body.step)
    if job is None:
        raise ApiProblem("job-not-found", job_id=body.job_id)
    dispatch_next = getattr(state.jobs.backend, "dispatch_next", None)
    if job.state == "queued" and job.steps_done > 0 and dispatch_next is not None:
        try:
            dispatch_next(job, access_token)
        except TaskCreationError:
            # A non-2xx status makes Cloud Tasks deliver this task again, and the
            # repeat creates the missing task.
            raise ApiProblem("service-unavailable", service="Cloud Tasks") from None
    return json_response(TaskOutcome(job_id=job.id, state=job.state, ran=ran))  # type: ignore[arg-type]
