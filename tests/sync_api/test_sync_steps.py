"""Sync run jobs in steps of one batch: Cloud Tasks continuation, repeats, crashes, thread loop."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import sqlalchemy as sa
from google.auth.credentials import AnonymousCredentials

from bridge.app import create_app
from sync.db import engine_from_env
from sync.ledger import Ledger
from sync.ledger_tables import BATCH_CONFIRMED, RUN_FINISHED, RUN_STOPPED
from sync.runner import MAX_ROWS_PER_BATCH
from tests.fakes.hubspot import TOKEN
from tests.service.conftest import ACCESS_TOKEN, SHEET_ID, wait_for_job
from tests.sync_api.fake_tasks import LOCATION, PROJECT, QUEUE, deliver, serve_queue
from tests.sync_runs.helpers import DESIGN_PATH, deal_frame
from tests.sync_runs.test_sync_cli import add_test_owners

ROW_COUNT = 350
LEDGER_SHEET_ID = f"gsheet:{SHEET_ID}#{SHEET_ID}"  # a CSV's tab is named after the file


class SimulatedCrash(BaseException):
    """Stands for the worker process dying: no handler of the app catches it."""


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def deal_sheet(tmp_path, sheets, hubspot_env, database):
    """350 clean deals as the spreadsheet SHEET_ID."""
    add_test_owners(hubspot_env)
    frame = deal_frame(ROW_COUNT)
    source = tmp_path / "source.csv"
    frame.to_csv(source, index=False)
    sheets.add(SHEET_ID, source)
    return frame


@pytest.fixture
def queue():
    with serve_queue() as server:
        yield server


@pytest.fixture
def tasks_client(settings, sheets, queue, database):
    app = create_app(
        {
            **settings,
            "job_backend": "cloudtasks",
            "project": PROJECT,
            "tasks_location": LOCATION,
            "tasks_queue": QUEUE,
            "tasks_url": queue.url,
            "database_url": database,
            "TESTING": True,
            "SHEET_OPENER": sheets,
            "TASKS_CREDENTIALS": AnonymousCredentials,
        }
    )
    return app.test_client()


def run_body(**fields):
    return {"spreadsheet": SHEET_ID, "design_yaml": DESIGN_PATH.read_text("utf-8"),
            "as_of": "2024-01-15", "limit": ROW_COUNT, **fields}  # fmt: skip


def start_run(client, headers, **fields) -> str:
    response = client.post("/api/v1/sync/runs", json=run_body(**fields), headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["job_id"]


def deliver_all(client, queue, start: int = 0) -> int:
    """Deliver each task once, in order, including those created meanwhile; return the next index."""
    index = start
    while index < len(queue.tasks):
        response = deliver(client, queue.tasks[index])
        assert response.status_code == 200, response.get_json()
        index += 1
    return index


def deals_by_key(fake) -> Counter:
    return Counter(
        record["properties"]["bridge_row_key"] for record in fake.records["deals"].values()
    )


def deal_writes(fake) -> int:
    return len(fake.calls("POST", "/deals/batch/upsert"))


def expected_batch_sizes(count: int) -> list[int]:
    full, rest = divmod(count, MAX_ROWS_PER_BATCH)
    return [MAX_ROWS_PER_BATCH] * full + ([rest] if rest else [])


def ledger(database) -> Ledger:
    return Ledger(engine_from_env(database))


def get_job(client, headers, job_id) -> dict:
    response = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def test_run_becomes_one_task_per_batch(tasks_client, queue, headers, deal_sheet, hubspot_env,
                                        database):  # fmt: skip
    job_id = start_run(tasks_client, headers)
    deliver_all(tasks_client, queue)

    sizes = expected_batch_sizes(len(deal_sheet))
    assert len(queue.tasks) == len(sizes) == 4
    assert [task["body"] for task in queue.tasks] == [
        {"job_id": job_id, "step": step} for step in range(1, len(sizes) + 1)
    ]
    assert all(task["headers"]["X-Goog-OAuth-Token"] == ACCESS_TOKEN for task in queue.tasks)
    runs = ledger(database).runs(LEDGER_SHEET_ID)
    assert len(runs) == 1
    assert runs[0].state == RUN_FINISHED
    batches = ledger(database).batches(runs[0].id)
    assert [len(batch.row_keys) for batch in batches] == sizes
    assert all(batch.state == BATCH_CONFIRMED for batch in batches)

    sent = deals_by_key(hubspot_env)
    assert set(sent) == set(deal_sheet["案件ID"])
    assert set(sent.values()) == {1}
    job = get_job(tasks_client, headers, job_id)
    assert job["state"] == "done", job
    assert job["progress"] == 1.0
    assert job["result"]["counts"]["created"] == len(deal_sheet)
    assert job["result"]["counts"]["synced"] == len(deal_sheet)
    assert job["result"]["counts"]["batches"] == len(sizes)
    assert job["result"]["steps"] == len(sizes)


def test_progress_and_result_between_steps(tasks_client, queue, headers, deal_sheet):
    job_id = start_run(tasks_client, headers)
    deliver(tasks_client, queue.tasks[0])

    job = get_job(tasks_client, headers, job_id)
    assert job["state"] == "queued"
    assert 0 < job["progress"] < 1
    assert job["result"]["counts"]["created"] == MAX_ROWS_PER_BATCH
    assert job["result"]["counts"]["pending"] == len(deal_sheet) - MAX_ROWS_PER_BATCH
    assert len(queue.tasks) == 2
    assert queue.tasks[1]["name"].endswith(f"/tasks/{job_id}-step-2")
    busy = tasks_client.post("/api/v1/sync/runs", json=run_body(limit=5), headers=headers)
    assert busy.status_code == 409


def test_repeated_deliveries_change_nothing(tasks_client, queue, headers, deal_sheet,
                                            hubspot_env):  # fmt: skip
    job_id = start_run(tasks_client, headers)
    deliver(tasks_client, queue.tasks[0])
    deliver(tasks_client, queue.tasks[1])
    writes = deal_writes(hubspot_env)

    # Step 1 again while the job waits for step 3: nothing is sent, no task is added.
    repeat = deliver(tasks_client, queue.tasks[0])
    assert repeat.status_code == 200
    assert repeat.get_json()["ran"] is False
    assert deal_writes(hubspot_env) == writes
    assert len(queue.tasks) == 3
    assert queue.rejected_names == [queue.tasks[2]["name"]]

    deliver_all(tasks_client, queue, start=2)
    finished = get_job(tasks_client, headers, job_id)
    writes = deal_writes(hubspot_env)
    for task in list(queue.tasks):
        again = deliver(tasks_client, task)
        assert again.status_code == 200
        assert again.get_json() == {"job_id": job_id, "state": "done", "ran": False}

    assert deal_writes(hubspot_env) == writes
    assert len(queue.tasks) == 4
    assert get_job(tasks_client, headers, job_id)["result"] == finished["result"]
    sent = deals_by_key(hubspot_env)
    assert set(sent) == set(deal_sheet["案件ID"])
    assert set(sent.values()) == {1}


def test_crashed_step_is_sent_again(tasks_client, queue, headers, deal_sheet, hubspot_env,
                                    database, monkeypatch):  # fmt: skip
    job_id = start_run(tasks_client, headers)
    deliver(tasks_client, queue.tasks[0])
    confirm = Ledger.confirm_batch
    crashes = []

    def crash_once(self, *args, **kwargs):
        if not crashes:
            crashes.append(args)
            raise SimulatedCrash
        return confirm(self, *args, **kwargs)

    monkeypatch.setattr(Ledger, "confirm_batch", crash_once)
    with pytest.raises(SimulatedCrash):
        deliver(tasks_client, queue.tasks[1])
    assert get_job(tasks_client, headers, job_id)["state"] == "running"
    # The deals of batch 2 reached HubSpot, but the ledger never confirmed them.
    assert len(hubspot_env.records["deals"]) == 2 * MAX_ROWS_PER_BATCH
    assert len(queue.tasks) == 2

    # Cloud Tasks retries the task; the job's lease has run out by then.
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE jobs SET updated_at = :old WHERE id = :id"),
            {"old": dt.datetime(2000, 1, 1), "id": job_id},
        )
    retry = deliver(tasks_client, queue.tasks[1])
    assert retry.status_code == 200, retry.get_json()
    assert retry.get_json()["ran"] is True
    deliver_all(tasks_client, queue, start=2)

    sent = deals_by_key(hubspot_env)
    assert set(sent) == set(deal_sheet["案件ID"])
    assert set(sent.values()) == {1}
    run = ledger(database).runs(LEDGER_SHEET_ID)[0]
    batches = ledger(database).batches(run.id)
    assert [len(batch.row_keys) for batch in batches] == expected_batch_sizes(len(deal_sheet))
    job = get_job(tasks_client, headers, job_id)
    assert job["state"] == "done", job
    assert job["result"]["counts"]["created"] == len(deal_sheet)
    assert job["result"]["counts"]["synced"] == len(deal_sheet)


def test_daily_limit_stops_between_steps(tasks_client, queue, headers, deal_sheet, hubspot_env,
                                         database, caplog):  # fmt: skip
    job_id = start_run(tasks_client, headers, lang="en")
    deliver(tasks_client, queue.tasks[0])
    hubspot_env.daily_limit = True

    response = deliver(tasks_client, queue.tasks[1])

    assert response.status_code == 200
    job = get_job(tasks_client, headers, job_id)
    assert job["state"] == "failed"
    assert job["error"]["code"] == "hubspot-daily-limit"
    assert job["error"]["status"] == 429
    assert job["result"]["counts"]["created"] == MAX_ROWS_PER_BATCH
    assert len(queue.tasks) == 2
    run = ledger(database).runs(LEDGER_SHEET_ID)[0]
    assert run.state == RUN_STOPPED
    assert TOKEN not in str(job) + caplog.text
    assert ACCESS_TOKEN not in str(job) + caplog.text

    # A new run continues with the rows the stopped one left.
    hubspot_env.daily_limit = False
    start_run(tasks_client, headers)
    deliver_all(tasks_client, queue, start=2)
    sent = deals_by_key(hubspot_env)
    assert set(sent) == set(deal_sheet["案件ID"])
    assert set(sent.values()) == {1}


def test_thread_backend_runs_steps_in_a_loop(client, headers, deal_sheet, hubspot_env, database):
    job_id = start_run(client, headers)
    job = wait_for_job(client, f"/api/v1/jobs/{job_id}", headers)

    assert job["state"] == "done", job
    assert job["result"]["counts"]["created"] == len(deal_sheet)
    assert job["result"]["steps"] == len(expected_batch_sizes(len(deal_sheet)))
    sent = deals_by_key(hubspot_env)
    assert set(sent) == set(deal_sheet["案件ID"])
    assert set(sent.values()) == {1}
    runs = ledger(database).runs(LEDGER_SHEET_ID)
    assert len(runs) == 1
    batches = ledger(database).batches(runs[0].id)
    assert [len(batch.row_keys) for batch in batches] == expected_batch_sizes(len(deal_sheet))


def test_expired_token_pauses_next_step(tasks_client, queue, headers, deal_sheet, hubspot_env,
                                        database):  # fmt: skip
    job_id = start_run(tasks_client, headers)
    deliver(tasks_client, queue.tasks[0])
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE jobs SET token_expires_at = :past WHERE id = :id"),
            {"past": dt.datetime(2000, 1, 1), "id": job_id},
        )

    deliver(tasks_client, queue.tasks[1])
    with engine.connect() as connection:
        state = connection.execute(
            sa.text("SELECT state, pause_reason FROM jobs WHERE id = :id"), {"id": job_id}
        ).one()
    assert tuple(state) == ("paused", "token_expired")
    assert len(hubspot_env.records["deals"]) == MAX_ROWS_PER_BATCH
    assert len(queue.tasks) == 2
    resumed = get_job(tasks_client, headers, job_id)  # carries a fresh token, so it resumes
    assert resumed["state"] == "queued"
    assert queue.tasks[2]["body"] == {"job_id": job_id, "step": 2}

    deliver_all(tasks_client, queue, start=2)
    job = get_job(tasks_client, headers, job_id)
    assert job["state"] == "done", job
    sent = deals_by_key(hubspot_env)
    assert set(sent) == set(deal_sheet["案件ID"])
    assert set(sent.values()) == {1}


# -- HubSpot requests per run ------------------------------------------------------

PORTAL_READS = {  # path fragment -> requests of one pre-flight read (object types read)
    "/properties/": 3,
    "/property-validations/": 3,
    "/pipelines/": 1,
    "/owners": 1,
}


def portal_requests(fake) -> dict[str, int]:
    return {path: len(fake.calls("GET", path)) for path in PORTAL_READS}


def age_portal_snapshot(database, run_id: int) -> None:
    """Make the run's portal snapshot look as if it was read long ago."""
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE run_portals SET read_at = :old WHERE run_id = :id"),
            {"old": dt.datetime(2000, 1, 1), "id": run_id},
        )


