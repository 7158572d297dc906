"""Validation jobs: 202, polling, results equal to the CLI's, pause and resume."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from bridge.errors import SheetAuthError
from bridge.jobs import Job, MemoryJobStore, SqlJobStore
from tests.service.conftest import EXAMPLE_SHEET, ROOT, SHEET_ID, wait_for_job

AS_OF = "2026-12-01"
FAULTS = json.loads((ROOT / "examples" / "deals.faults.json").read_text(encoding="utf-8"))


def start(client, headers, **body):
    payload = {"spreadsheet": SHEET_ID, "as_of": AS_OF, "lang": "ja", **body}
    response = client.post("/api/v1/validations", json=payload, headers=headers)
    assert response.status_code == 202, response.get_json()
    return response


def non_blank_rows(path: Path) -> int:
    """Count data rows with at least one cell that is not blank (spaces, U+3000 included)."""
    frame = pd.read_excel(path, sheet_name=0, header=0, dtype=object)
    text = frame.map(lambda value: "" if pd.isna(value) else str(value).strip().strip("\u3000"))
    return int((text != "").any(axis=1).sum())


@pytest.fixture(scope="module")
def cli_report(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("cli")
    report = folder / "report.json"
    # A history database of its own, so that the run starts from no earlier runs.
    environ = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'history.db'}"}
    completed = subprocess.run(
        [sys.executable, "-m", "bridge", "validate", str(EXAMPLE_SHEET), "--as-of", AS_OF,
         "--lang", "ja", "--no-write", "--report", str(report)],
        cwd=ROOT, env=environ, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert report.exists(), completed.stderr
    return json.loads(report.read_text(encoding="utf-8"))


def test_validation_job_lifecycle(client, headers, sheets, cli_report):
    response = start(client, headers)
    accepted = response.get_json()
    assert accepted["status_url"] == f"/api/v1/jobs/{accepted['job_id']}"
    assert response.headers["Location"] == accepted["status_url"]

    job = wait_for_job(client, accepted["status_url"], headers)
    assert job["state"] == "done", job
    assert job["progress"] == 1.0
    assert job["spreadsheet_id"] == SHEET_ID
    result = job["result"]

    assert result["summary"]["rows_checked"] == non_blank_rows(EXAMPLE_SHEET)
    # The CLI's summary adds the history database it used; the service keeps none yet.
    cli_summary = {key: value for key, value in cli_report["summary"].items() if key != "history"}
    assert result["summary"] == cli_summary
    assert result["findings"] == cli_report["findings"]
    found = {(item["row"], item["code"]) for item in result["findings"]}
    for fault in FAULTS["faults"]:
        assert (fault["row"], fault["code"]) in found, fault


def test_jobs_record_history_with_database(client, headers, tmp_path, monkeypatch):
    database = tmp_path / "history.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    first = wait_for_job(
        client, start(client, headers, as_of="2026-11-01").get_json()["status_url"], headers
    )
    second = wait_for_job(client, start(client, headers).get_json()["status_url"], headers)
    assert first["state"] == second["state"] == "done"

    history = second["result"]["summary"]["history"]
    assert history["recorded"] == first["result"]["summary"]["history"]["recorded"] > 0
    with sa.create_engine(f"sqlite:///{database}").connect() as connection:
        days = connection.execute(sa.text("select distinct as_of from history")).scalars().all()
    assert sorted(str(day)[:10] for day in days) == ["2026-11-01", AS_OF]


def test_kpi_job_reads_history(client, headers, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'history.db'}")
    for day in ("2026-10-01", "2026-11-01"):
        wait_for_job(client, start(client, headers, as_of=day).get_json()["status_url"], headers)
    response = client.post(
        "/api/v1/kpis",
        json={"spreadsheet": SHEET_ID, "as_of": AS_OF, "lang": "ja", "write": False},
        headers=headers,
    )
    job = wait_for_job(client, response.get_json()["status_url"], headers)
    history = job["result"]["history"]
    assert [point["as_of"] for point in history["score_trends"][0]["scores"]] == [
        "2026-10-01",
        "2026-11-01",
        AS_OF,
    ]
    assert history["grade_movement"]["end"] == AS_OF


def test_jobs_without_database_record_nothing(client, headers, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    job = wait_for_job(client, start(client, headers).get_json()["status_url"], headers)
    assert "history" not in job["result"]["summary"]


def test_job_writes_result_columns(client, headers, sheets):
    job = wait_for_job(client, start(client, headers).get_json()["status_url"], headers)
    output = sheets.output(SHEET_ID)
    assert job["result"]["written"] == str(output)
    workbook = openpyxl.load_workbook(output, read_only=True)
    header = [cell for cell in next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True))]
    source = openpyxl.load_workbook(EXAMPLE_SHEET, read_only=True)
    source_header = next(source.worksheets[0].iter_rows(max_row=1, values_only=True))
    assert len(header) > len(source_header)


def test_job_uses_users_token(client, headers, sheets):
    wait_for_job(client, start(client, headers).get_json()["status_url"], headers)
    assert sheets.opened[0]["token"] == headers["X-Goog-OAuth-Token"]
    assert sheets.opened[0]["user"] == "tanaka@example.co.jp"


def test_english_findings(client, headers):
    job = wait_for_job(client, start(client, headers, lang="en").get_json()["status_url"], headers)
    messages = [item["message"] for item in job["result"]["findings"]]
    assert any("is not a date" in message for message in messages)


def test_other_users_job_is_404(client, headers, signing_key):
    status_url = start(client, headers).get_json()["status_url"]
    other = {"Authorization": f"Bearer {signing_key.sign(email='suzuki@example.co.jp')}"}
    response = client.get(status_url, headers=other)
    assert response.status_code == 404
    assert response.get_json()["code"] == "job-not-found"


def test_unknown_spreadsheet_fails_job(client, headers):
    body = {"spreadsheet": "1UnknownSheetAbcdefghijklmnopqrstuvwxyz"}
    job = wait_for_job(client, start(client, headers, **body).get_json()["status_url"], headers)
    assert job["state"] == "failed"
    assert job["error"]["code"] == "sheet-not-found"
    assert job["error"]["type"] == "https://bridge.example/problems/sheet-not-found"
    # The same fields as a request's problem: the job stands for the request.
    assert job["error"]["instance"] == f"/api/v1/jobs/{job['job_id']}"
    assert job["error"]["request_id"] == job["job_id"]
    assert not job["error"]["detail"].startswith("エラー: ")


def test_expired_user_token_pauses_and_resumes(client, headers, sheets):
    sheets.fail_next.append(SheetAuthError(SHEET_ID))
    status_url = start(client, headers).get_json()["status_url"]
    paused = wait_for_job(client, status_url, {"Authorization": headers["Authorization"]})
    assert paused["state"] == "paused"
    assert paused["pause_reason"] == "token_expired"

    fresh = {**headers, "X-Goog-OAuth-Token": "ya29.fresh-token-0002"}
    resumed = client.get(status_url, headers=fresh).get_json()
    assert resumed["state"] in ("queued", "running", "done")
    done = wait_for_job(client, status_url, fresh)
    assert done["state"] == "done"
    assert sheets.opened[-1]["token"] == "ya29.fresh-token-0002"


def test_token_older_than_lifetime_pauses(settings, sheets, headers):
    from bridge.app import create_app

    app = create_app(
        {**settings, "token_lifetime_seconds": 0, "TESTING": True, "SHEET_OPENER": sheets}
    )
    client = app.test_client()
    status_url = start(client, headers).get_json()["status_url"]
    job = wait_for_job(client, status_url, {"Authorization": headers["Authorization"]})
    assert job["state"] == "paused"
    assert sheets.opened == []


@pytest.mark.parametrize("store_kind", ["memory", "sqlite"])
def test_claim_runs_once(store_kind, tmp_path):
    store = (
        MemoryJobStore()
        if store_kind == "memory"
        else SqlJobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    )
    job = Job(kind="validation", owner="a@example.co.jp", request={"spreadsheet": "x"})
    store.create(job)
    assert store.claim(job.id) is not None
    assert store.claim(job.id) is None
    store.update(job.id, state="done", result={"summary": {}})
    assert store.claim(job.id) is None
    assert store.get(job.id).result == {"summary": {}}


def test_sql_store_reclaims_abandoned_run(tmp_path):
    store = SqlJobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    job = Job(kind="validation", owner="a@example.co.jp", request={})
    store.create(job)
    store.claim(job.id)
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with store.engine.begin() as connection:
        from bridge.jobs import jobs_table

        connection.execute(jobs_table.update().values(updated_at=stale))
    claimed = store.claim(job.id)
    assert claimed is not None
    assert claimed.attempts == 2


def test_kpi_job_matches_cli(client, headers, sheets, tmp_path, cli_report):
    response = client.post(
        "/api/v1/kpis",
        json={"spreadsheet": SHEET_ID, "as_of": AS_OF, "lang": "ja", "write": False},
        headers=headers,
    )
    assert response.status_code == 202, response.get_json()
    job = wait_for_job(client, response.get_json()["status_url"], headers)
    assert job["state"] == "done", job

    kpi_json = tmp_path / "kpi.json"
    environ = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'history.db'}"}
    subprocess.run(
        [sys.executable, "-m", "bridge", "kpi", str(EXAMPLE_SHEET), "--as-of", AS_OF,
         "--lang", "ja", "--no-write", "--json", str(kpi_json)],
        cwd=ROOT, env=environ, capture_output=True, check=False,
    )  # fmt: skip
    expected = json.loads(kpi_json.read_text(encoding="utf-8"))
    # Both start from an empty history: the CLI's own database, none for the service.
    assert expected["history"] is None
    result = {key: value for key, value in job["result"].items() if key != "written"}
    assert result == expected
    todo_rows = {item["row"] for item in result["todo"]}
    error_rows = {
        item["row"]
        for item in cli_report["findings"]
        if item["severity"] == "error" and item["row"]
    }
    assert error_rows <= todo_rows


@pytest.mark.postgres
def test_postgres_store_claims_once():
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    try:
        engine.connect().close()
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL server at 127.0.0.1:5432")
    store = SqlJobStore(engine)
    job = Job(kind="validation", owner="a@example.co.jp", request={"lang": "ja"})
    store.create(job)
    claimed = store.claim(job.id)
    assert claimed is not None
    assert claimed.state == "running"
    assert claimed.created_at.tzinfo is not None
    assert store.claim(job.id) is None
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM jobs WHERE id = :id"), {"id": job.id})
