"""The sync endpoints against the fake HubSpot, with a local CSV standing in for the sheet."""

from __future__ import annotations

import pytest

from sync.db import engine_from_env
from sync.ledger import Ledger
from tests.fakes.hubspot import TOKEN
from tests.service.conftest import ACCESS_TOKEN, SHEET_ID, wait_for_job
from tests.sync_runs.helpers import DESIGN_PATH, deal_frame
from tests.sync_runs.test_sync_cli import add_test_owners

LEDGER_SHEET_ID = f"gsheet:{SHEET_ID}#{SHEET_ID}"  # a CSV's tab is named after the file


@pytest.fixture
def deal_sheet(tmp_path, sheets, hubspot_env, monkeypatch):
    """Twelve deals as the spreadsheet SHEET_ID, the ledger in a new SQLite file."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    add_test_owners(hubspot_env)
    frame = deal_frame(12)
    frame.loc[11, "担当者"] = "田中"
    source = tmp_path / "source.csv"
    frame.to_csv(source, index=False)
    sheets.add(SHEET_ID, source)
    return frame


def body(**fields):
    return {"spreadsheet": SHEET_ID, "design_yaml": DESIGN_PATH.read_text("utf-8"),
            "as_of": "2024-01-15", **fields}  # fmt: skip


def test_plan_lists_rows(client, headers, deal_sheet):
    response = client.post("/api/v1/sync/plan", json=body(lang="en"), headers=headers)

    assert response.status_code == 200, response.get_json()
    plan = response.get_json()
    assert plan["totals"]["deal"] == {"create": 11, "update": 0, "unchanged": 0, "blocked": 1}
    assert plan["rows"][11]["blocking_codes"] == ["unknown_owner"]
    assert any('"田中" matches no HubSpot user' in text for text in plan["messages"])


def test_run_job_syncs_and_reports(client, headers, deal_sheet, hubspot_env):
    response = client.post("/api/v1/sync/runs", json=body(limit=8), headers=headers)

    assert response.status_code == 202, response.get_json()
    job = wait_for_job(client, response.get_json()["status_url"], headers)
    assert job["state"] == "done", job
    assert job["progress"] == 1.0
    assert job["result"]["counts"]["created"] == 8
    sent = {
        record["properties"]["bridge_row_key"] for record in hubspot_env.records["deals"].values()
    }
    assert sent == set(deal_sheet["案件ID"][:8])

    status = client.post("/api/v1/sync/status", json=body(), headers=headers)
    counts = status.get_json()
    assert counts["synced"] == 8
    # Status works offline, so the row with an unknown owner counts as pending.
    assert counts["pending"] == 4
    assert counts["blocked"] == 0
    assert counts["active_run"] is None
    by_query = client.get(f"/api/v1/sync/status?spreadsheet={SHEET_ID}", headers=headers)
    assert by_query.status_code == 200, by_query.get_json()
    assert by_query.get_json()["sheet"] == SHEET_ID


def test_second_run_gets_409(client, headers, deal_sheet, tmp_path, hubspot_env):
    ledger = Ledger(engine_from_env(f"sqlite:///{tmp_path / 'ledger.db'}"))
    ledger.start_run(LEDGER_SHEET_ID, user="other@example.jp")

    response = client.post("/api/v1/sync/runs", json=body(limit=5, lang="en"), headers=headers)

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "sync-run-in-progress"
    assert "run 1" in problem["detail"]
    assert hubspot_env.records.get("deals", {}) == {}


def test_daily_limit_fails_job_clearly(client, headers, deal_sheet, hubspot_env, caplog):
    hubspot_env.daily_limit = True

    response = client.post("/api/v1/sync/runs", json=body(limit=5, lang="ja"), headers=headers)
    job = wait_for_job(client, response.get_json()["status_url"], headers)

    assert job["state"] == "failed"
    assert job["error"]["code"] == "hubspot-daily-limit"
    assert job["error"]["status"] == 429
    assert "1 日" in job["error"]["detail"] or "日次" in job["error"]["detail"]
    assert TOKEN not in str(job) + caplog.text
    assert ACCESS_TOKEN not in str(job)


def test_verify_job_finds_differences(client, headers, deal_sheet, hubspot_env):
    run = client.post("/api/v1/sync/runs", json=body(limit=3), headers=headers)
    assert wait_for_job(client, run.get_json()["status_url"], headers)["state"] == "done"
    contact = hubspot_env.find("contacts", "email", "contact1@company1.example.jp")
    contact["properties"]["firstname"] = "変更"

    response = client.post("/api/v1/sync/verify", json=body(), headers=headers)
    job = wait_for_job(client, response.get_json()["status_url"], headers)

    assert job["state"] == "done", job
    assert job["result"]["checked"] == 3
    assert job["result"]["mismatches"] == [
        {"row": 3, "row_key": "D00001", "object": "contact", "property": "firstname",
         "sheet_value": deal_sheet.loc[1, "先方担当者"], "hubspot_value": "変更"}
    ]  # fmt: skip


def test_sync_routes_need_sign_in(client, deal_sheet):
    for method, path in [("post", "/api/v1/sync/plan"), ("post", "/api/v1/sync/runs"),
                         ("get", "/api/v1/sync/status"), ("post", "/api/v1/sync/verify")]:  # fmt: skip
        response = getattr(client, method)(path, json=body(limit=1))
        assert response.status_code == 401, path


def test_openapi_documents_sync(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/sync/runs"]["post"]["responses"]) >= {"202", "409"}
    assert "/api/v1/sync/plan" in paths
    assert "get" in paths["/api/v1/sync/status"]
    assert "post" in paths["/api/v1/sync/verify"]