def test_portal_read_once_per_run(tasks_client, queue, headers, deal_sheet, hubspot_env, database):
    start_run(tasks_client, headers)
    deliver_all(tasks_client, queue)

    assert len(queue.tasks) == 4
    assert portal_requests(hubspot_env) == PORTAL_READS
    run = ledger(database).runs(LEDGER_SHEET_ID)[0]
    assert run.state == RUN_FINISHED
    with sa.create_engine(database).connect() as connection:
        left = connection.execute(sa.text("SELECT COUNT(*) FROM run_portals")).scalar_one()
    assert left == 0  # a finished run keeps no copy of the portal's owners


def test_stale_portal_snapshot_read_again(tasks_client, queue, headers, deal_sheet, hubspot_env,
                                          database):  # fmt: skip
    start_run(tasks_client, headers)
    deliver(tasks_client, queue.tasks[0])
    run = ledger(database).runs(LEDGER_SHEET_ID)[0]
    age_portal_snapshot(database, run.id)

    deliver_all(tasks_client, queue, start=1)

    assert portal_requests(hubspot_env) == {path: 2 * count for path, count in PORTAL_READS.items()}
    assert set(deals_by_key(hubspot_env).values()) == {1}
    assert len(deals_by_key(hubspot_env)) == len(deal_sheet)


