"""Run the add-on's Node tests (Code.js under fakes, Sidebar.html in headless Chromium).

CI installs Node's packages and Debian's chromium through scripts/test, so a
missing node_modules or browser fails here rather than skipping. Only a
machine without Node at all skips.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from bridge.cli import cli
from bridge.web.problems import Problem
from bridge.web.schemas import JobAccepted, JobStatus, KpiRequest, ValidationRequest
from bridge.web.sync_schemas import (
    SyncPlanRequest,
    SyncPlanResponse,
    SyncRunRequest,
    SyncStatusRequest,
    SyncStatusResponse,
)
from tests import addon_sync_fixtures as scenario
from tests.fakes.fixtures import fake_hubspot, hubspot_env  # noqa: F401
from tests.service.conftest import (  # noqa: F401
    SHEET_ID,
    app,
    certs_server,
    client,
    headers,
    settings,
    sheets,
    signing_key,
)

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "addon"
REQUEST_BODIES = ROOT / "test-output" / "addon" / "request_bodies.json"
NODE_TIMEOUT_SECONDS = 600
# The request bodies code.test.js records, and the service's model for each.
BODY_MODELS = {
    "validate": ValidationRequest,
    "kpis": KpiRequest,
    "kpis_reminder": KpiRequest,
    "syncPlan": SyncPlanRequest,
    "syncRun": SyncRunRequest,
    "syncRun_wave": SyncRunRequest,
    "syncStatus": SyncStatusRequest,
}
# The sync responses the add-on's tests replay (addon/test/fixtures/), and the
# service's model of each. A list contains the job documents of successive polls.
SYNC_FIXTURE_MODELS: dict[str, type[BaseModel]] = {
    "sync_plan.ja.json": SyncPlanResponse,
    "sync_plan.en.json": SyncPlanResponse,
    "sync_run_accepted.ja.json": JobAccepted,
    "sync_run_job.ja.json": JobStatus,
    "sync_status.en.json": SyncStatusResponse,
    "sync_status_running.ja.json": SyncStatusResponse,
    "sync_run_in_progress.ja.json": Problem,
    "sync_run_in_progress.en.json": Problem,
    "sync_plan_daily_limit.ja.json": Problem,
    "sync_run_daily_limit.ja.json": JobStatus,
}


@pytest.mark.browser
def test_addon_node_suite():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the add-on's tests need Node 20 or later")
    assert (ADDON / "node_modules" / "playwright-core").is_dir(), (
        "addon/node_modules is missing: run `npm ci` in addon/ (scripts/test does)"
    )
    REQUEST_BODIES.unlink(missing_ok=True)

    completed = subprocess.run(
        [node, "--test", "addon/test/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )
    output = completed.stdout + completed.stderr

    assert completed.returncode == 0, output[-20_000:]
    passed = re.search(r"^# pass (\d+)$", output, re.MULTILINE)
    failed = re.search(r"^# fail (\d+)$", output, re.MULTILINE)
    assert passed is not None, output[-5_000:]
    assert failed is not None and failed.group(1) == "0", output[-20_000:]
    # Both test files ran: 65 tests (54 for the scripts, 11 for the sidebar) when this was written.
    assert int(passed.group(1)) >= 65, output[-5_000:]

    # The add-on's bodies must load into the service's request models, which
    # reject unknown fields: a renamed field fails here, not in production.
    bodies = json.loads(REQUEST_BODIES.read_text(encoding="utf-8"))
    assert sorted(bodies) == sorted(BODY_MODELS)
    for route, model in BODY_MODELS.items():
        request = model.model_validate(bodies[route])
        assert request.spreadsheet == "1AbCspreadsheetId", route
        assert request.lang in ("ja", "en"), route


def read_sync_fixture(name: str) -> Any:
    return json.loads((scenario.FIXTURE_DIR / name).read_text(encoding="utf-8"))


def shape(value: Any) -> Any:
    """Return the JSON structure of ``value``: keys and value types, list items merged."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        for item in value:
            merged[json.dumps(shape(item), sort_keys=True)] = shape(item)
        return ["list", sorted(merged)]
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


@pytest.mark.parametrize("name", sorted(SYNC_FIXTURE_MODELS))
def test_sync_fixture_loads_into_model(name):
    model = SYNC_FIXTURE_MODELS[name]
    fixture = read_sync_fixture(name)
    documents = fixture if isinstance(fixture, list) else [fixture]
    assert documents, name

    for document in documents:
        loaded = model.model_validate(document)
        # The models ignore unknown keys, so compare the round trip: a key the
        # service does not send, or one missing, fails here.
        dumped = loaded.model_dump(mode="json", exclude_none=model is Problem)
        assert dumped == document, name


