"""The staged runner against the fake HubSpot, with the ledger on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from sync.batch import ASSOCIATION_PENDING
from sync.ledger_tables import BATCH_RESENT, RUN_ACTIVE, RUN_FINISHED, RUN_INTERRUPTED, RUN_STOPPED
from sync.plan import CREATE, UNCHANGED, UPDATE
from sync.run_errors import RunInProgress
from tests.sync_runs.helpers import SHEET_ID, deal_frame, plan_for, sync_frame
from validators.findings import Code


def records_by_key(fake) -> Counter:
    return Counter(
        record["properties"].get("bridge_row_key")
        for record in fake.records.get("deals", {}).values()
    )


def test_first_sync_of_1000_rows(ledger, fake_hubspot):
    frame = deal_frame(1000, companies=250)
    plan, report = sync_frame(frame, ledger, fake_hubspot)

    assert report.state == RUN_FINISHED
    assert report.counts["synced"] == 1000
    assert report.counts["created"] == 1000
    counts = records_by_key(fake_hubspot)
    assert set(counts) == set(frame["案件ID"])
    assert max(counts.values()) == 1
    assert len(fake_hubspot.records["companies"]) == frame["ドメイン"].nunique()
    assert len(fake_hubspot.records["contacts"]) == frame["メール"].nunique()
    batch_sizes = [
        len(call.body["inputs"]) for call in fake_hubspot.calls("POST", "deals/batch/upsert")
    ]
    assert batch_sizes == [100] * 10
    deal_company = {
        pair for pair in fake_hubspot.associations if pair[0] == "deals" and pair[2] == "companies"
    }
    assert len(deal_company) == 1000


def test_rerun_creates_nothing(ledger, fake_hubspot):
    frame = deal_frame(120, companies=30)
    sync_frame(frame, ledger, fake_hubspot)
    writes_before = len(fake_hubspot.calls("POST", "batch/upsert"))

    plan, report = sync_frame(frame, ledger, fake_hubspot)

    assert {row.action for row in plan.rows} == {UNCHANGED}
    assert report.counts["selected"] == 0
    assert len(fake_hubspot.calls("POST", "batch/upsert")) == writes_before
    assert len(fake_hubspot.records["deals"]) == 120


def test_edited_rows_updated(ledger, fake_hubspot):
    frame = deal_frame(50)
    sync_frame(frame, ledger, fake_hubspot)
    edited = frame.copy()
    edited.loc[[3, 7], "案件名"] = ["変更後 3", "変更後 7"]

    plan, report = sync_frame(edited, ledger, fake_hubspot)

    assert Counter(row.action for row in plan.rows) == {UNCHANGED: 48, UPDATE: 2}
    assert report.counts["updated"] == 2
    assert report.counts["created"] == 0
    assert len(fake_hubspot.records["deals"]) == 50
    assert (
        fake_hubspot.find("deals", "bridge_row_key", "D00003")["properties"]["dealname"]
        == "変更後 3"
    )


def test_bad_email_rejects_one_row(ledger, fake_hubspot):
    frame = deal_frame(100)
    frame.loc[42, "メール"] = "not-an-email"

    plan, report = sync_frame(frame, ledger, fake_hubspot)

    assert report.counts["synced"] == 99
    assert report.counts["rejected"] == 1
    assert len(fake_hubspot.records["deals"]) == 99
    assert fake_hubspot.find("deals", "bridge_row_key", "D00042") is None
    [finding] = report.findings
    assert finding.code is Code.SYNC_REJECTED
    assert finding.row == 44  # header in row 1, position 42 -> sheet row 44
    assert finding.column == "メール"
    assert "INVALID_EMAIL" in finding.params["detail"]
    assert ledger.row_states(SHEET_ID)["D00042"].last_status == "rejected"

    fixed = frame.copy()
    fixed.loc[42, "メール"] = "fixed@example.jp"
    plan, _ = sync_frame(fixed, ledger, fake_hubspot)
    assert [row.row_key for row in plan.rows if row.action == CREATE] == ["D00042"]
    assert len(fake_hubspot.records["deals"]) == 100


def test_limit_sends_next_rows(ledger, fake_hubspot):
    frame = deal_frame(30)
    _, first = sync_frame(frame, ledger, fake_hubspot, limit=10)
    _, second = sync_frame(frame, ledger, fake_hubspot, limit=10)

    assert [row.row_key for row in first.selected] == list(frame["案件ID"][:10])
    assert [row.row_key for row in second.selected] == list(frame["案件ID"][10:20])
    assert len(fake_hubspot.records["deals"]) == 20


class Killed(Exception):
    """Stands for the process dying in the middle of a run."""


def test_killed_run_resumed_exactly_once(ledger, fake_hubspot):
    frame = deal_frame(250, companies=40)

    def die_in_batch_2(progress):
        if progress.batch_number == 2 and progress.step == "deals":
            raise Killed

    with pytest.raises(Killed):
        sync_frame(frame, ledger, fake_hubspot, batch_size=100, progress=die_in_batch_2)
    [dead] = ledger.runs(SHEET_ID)
    assert dead.state == RUN_ACTIVE
    with pytest.raises(RunInProgress):
        sync_frame(frame, ledger, fake_hubspot)

    plan, report = sync_frame(frame, ledger, fake_hubspot, resume=True)

    assert report.resumed_from == dead.id
    assert [row.row_key for row in report.selected[:100]] == list(frame["案件ID"][100:200])
    assert ledger.get_run(dead.id).state == RUN_INTERRUPTED
    assert [batch.state for batch in ledger.batches(dead.id)][-1] == BATCH_RESENT
    counts = records_by_key(fake_hubspot)
    assert set(counts) == set(frame["案件ID"])
    assert set(counts.values()) == {1}
    assert len(fake_hubspot.records["companies"]) == 40


def test_daily_limit_stops_cleanly(ledger, fake_hubspot):
    frame = deal_frame(200)

    def exhaust_after_batch_1(progress):
        if progress.batch_number == 1 and progress.step == "confirmed":
            fake_hubspot.daily_limit = True

    _, report = sync_frame(frame, ledger, fake_hubspot, progress=exhaust_after_batch_1)

    assert report.state == RUN_STOPPED
    assert report.stop_error.code == "daily_limit"
    # Batch 1's records were written, but the limit stopped its links too, so
    # none of its rows counts as synced.
    assert report.counts["synced"] == 0
    assert report.counts["pending"] == 200
    states = ledger.row_states(SHEET_ID)
    assert {states[key].last_status for key in frame["案件ID"][:100]} == {ASSOCIATION_PENDING}
    assert fake_hubspot.associations == set()
    run = ledger.get_run(report.run_id)
    assert run.state == RUN_STOPPED
    assert "daily" in run.message

    fake_hubspot.daily_limit = False
    plan, resumed = sync_frame(frame, ledger, fake_hubspot)
    assert sum(row.action == CREATE for row in plan.rows) == 100
    assert resumed.state == RUN_FINISHED
    assert resumed.counts["synced"] == 200
    assert set(records_by_key(fake_hubspot).values()) == {1}
    assert len(fake_hubspot.records["deals"]) == 200
    to_company = {pair for pair in fake_hubspot.associations if pair[2] == "companies"}
    assert len(to_company) == 200 + 200  # each deal and each contact with its company


def test_conflict_not_overwritten(ledger, fake_hubspot):
    frame = deal_frame(5)
    sync_frame(frame, ledger, fake_hubspot)
    record = fake_hubspot.find("deals", "bridge_row_key", "D00002")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    record["properties"]["dealname"] = "HubSpotで変更"
    record["properties"]["hs_lastmodifieddate"] = later.isoformat().replace("+00:00", "Z")
    edited = frame.copy()
    edited.loc[2, "案件名"] = "シートで変更"
    edited.loc[3, "案件名"] = "シートで変更 3"

    _, report = sync_frame(edited, ledger, fake_hubspot)

    assert report.statuses == {"D00002": "conflict", "D00003": "synced"}
    assert record["properties"]["dealname"] == "HubSpotで変更"
    [finding] = report.findings
    assert finding.code is Code.SYNC_CONFLICT
    assert finding.row == 4
    assert finding.column == "案件名"
    assert finding.value == "シートで変更"
    assert finding.params["hubspot_value"] == "HubSpotで変更"


def test_update_only_creates_nothing(ledger, fake_hubspot):
    frame = deal_frame(20)
    sync_frame(frame.iloc[:10], ledger, fake_hubspot)
    edited = frame.copy()
    edited.loc[0, "金額"] = "999"
    upserts_before = len(fake_hubspot.calls("POST", "batch/upsert"))

    plan, report = sync_frame(edited, ledger, fake_hubspot, update_only=True)

    assert report.counts["skipped"] == 10
    assert report.counts["updated"] == 1
    assert len(fake_hubspot.records["deals"]) == 10
    assert fake_hubspot.find("deals", "bridge_row_key", "D00000")["properties"]["amount"] == "999"
    assert len(fake_hubspot.calls("POST", "batch/upsert")) == upserts_before
    [update] = fake_hubspot.calls("POST", "deals/batch/update")
    assert update.body["inputs"][0]["id"] == ledger.row_states(SHEET_ID)["D00000"].deal_id


def test_wave_sends_only_its_rows(ledger, fake_hubspot):
    frame = deal_frame(30)
    expected = set(frame.loc[frame["担当者"] == "佐藤", "案件ID"])

    plan, report = sync_frame(frame, ledger, fake_hubspot, wave="sato")

    assert {row.row_key for row in report.selected} == expected
    assert set(records_by_key(fake_hubspot)) == expected


def test_dry_run_sends_nothing(ledger, fake_hubspot):
    _, report = sync_frame(deal_frame(10), ledger, fake_hubspot, dry_run=True, limit=4)
    assert len(report.selected) == 4
    assert fake_hubspot.requests == []
    assert ledger.runs(SHEET_ID) == []


def test_plan_after_sync_reports_removed(ledger, fake_hubspot):
    frame = deal_frame(10)
    sync_frame(frame, ledger, fake_hubspot)
    _, plan = plan_for(frame.drop(index=[4, 6]), ledger)
    assert plan.removed == ["D00004", "D00006"]
    assert plan.totals["removed"] == {"rows": 2}
    assert len(fake_hubspot.records["deals"]) == 10