def test_portal_change_stops_before_writes(tasks_client, queue, headers, deal_sheet, hubspot_env,
                                           database):  # fmt: skip
    job_id = start_run(tasks_client, headers, lang="en")
    deliver(tasks_client, queue.tasks[0])
    run = ledger(database).runs(LEDGER_SHEET_ID)[0]
    age_portal_snapshot(database, run.id)
    hubspot_env.properties["deals"] = [
        prop for prop in hubspot_env.properties["deals"] if prop["name"] != "amount"
    ]
    writes = deal_writes(hubspot_env)

    response = deliver(tasks_client, queue.tasks[1])

    assert response.status_code == 200
    job = get_job(tasks_client, headers, job_id)
    assert job["state"] == "failed"
    assert job["error"]["code"] == "sync-preflight-failed"
    assert "amount" in str(job["error"]), job["error"]
    assert deal_writes(hubspot_env) == writes
    assert len(hubspot_env.records["deals"]) == MAX_ROWS_PER_BATCH


def association_calls(fake) -> Counter:
    """Count association calls by (from type, to type)."""
    calls = fake.calls("POST", "/batch/associate/default")
    return Counter(tuple(call.path.split("/")[-5:-3]) for call in calls)


def expected_links(fake, frame) -> set[tuple[str, str, str, str]]:
    """Return every pair the sheet asks for, with ids looked up in the fake by key, domain and email."""
    links = set()
    for row in frame.itertuples(index=False):
        deal = fake.find("deals", "bridge_row_key", row.案件ID)["id"]
        company = fake.find("companies", "domain", row.ドメイン)["id"]
        contact = fake.find("contacts", "email", row.メール)["id"]
        links |= {("deals", deal, "companies", company), ("deals", deal, "contacts", contact),
                  ("contacts", contact, "companies", company)}  # fmt: skip
    return links