def test_sync_fixtures_match_backend(client, headers, sheets, hubspot_env, tmp_path, monkeypatch):  # noqa: F811 - fixtures imported above
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    responses = scenario.record_sync_responses(
        client, headers, sheets, hubspot_env, tmp_path, SHEET_ID
    )
    if os.environ.get("UPDATE_ADDON_FIXTURES"):
        scenario.write_fixtures(responses)

    assert sorted(responses) == sorted(SYNC_FIXTURE_MODELS)
    for name, body in responses.items():
        assert shape(read_sync_fixture(name)) == shape(body), (
            f"addon/test/fixtures/{name} no longer has the shape of the service's response; "
            "rewrite it with UPDATE_ADDON_FIXTURES=1 (see tests/addon_sync_fixtures.py)"
        )


def test_sync_fixtures_tell_the_scenario():
    """The committed responses show what the scenario did, counted from the scenario itself."""
    frame = scenario.scenario_frame()
    plan = read_sync_fixture("sync_plan.ja.json")
    deal_actions = {action: 0 for action in ("create", "update", "unchanged", "blocked")}
    for row in plan["rows"]:
        deal_actions[row["action"]] += 1
    assert plan["totals"]["deal"] == deal_actions
    assert len(plan["rows"]) == len(frame)
    assert deal_actions["unchanged"] == scenario.FIRST_RUN_LIMIT - 2
    assert deal_actions["update"] == 2
    assert deal_actions["blocked"] == 1
    blocked = [row for row in plan["rows"] if row["action"] == "blocked"]
    assert blocked[0]["row"] == scenario.sheet_row(scenario.BLOCKED_INDEX)
    assert blocked[0]["blocking_codes"] == ["unknown_owner"]

    polls = read_sync_fixture("sync_run_job.ja.json")
    progress = [poll["progress"] for poll in polls]
    assert progress == sorted(progress)
    assert [poll["state"] for poll in polls][-1] == "done"
    assert polls[-1]["progress"] == 1.0
    result = polls[-1]["result"]
    statuses = {row["row"]: row["status"] for row in result["rows"]}
    assert len(statuses) == scenario.BATCH_SIZE
    assert statuses[scenario.sheet_row(scenario.CONFLICT_INDEX)] == "conflict"
    assert statuses[scenario.sheet_row(scenario.UPDATED_INDEX)] == "synced"
    assert statuses[scenario.sheet_row(scenario.REJECTED_INDEX)] == "rejected"
    assert result["counts"]["synced"] == list(statuses.values()).count("synced")
    assert result["counts"]["rejected"] == 1
    assert result["counts"]["conflicts"] == 1
    assert result["counts"]["selected"] == scenario.BATCH_SIZE

    status = read_sync_fixture("sync_status.en.json")
    # Rows of the first run left unchanged, plus the rows the second run synced.
    unchanged = scenario.FIRST_RUN_LIMIT - 2
    assert status["synced"] == unchanged + result["counts"]["synced"]
    assert status["conflict"] == 1
    assert status["failed"] == 1
    assert read_sync_fixture("sync_status_running.ja.json")["active_run"] is not None

    conflict = read_sync_fixture("sync_run_in_progress.ja.json")
    assert (conflict["status"], conflict["code"]) == (409, "sync-run-in-progress")
    daily = read_sync_fixture("sync_run_daily_limit.ja.json")
    assert daily["state"] == "failed"
    assert (daily["error"]["status"], daily["error"]["code"]) == (429, "hubspot-daily-limit")


def test_kpi_history_fixture_matches_backend(tmp_path, monkeypatch):
    """kpi_history.*.json have the shape of a fresh ``bridge kpi --json`` with history."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    example = ROOT / "examples" / "deals.xlsx"
    output = tmp_path / "deals.checked.xlsx"
    runner = CliRunner()
    for day in ("2026-10-01", "2026-11-01"):
        result = runner.invoke(
            cli, ["validate", str(example), "--as-of", day, "--output", str(output)]
        )
        assert result.exit_code == 1, result.output
    report_path = tmp_path / "k.json"
    result = runner.invoke(
        cli,
        ["kpi", str(output), "--as-of", "2026-12-01", "--json", str(report_path), "--no-write"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text(encoding="utf-8"))

    for name in ("kpi_history.ja.json", "kpi_history.en.json"):
        fixture = read_sync_fixture(name)
        assert sorted(fixture) == sorted(report), name
        assert shape(fixture["history"]) == shape(report["history"]), (
            f"addon/test/fixtures/{name} no longer has the shape of bridge kpi --json; "
            "rewrite it with addon/test/fixtures/make_kpi_history.sh"
        )
