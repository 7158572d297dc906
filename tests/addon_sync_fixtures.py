"""Record the sync API's real responses for the add-on's sidebar tests.

``record_sync_responses`` drives the service through the scenario the
sidebar shows. The service runs in Flask's test client, a CSV file stands in
for the Google Sheet, and the fake HubSpot listens on 127.0.0.1. The scenario
has a plan, a run with one row that HubSpot rejects and one in conflict, the
migration status, a second run rejected with 409, and HubSpot's daily limit.
It returns each response body by fixture name.

tests/test_addon.py runs it and checks that the committed files in
addon/test/fixtures/ have the same shape. To rewrite those files after the
API changed, run::

    UPDATE_ADDON_FIXTURES=1 python -m pytest tests/test_addon.py -k sync_fixtures
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bridge.sync_service import google_sheet_id
from bridge.web.jobs import job_status
from sync.db import engine_from_env
from sync.ledger import Ledger
from sync.ledger_tables import RUN_FINISHED
from tests.sync_runs.helpers import DESIGN_PATH, deal_frame
from tests.sync_runs.test_sync_cli import add_test_owners

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "addon" / "test" / "fixtures"
SHEET = "案件一覧"  # the tab the add-on's tests open
AS_OF = "2024-01-15"
ROWS = 40
FIRST_RUN_LIMIT = 10
BATCH_SIZE = 25  # the add-on's default batch size
BLOCKED_INDEX = 39  # owner unknown to the portal: the plan blocks the row
REJECTED_INDEX = 14  # e-mail HubSpot rejects with INVALID_EMAIL
CONFLICT_INDEX = 2  # edited in HubSpot and in the sheet since the first run
UPDATED_INDEX = 3  # edited in the sheet only
OTHER_RUN_USER = "other@example.jp"
JOB_WAIT_SECONDS = 60.0


def scenario_frame() -> pd.DataFrame:
    """Return the deal sheet before the first run."""
    frame = deal_frame(ROWS)
    frame.loc[BLOCKED_INDEX, "担当者"] = "田中"
    frame.loc[REJECTED_INDEX, "メール"] = "not-an-email"
    return frame


def sheet_row(index: int) -> int:
    """Return the sheet row of a frame position: the header is row 1."""
    return index + 2


def record_sync_responses(
    client: Any,
    headers: dict[str, str],
    sheets: Any,
    hubspot: Any,
    folder: Path,
    spreadsheet_id: str,
) -> dict[str, Any]:
    """Run the scenario against the service and return each response body by fixture name.

    ``sheets`` is the test app's ``SheetFiles`` opener and ``hubspot`` the
    fake HubSpot that ``HUBSPOT_BASE_URL`` points at. The caller sets
    ``DATABASE_URL`` to a new ledger before the app's first sync request.
    """
    add_test_owners(hubspot)
    frame = scenario_frame()
    source = folder / f"{SHEET}.csv"
    frame.to_csv(source, index=False)
    sheets.paths[spreadsheet_id] = source
    recorder = ProgressRecorder(client.application)
    api = SyncCalls(client, headers, spreadsheet_id)

    first = api.wait(api.post("/runs", limit=FIRST_RUN_LIMIT, lang="ja"))
    assert first["state"] == "done", first
    edit_after_first_run(frame, source, hubspot)

    responses: dict[str, Any] = {}
    responses["sync_plan.ja.json"] = api.post("/plan", lang="ja").get_json()
    responses["sync_plan.en.json"] = api.post("/plan", lang="en").get_json()

    recorder.start()
    accepted = api.post("/runs", limit=BATCH_SIZE, lang="ja")
    done = api.wait(accepted)
    # Where the results went: a temporary path here, kept as its file name only.
    done["result"]["written"] = Path(done["result"]["written"]).name
    responses["sync_run_accepted.ja.json"] = accepted.get_json()
    responses["sync_run_job.ja.json"] = recorder.polls(done["job_id"]) + [done]

    responses["sync_status.en.json"] = api.post("/status", lang="en").get_json()

    ledger = Ledger(engine_from_env())
    other = ledger.start_run(google_sheet_id(spreadsheet_id, SHEET), user=OTHER_RUN_USER)
    responses["sync_status_running.ja.json"] = api.post("/status", lang="ja").get_json()
    responses["sync_run_in_progress.ja.json"] = api.post("/runs", limit=5, lang="ja").get_json()
    responses["sync_run_in_progress.en.json"] = api.post("/runs", limit=5, lang="en").get_json()
    ledger.finish_run(other.id, RUN_FINISHED, counts={})

    hubspot.daily_limit = True
    responses["sync_plan_daily_limit.ja.json"] = api.post("/plan", lang="ja").get_json()
    responses["sync_run_daily_limit.ja.json"] = api.wait(api.post("/runs", limit=5, lang="ja"))
    hubspot.daily_limit = False
    return responses


def edit_after_first_run(frame: pd.DataFrame, source: Path, hubspot: Any) -> None:
    """Change one synced deal in HubSpot and in the sheet (a conflict) and one in the sheet only."""
    row_key = frame.loc[CONFLICT_INDEX, "案件ID"]
    record = hubspot.find("deals", "bridge_row_key", row_key)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    record["properties"]["dealname"] = "HubSpotで変更"
    record["properties"]["hs_lastmodifieddate"] = later.isoformat().replace("+00:00", "Z")
    frame.loc[CONFLICT_INDEX, "案件名"] = "シートで変更"
    frame.loc[UPDATED_INDEX, "案件名"] = "シートで変更 3"
    frame.to_csv(source, index=False)


class SyncCalls:
    """The add-on's sync requests, sent with its headers and body fields."""

    def __init__(self, client: Any, headers: dict[str, str], spreadsheet_id: str) -> None:
        self.client = client
        self.headers = headers
        self.spreadsheet_id = spreadsheet_id

    def post(self, path: str, **fields: Any) -> Any:
        body = {
            "spreadsheet": self.spreadsheet_id,
            "sheet": SHEET,
            "gid": 0,
            "design_yaml": DESIGN_PATH.read_text("utf-8"),
            "as_of": AS_OF,
            **fields,
        }
        headers = {**self.headers, "Accept-Language": fields.get("lang", "ja")}
        return self.client.post("/api/v1/sync" + path, json=body, headers=headers)

    def wait(self, accepted: Any) -> dict[str, Any]:
        """Poll the job a 202 response started until it is done or failed."""
        assert accepted.status_code == 202, accepted.get_json()
        url = accepted.get_json()["status_url"]
        deadline = time.monotonic() + JOB_WAIT_SECONDS
        while True:
            job = self.client.get(url, headers=self.headers).get_json()
            if job["state"] in ("done", "failed") or time.monotonic() > deadline:
                return job
            time.sleep(0.05)


class ProgressRecorder:
    """Job status documents recorded after each progress update, as polls would see them."""

    def __init__(self, app: Any) -> None:
        self.store = app.extensions["bridge"].jobs.store
        self.seen: dict[str, list[dict[str, Any]]] = {}
        self._update = self.store.update

    def start(self) -> None:
        def update(job_id: str, **changes: Any) -> None:
            self._update(job_id, **changes)
            if set(changes) == {"progress"}:
                document = job_status(self.store.get(job_id)).model_dump(mode="json")
                self.seen.setdefault(job_id, []).append(document)

        self.store.update = update

    def polls(self, job_id: str) -> list[dict[str, Any]]:
        return list(self.seen.get(job_id, []))


def write_fixtures(responses: dict[str, Any], folder: Path = FIXTURE_DIR) -> None:
    for name, body in responses.items():
        text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
        (folder / name).write_text(text, encoding="utf-8")