def test_links_sent_once_per_type(tasks_client, queue, headers, deal_sheet, hubspot_env,
                                  database):  # fmt: skip
    job_id = start_run(tasks_client, headers)
    deliver_all(tasks_client, queue)

    calls = association_calls(hubspot_env)
    assert set(calls) == {("deals", "companies"), ("deals", "contacts"), ("contacts", "companies")}
    assert max(calls.values()) == 1
    assert hubspot_env.associations == expected_links(hubspot_env, deal_sheet)
    job = get_job(tasks_client, headers, job_id)
    assert job["state"] == "done", job
    assert job["result"]["counts"]["synced"] == len(deal_sheet)
    assert job["result"]["counts"]["pending"] == 0


def test_rows_await_links_between_steps(tasks_client, queue, headers, deal_sheet, hubspot_env,
                                        database):  # fmt: skip
    job_id = start_run(tasks_client, headers)
    deliver(tasks_client, queue.tasks[0])

    assert association_calls(hubspot_env) == Counter()
    counts = get_job(tasks_client, headers, job_id)["result"]["counts"]
    assert counts["created"] == MAX_ROWS_PER_BATCH
    assert counts["synced"] == 0
    assert counts["pending"] == len(deal_sheet) - MAX_ROWS_PER_BATCH
    states = ledger(database).row_states(LEDGER_SHEET_ID)
    assert {state.last_status for state in states.values()} == {"association_pending"}


