"""Association links gathered across row batches: call sizes, crash safety, stops and failures."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
import pytest

from bridge.sync_service import row_sync_statuses
from sync.batch import ASSOCIATION_FAILED, ASSOCIATION_PENDING, SYNCED
from sync.ledger import OutcomeRecord, SyncedState
from sync.ledger_tables import RUN_ACTIVE, RUN_FINISHED, RUN_STOPPED
from sync.plan import UPDATE
from sync.runner import RunOptions
from tests.sync_runs.helpers import SHEET_ID, deal_frame, plan_for, sync_frame
from validators.findings import Code

DEAL_COMPANY = "deals/companies/batch/associate"
DEAL_CONTACT = "deals/contacts/batch/associate"
CONTACT_COMPANY = "contacts/companies/batch/associate"


class Killed(Exception):
    """Stands for the process dying in the middle of a run."""


def call_sizes(fake, path_part: str) -> list[int]:
    return [len(call.body["inputs"]) for call in fake.calls("POST", path_part)]


def expected_links(frame: pd.DataFrame, fake) -> set[tuple[str, str, str, str]]:
    """Return the links each row needs, with the ids the fake gave its deal, company and contact."""
    links = set()
    for row in frame.itertuples(index=False):
        deal = fake.find("deals", "bridge_row_key", row.案件ID)["id"]
        company = fake.find("companies", "domain", row.ドメイン)["id"]
        contact = fake.find("contacts", "email", row.メール)["id"]
        links |= {
            ("deals", deal, "companies", company),
            ("deals", deal, "contacts", contact),
            ("contacts", contact, "companies", company),
        }
    return links


def test_links_gathered_across_batches(ledger, fake_hubspot):
    frame = deal_frame(600, companies=150)
    contact_companies = len(frame[["メール", "ドメイン"]].drop_duplicates())

    _, report = sync_frame(frame, ledger, fake_hubspot)

    assert report.counts["synced"] == 600
    assert call_sizes(fake_hubspot, "deals/batch/upsert") == [100] * 6
    # One call per association type for the whole run; a contact's company,
    # named by several deals, is linked once.
    assert call_sizes(fake_hubspot, DEAL_COMPANY) == [600]
    assert call_sizes(fake_hubspot, DEAL_CONTACT) == [600]
    assert call_sizes(fake_hubspot, CONTACT_COMPANY) == [contact_companies]
    assert fake_hubspot.associations == expected_links(frame, fake_hubspot)


def test_full_call_sent_before_run_ends(ledger, fake_hubspot):
    frame = deal_frame(250)
    events = []

    _, report = sync_frame(
        frame, ledger, fake_hubspot, association_batch_size=150, progress=events.append
    )

    assert report.counts["synced"] == 250
    # 100 pairs wait after batch 1; after batch 2, 150 of 200 go and 50 wait
    # for batch 3; the last 100 go at the end of the run.
    assert call_sizes(fake_hubspot, DEAL_COMPANY) == [150, 100]
    assert call_sizes(fake_hubspot, DEAL_CONTACT) == [150, 100]
    assert call_sizes(fake_hubspot, CONTACT_COMPANY) == [150, 100]
    paths = [call.path for call in fake_hubspot.requests]
    deal_writes = [i for i, path in enumerate(paths) if path.endswith("deals/batch/upsert")]
    first_link = next(i for i, path in enumerate(paths) if DEAL_COMPANY in path)
    assert deal_writes[1] < first_link < deal_writes[2]
    confirmed = [(e.batch_number, e.rows_done) for e in events if e.step == "confirmed"]
    assert confirmed == [(1, 100), (2, 200), (3, 250)]
    assert [e.batch_number for e in events if e.step == "associations"] == [2, 3]
    assert fake_hubspot.associations == expected_links(frame, fake_hubspot)


def test_killed_before_links_resumed(ledger, fake_hubspot):
    frame = deal_frame(250, companies=40)

    def die_before_links(progress):
        if progress.batch_number == 3 and progress.step == "confirmed":
            raise Killed

    with pytest.raises(Killed):
        sync_frame(frame, ledger, fake_hubspot, progress=die_before_links)

    # Every record is written, no link is, and no row counts as synced.
    [dead] = ledger.runs(SHEET_ID)
    assert dead.state == RUN_ACTIVE
    assert len(fake_hubspot.records["deals"]) == 250
    assert fake_hubspot.calls("POST", "batch/associate") == []
    states = ledger.row_states(SHEET_ID)
    assert {state.last_status for state in states.values()} == {ASSOCIATION_PENDING}
    _, plan = plan_for(frame, ledger)
    assert {row.action for row in plan.rows} == {UPDATE}
    assert set(row_sync_statuses(plan, states).values()) == {"pending"}
    requests_before = len(fake_hubspot.requests)

    _, report = sync_frame(frame, ledger, fake_hubspot, resume=True)

    assert report.resumed_from == dead.id
    assert report.state == RUN_FINISHED
    assert report.counts["synced"] == 250
    assert {state.last_status for state in ledger.row_states(SHEET_ID).values()} == {SYNCED}
    deals = Counter(
        record["properties"]["bridge_row_key"] for record in fake_hubspot.records["deals"].values()
    )
    assert set(deals) == set(frame["案件ID"])
    assert set(deals.values()) == {1}
    assert len(fake_hubspot.records["companies"]) == frame["ドメイン"].nunique()
    assert len(fake_hubspot.records["contacts"]) == frame["メール"].nunique()
    expected = expected_links(frame, fake_hubspot)
    assert fake_hubspot.associations == expected
    # The resumed run sent each link once.
    sent = [
        (call.path, item["from"]["id"], item["to"]["id"])
        for call in fake_hubspot.requests[requests_before:]
        if "batch/associate" in call.path
        for item in call.body["inputs"]
    ]
    assert len(sent) == len(set(sent)) == len(expected)


def test_pending_rows_sent_first(ledger, fake_hubspot):
    frame = deal_frame(30)

    def die_before_links(progress):
        if progress.step == "confirmed" and progress.rows_done == 10:
            raise Killed

    with pytest.raises(Killed):
        sync_frame(frame.iloc[20:], ledger, fake_hubspot, progress=die_before_links)

    _, report = sync_frame(frame, ledger, fake_hubspot, resume=True, limit=10)

    assert [row.row_key for row in report.selected] == list(frame["案件ID"][20:30])
    assert report.counts["synced"] == 10
    assert len(fake_hubspot.records["deals"]) == 10


def test_stop_sends_waiting_links(ledger, fake_hubspot):
    frame = deal_frame(200)

    def fail_contacts_of_batch_2(progress):
        if progress.batch_number == 2 and progress.step == "companies":
            fake_hubspot.inject(503, count=3)  # every attempt the test client makes

    _, report = sync_frame(frame, ledger, fake_hubspot, progress=fail_contacts_of_batch_2)

    assert report.state == RUN_STOPPED
    assert report.stop_error.code == "hubspot_unavailable"
    assert report.counts["synced"] == 100
    assert report.counts["pending"] == 100
    assert fake_hubspot.associations == expected_links(frame.iloc[:100], fake_hubspot)
    states = ledger.row_states(SHEET_ID)
    assert {states[key].last_status for key in frame["案件ID"][:100]} == {SYNCED}
    assert not set(frame["案件ID"][100:]) & set(states)


def test_rejected_link_call_fails_rows(ledger, fake_hubspot):
    frame = deal_frame(3)

    def reject_next_link_call(progress):
        if progress.step == "confirmed":
            fake_hubspot.inject(400)  # the deal-company call: HubSpot rejects it whole

    _, report = sync_frame(frame, ledger, fake_hubspot, progress=reject_next_link_call)

    assert report.statuses == dict.fromkeys(frame["案件ID"], ASSOCIATION_FAILED)
    assert [finding.code for finding in report.findings] == [Code.ASSOCIATION_FAILED] * 3
    assert {finding.params["target"] for finding in report.findings} == {"companies"}
    assert [finding.row for finding in report.findings] == [2, 3, 4]
    failed = [o.row_key for o in ledger.outcomes(report.run_id) if o.status == ASSOCIATION_FAILED]
    assert failed == list(frame["案件ID"])

    plan, again = sync_frame(frame, ledger, fake_hubspot)

    assert {row.action for row in plan.rows} == {UPDATE}
    assert again.statuses == dict.fromkeys(frame["案件ID"], SYNCED)
    assert fake_hubspot.associations == expected_links(frame, fake_hubspot)
    assert len(fake_hubspot.records["deals"]) == 3


def test_association_batch_size_checked(ledger, fake_hubspot):
    with pytest.raises(ValueError, match="between 1 and 2000"):
        sync_frame(deal_frame(3), ledger, fake_hubspot, association_batch_size=2001)
    assert ledger.runs(SHEET_ID) == []
    assert RunOptions().association_batch_size == 2000


def test_confirm_associations_stores_rows(ledger):
    now = dt.datetime(2024, 4, 1, 9, 0, tzinfo=dt.UTC)
    run = ledger.start_run("sheet-1", now=now)
    batch = ledger.record_batch(run.id, 1, ["k1", "k2"], now=now)
    pending = [SyncedState(key, deal_id=f"10{n}", last_status=ASSOCIATION_PENDING)
               for n, key in enumerate(("k1", "k2"))]  # fmt: skip
    ledger.confirm_batch(run.id, batch, "sheet-1", [], pending, now=now)

    ledger.confirm_associations(
        run.id,
        "sheet-1",
        [OutcomeRecord("k2", "association", "associate", ASSOCIATION_FAILED, "101", "gone")],
        [SyncedState("k1", deal_id="100", last_status=SYNCED),
         SyncedState("k2", deal_id="101", last_status=ASSOCIATION_FAILED, last_message="gone")],
        now=now + dt.timedelta(seconds=5),
    )  # fmt: skip

    states = ledger.row_states("sheet-1")
    assert states["k1"].last_status == SYNCED
    assert states["k2"].last_status == ASSOCIATION_FAILED
    [outcome] = ledger.outcomes(run.id)
    assert (outcome.row_key, outcome.status, outcome.batch_id) == ("k2", ASSOCIATION_FAILED, None)
    assert ledger.get_run(run.id).heartbeat_at == now + dt.timedelta(seconds=5)
