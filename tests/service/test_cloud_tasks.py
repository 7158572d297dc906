"""Cloud Tasks backend: tasks created through a local fake, the idempotent task handler."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import sqlalchemy as sa
from google.auth.credentials import AnonymousCredentials

from bridge.app import create_app
from bridge.jobs import RUNNING_LEASE
from tests.service.conftest import ACCESS_TOKEN, SHEET_ID
from tests.service.servers import serve

PROJECT = "test-project"
LOCATION = "asia-northeast1"
QUEUE = "bridge-jobs"
TASKS_PATH = f"/v2/projects/{PROJECT}/locations/{LOCATION}/queues/{QUEUE}/tasks"


@pytest.fixture
def tasks_server():
    routes = {("POST", TASKS_PATH): (200, {}, {"name": TASKS_PATH.removeprefix("/v2/") + "/1"})}
    with serve(routes) as server:
        yield server


@pytest.fixture
def database(tmp_path):
    return f"sqlite:///{tmp_path / 'bridge.db'}"


@pytest.fixture
def tasks_app(settings, sheets, tasks_server, database):
    return create_app(
        {
            **settings,
            "job_backend": "cloudtasks",
            "project": PROJECT,
            "tasks_location": LOCATION,
            "tasks_queue": QUEUE,
            "tasks_url": tasks_server.url,
            "database_url": database,
            "TESTING": True,
            "SHEET_OPENER": sheets,
            "TASKS_CREDENTIALS": AnonymousCredentials,
        }
    )


def start_job(client, headers) -> str:
    response = client.post(
        "/api/v1/validations",
        json={"spreadsheet": SHEET_ID, "as_of": "2026-12-01"},
        headers=headers,
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()["job_id"]


def deliver(client, task: dict, *, queue: str = QUEUE, task_name: str = "task-1"):
    """Send the recorded task to the handler the way Cloud Tasks would."""
    request = task["task"]["appEngineHttpRequest"]
    headers = {**request["headers"], "X-CloudTasks-QueueName": queue}
    if task_name:
        headers["X-CloudTasks-TaskName"] = task_name
    return client.post(
        request["relativeUri"], data=base64.b64decode(request["body"]), headers=headers
    )


def test_job_creates_task(tasks_app, tasks_server, headers):
    job_id = start_job(tasks_app.test_client(), headers)
    assert len(tasks_server.requests) == 1
    task = json.loads(tasks_server.requests[0]["body"])["task"]["appEngineHttpRequest"]
    assert task["relativeUri"] == "/tasks/run-job"
    assert json.loads(base64.b64decode(task["body"])) == {"job_id": job_id, "step": 1}
    assert task["headers"]["X-Goog-OAuth-Token"] == ACCESS_TOKEN


def test_delivery_runs_job_once(tasks_app, tasks_server, headers):
    client = tasks_app.test_client()
    job_id = start_job(client, headers)
    task = json.loads(tasks_server.requests[0]["body"])

    first = deliver(client, task)
    assert first.status_code == 200
    assert first.get_json() == {"job_id": job_id, "state": "done", "ran": True}
    job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()
    assert job["state"] == "done"
    assert job["result"]["summary"]["rows_checked"] > 0

    again = deliver(client, task)
    assert again.status_code == 200
    assert again.get_json() == {"job_id": job_id, "state": "done", "ran": False}


@pytest.mark.parametrize(("queue", "task_name"), [("", "task-1"), (QUEUE, ""), ("other", "t")])
def test_handler_requires_task_headers(tasks_app, tasks_server, headers, queue, task_name):
    client = tasks_app.test_client()
    job_id = start_job(client, headers)
    task = json.loads(tasks_server.requests[0]["body"])
    response = deliver(client, task, queue=queue, task_name=task_name)
    assert response.status_code == 403
    assert response.get_json()["code"] == "task-headers-missing"
    job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()
    assert job["state"] == "queued"


def test_token_not_stored(tasks_app, tasks_server, headers, database):
    client = tasks_app.test_client()
    start_job(client, headers)
    deliver(client, json.loads(tasks_server.requests[0]["body"]))
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM jobs")).all()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0])
    assert ACCESS_TOKEN not in stored
    assert headers["Authorization"].split()[1] not in stored


def test_rejected_task_is_503(settings, sheets, database, headers):
    routes = {("POST", TASKS_PATH): (403, {}, {"error": {"code": 403}})}
    with serve(routes) as server:
        app = create_app(
            {
                **settings,
                "job_backend": "cloudtasks",
                "project": PROJECT,
                "tasks_url": server.url,
                "database_url": database,
                "TESTING": True,
                "SHEET_OPENER": sheets,
                "TASKS_CREDENTIALS": AnonymousCredentials,
            }
        )
        response = app.test_client().post(
            "/api/v1/validations", json={"spreadsheet": SHEET_ID}, headers=headers
        )
    assert response.status_code == 503
    assert response.get_json()["code"] == "service-unavailable"


def set_running(database: str, job_id: str, minutes_ago: int) -> None:
    """Leave the job as a worker that died while running it would, ``minutes_ago`` ago."""
    engine = sa.create_engine(database)
    updated = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE jobs SET state = 'running', updated_at = :at WHERE id = :id"),
            {"at": updated.replace(tzinfo=None), "id": job_id},
        )
    engine.dispose()


def test_running_step_delivery_retried(tasks_app, tasks_server, headers, database):
    client = tasks_app.test_client()
    job_id = start_job(client, headers)
    task = json.loads(tasks_server.requests[0]["body"])
    set_running(database, job_id, minutes_ago=1)

    retried = deliver(client, task)

    # 503 makes Cloud Tasks deliver the task again later instead of dropping it.
    assert retried.status_code == 503
    assert retried.get_json()["code"] == "job-step-running"
    assert job_id in retried.get_json()["detail"]


def test_dead_worker_step_taken_over(tasks_app, tasks_server, headers, database):
    client = tasks_app.test_client()
    job_id = start_job(client, headers)
    task = json.loads(tasks_server.requests[0]["body"])
    set_running(database, job_id, minutes_ago=RUNNING_LEASE.seconds // 60 + 1)

    response = deliver(client, task)

    assert response.status_code == 200
    assert response.get_json() == {"job_id": job_id, "state": "done", "ran": True}


def test_task_for_unknown_job_dropped(tasks_app, tasks_server, headers):
    client = tasks_app.test_client()
    start_job(client, headers)
    task = json.loads(tasks_server.requests[0]["body"])
    request = task["task"]["appEngineHttpRequest"]
    request["body"] = base64.b64encode(b'{"job_id": "no-such-job", "step": 1}').decode()

    response = deliver(client, task)

    # Only a 2xx status makes Cloud Tasks stop delivering a task whose job is gone.
    assert response.status_code == 200
    assert response.get_json() == {"job_id": "no-such-job", "state": None, "ran": False}