def test_step_killed_before_link_flush(tasks_client, queue, headers, deal_sheet, hubspot_env,
                                       database, monkeypatch):  # fmt: skip
    job_id = start_run(tasks_client, headers)
    for index in range(3):
        deliver(tasks_client, queue.tasks[index])
    confirm = Ledger.confirm_associations
    crashes = []

    def crash_once(self, *args, **kwargs):
        # The links reached HubSpot, but the worker dies before recording them.
        if not crashes:
            crashes.append(args)
            raise SimulatedCrash
        return confirm(self, *args, **kwargs)

    monkeypatch.setattr(Ledger, "confirm_associations", crash_once)
    with pytest.raises(SimulatedCrash):
        deliver(tasks_client, queue.tasks[3])
    assert get_job(tasks_client, headers, job_id)["state"] == "running"
    engine = sa.create_engine(database)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE jobs SET updated_at = :old WHERE id = :id"),
            {"old": dt.datetime(2000, 1, 1), "id": job_id},
        )

    retry = deliver(tasks_client, queue.tasks[3])

    assert retry.status_code == 200, retry.get_json()
    assert hubspot_env.associations == expected_links(hubspot_env, deal_sheet)
    sent = deals_by_key(hubspot_env)
    assert set(sent) == set(deal_sheet["案件ID"])
    assert set(sent.values()) == {1}
    states = ledger(database).row_states(LEDGER_SHEET_ID)
    assert {state.last_status for state in states.values()} == {"synced"}
    job = get_job(tasks_client, headers, job_id)
    assert job["state"] == "done", job
    assert job["result"]["counts"]["synced"] == len(deal_sheet)


def test_daily_limit_leaves_links_to_next_run(tasks_client, queue, headers, deal_sheet,
                                              hubspot_env, database):  # fmt: skip
    start_run(tasks_client, headers)
    deliver(tasks_client, queue.tasks[0])
    hubspot_env.daily_limit = True
    deliver(tasks_client, queue.tasks[1])
    stopped = ledger(database).runs(LEDGER_SHEET_ID)[0]
    assert stopped.state == RUN_STOPPED
    # Batch 1 was written but has no links yet, and batch 2 was never confirmed.
    assert stopped.counts["pending"] == 2 * MAX_ROWS_PER_BATCH

    hubspot_env.daily_limit = False
    start_run(tasks_client, headers)
    deliver_all(tasks_client, queue, start=2)

    assert hubspot_env.associations == expected_links(hubspot_env, deal_sheet)
    states = ledger(database).row_states(LEDGER_SHEET_ID)
    assert {state.last_status for state in states.values()} == {"synced"}
    assert set(deals_by_key(hubspot_env).values()) == {1}
