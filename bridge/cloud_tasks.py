"""Run jobs through Cloud Tasks on App Engine: one task per job step.

Tasks are created through the Cloud Tasks REST API (v2) with an
``AuthorizedSession``; ``google-cloud-tasks`` is not needed. The task targets
this App Engine service's ``/tasks/run-job`` with the job id and step number
in the body and the user's OAuth token in the ``X-Goog-OAuth-Token`` header,
so the token is never written to the jobs table.

A job's first task, and the task that resumes a paused job, get a name from
Cloud Tasks. The task of each later step is named after the job id and the
step number, so that a delivery repeated by Cloud Tasks creates no second
task for the same step. Cloud Tasks rejects the repeated name with 409
ALREADY_EXISTS, which ``dispatch_next`` takes as success. Cloud Tasks keeps a used name for
about an hour after the task ran; a later repeat creates a task that the
job store's step check turns away.

NOTE: Cloud Tasks keeps the task, token header included, until it is
delivered (at most about one hour, the token's own lifetime).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable

import google.auth
import google.auth.credentials
from google.auth.transport.requests import AuthorizedSession

from bridge.auth import ACCESS_TOKEN_HEADER
from bridge.jobs import Job

logger = logging.getLogger(__name__)

TASK_PATH = "/tasks/run-job"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
REQUEST_TIMEOUT_SECONDS = 30


class TaskCreationError(Exception):
    """Cloud Tasks did not accept a new task."""

    def __init__(self, job_id: str, status: int | str) -> None:
        super().__init__(f"Cloud Tasks rejected the task of job {job_id} (status {status})")
        self.job_id = job_id
        self.status = status


def default_credentials() -> google.auth.credentials.Credentials:
    """Return the App Engine service account's credentials (Application Default Credentials)."""
    credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    return credentials


class CloudTasksBackend:
    """Creates an App Engine HTTP task for each job dispatch."""

    def __init__(
        self,
        *,
        project: str,
        location: str,
        queue: str,
        base_url: str,
        credentials_factory: Callable[[], google.auth.credentials.Credentials] = (
            default_credentials
        ),
    ) -> None:
        self.queue_path = f"projects/{project}/locations/{location}/queues/{queue}"
        self.base_url = base_url.rstrip("/")
        self._credentials_factory = credentials_factory
        self._session: AuthorizedSession | None = None

    @property
    def session(self) -> AuthorizedSession:
        if self._session is None:
            self._session = AuthorizedSession(self._credentials_factory())
        return self._session

    def task_name(self, job: Job, step: int) -> str:
        """Return the full Cloud Tasks name of the task that runs ``step`` of ``job``."""
        return f"{self.queue_path}/tasks/{job.id}-step-{step}"

    def task_body(self, job: Job, access_token: str | None, *, named: bool = False) -> dict:
        """Return the create request of a task for the job's next step, named when ``named``."""
        step = job.steps_done + 1
        headers = {"Content-Type": "application/json"}
        if access_token:
            headers[ACCESS_TOKEN_HEADER] = access_token
        payload = json.dumps({"job_id": job.id, "step": step}).encode()
        task: dict = {
            "appEngineHttpRequest": {
                "httpMethod": "POST",
                "relativeUri": TASK_PATH,
                "headers": headers,
                "body": base64.b64encode(payload).decode(),
            }
        }
        if named:
            task["name"] = self.task_name(job, step)
        return {"task": task}

    def dispatch(self, job: Job, access_token: str | None) -> None:
        """Create a task for the job's next step (its first, or the one a resume runs)."""
        self._create(job, self.task_body(job, access_token))

    def dispatch_next(self, job: Job, access_token: str | None) -> None:
        """Create the named task of the job's next step; a task of that name already existing is fine."""
        self._create(job, self.task_body(job, access_token, named=True))

    def _create(self, job: Job, body: dict) -> None:
        url = f"{self.base_url}/v2/{self.queue_path}/tasks"
        response = self.session.post(url, json=body, timeout=REQUEST_TIMEOUT_SECONDS)
        if response.status_code == 409 and "name" in body["task"]:
            logger.info(
                "job %s step %d: task %s exists already",
                job.id, job.steps_done + 1, body["task"]["name"],
            )  # fmt: skip
            return
        if response.status_code != 200:
            logger.error(
                "Cloud Tasks rejected job %s: status %s, body %.300s",
                job.id,
                response.status_code,
                response.text,
            )
            raise TaskCreationError(job.id, response.status_code)
        logger.info(
            "job %s step %d queued as task %s",
            job.id, job.steps_done + 1, response.json().get("name", "?"),
        )  # fmt: skip
