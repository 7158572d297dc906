"""``POST /tasks/run-job``: Cloud Tasks delivers one job run here.

Only requests carrying Cloud Tasks' ``X-CloudTasks-QueueName`` (of the
configured queue) and ``X-CloudTasks-TaskName`` headers are accepted. App
Engine removes ``X-CloudTasks-*`` headers from requests that come from
outside Google, so on App Engine their presence proves that the queue sent
the request. Elsewhere these headers prove nothing: deploy with the thread
backend there, or put the endpoint behind an authenticating proxy.

A delivery is idempotent: a job that is done, failed or running is left
alone, and so is a job whose next step is not the task's step. A task for a
job that no longer exists gets 200 with ``state`` null, so Cloud Tasks drops
it. After a step that leaves more to do, and after any delivery that finds
its job waiting for a later step, the handler creates the named task of the
job's next step. Cloud Tasks rejects a second task of the same name.

A delivery of the step that is running gets 503 (``job-step-running``), so
Cloud Tasks delivers it again with the queue's backoff. A worker that died
leaves its job ``running``. Once ``RUNNING_LEASE`` has passed since the job's
last update, the next delivery claims the job and runs the step again. The
queue's retry settings (docs/service.md) space the retries past the lease.
"""

from __future__ import annotations

import logging

from flask import Blueprint, request

from bridge.auth import ACCESS_TOKEN_HEADER
from bridge.cloud_tasks import TaskCreationError
from bridge.jobs import RUNNING_LEASE, Job
from bridge.web.api import documented, json_response, parse_body, service_state
from bridge.web.problems import ApiProblem
from bridge.web.schemas import TaskOutcome, TaskRequest

logger = logging.getLogger(__name__)

blueprint = Blueprint("tasks", __name__, url_prefix="/tasks")

QUEUE_HEADER = "X-CloudTasks-QueueName"
TASK_HEADER = "X-CloudTasks-TaskName"


@blueprint.post("/run-job")
@documented(
    "Run a job (called by Cloud Tasks only)",
    tag="tasks",
    request=TaskRequest,
    responses={200: (TaskOutcome, "The job after this delivery")},
    problems=(403, 413, 415, 422, 503),
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
        # 200, not 404: any other status makes Cloud Tasks deliver the task again.
        logger.warning("task for unknown job %s dropped", body.job_id)
        return json_response(TaskOutcome(job_id=body.job_id, state=None, ran=False))
    if not ran and _runs_this_step(job, body.step):
        logger.info("job %s step %s still running, delivery to be retried", job.id, body.step)
        minutes = int(RUNNING_LEASE.total_seconds() // 60)
        raise ApiProblem("job-step-running", job_id=job.id, step=body.step or job.steps_done + 1,
                         lease_minutes=minutes)  # fmt: skip
    dispatch_next = getattr(state.jobs.backend, "dispatch_next", None)
    if job.state == "queued" and job.steps_done > 0 and dispatch_next is not None:
        try:
            dispatch_next(job, access_token)
        except TaskCreationError:
            # A non-2xx status makes Cloud Tasks deliver this task again, and the
            # repeat creates the missing task.
            raise ApiProblem("service-unavailable", service="Cloud Tasks") from None
    return json_response(TaskOutcome(job_id=job.id, state=job.state, ran=ran))  # type: ignore[arg-type]


def _runs_this_step(job: Job, step: int | None) -> bool:
    """Return whether ``job`` is running the step a delivery carries (None: its next step)."""
    return job.state == "running" and (step is None or step == job.steps_done + 1)
