"""The run ledger on SQLite and PostgreSQL: runs, batches, outcomes, one active run per sheet."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import inspect

from sync.ledger import Ledger, OutcomeRecord, SyncedState
from sync.ledger_tables import (
    BATCH_CONFIRMED,
    BATCH_RESENT,
    RUN_ACTIVE,
    RUN_FINISHED,
    RUN_INTERRUPTED,
)
from sync.run_errors import RunInProgress

T0 = dt.datetime(2024, 4, 1, 9, 0, tzinfo=dt.UTC)


def test_schema_has_ledger_tables(database_engine):
    names = set(inspect(database_engine).get_table_names(
        schema=database_engine.get_execution_options().get("schema_translate_map", {}).get(None)
    ))  # fmt: skip
    assert {"runs", "batches", "row_outcomes", "row_state"} <= names


def test_second_start_is_refused(ledger):
    first = ledger.start_run("sheet-1", user="a@example.jp", now=T0)
    with pytest.raises(RunInProgress) as caught:
        ledger.start_run("sheet-1", user="b@example.jp", now=T0 + dt.timedelta(minutes=1))
    assert caught.value.run_id == first.id
    assert caught.value.user == "a@example.jp"
    assert "--resume" in str(caught.value)


def test_other_sheet_may_run_at_once(ledger):
    ledger.start_run("sheet-1", now=T0)
    other = ledger.start_run("sheet-2", now=T0)
    assert ledger.active_run("sheet-2").id == other.id


def test_finished_run_frees_the_sheet(ledger):
    first = ledger.start_run("sheet-1", now=T0)
    ledger.finish_run(first.id, RUN_FINISHED, counts={"synced": 3})
    second = ledger.start_run("sheet-1", now=T0)
    assert second.id != first.id
    assert second.resumed_from is None
    assert ledger.get_run(first.id).counts == {"synced": 3}


def test_database_refuses_two_active_rows(ledger):
    """The unique index itself rejects a second active run, not only start_run's check."""
    from sqlalchemy.exc import IntegrityError

    from sync.ledger_tables import Run

    ledger.start_run("sheet-1", now=T0)
    with pytest.raises(IntegrityError), ledger.session() as session, session.begin():
        session.add(Run(sheet_id="sheet-1", mode="run", state=RUN_ACTIVE, started_at=T0,
                        heartbeat_at=T0, plan_totals={}, counts={}))  # fmt: skip


def test_concurrent_starts_one_refused(ledger):
    barrier = threading.Barrier(4)
    started: list[int] = []
    refused: list[RunInProgress] = []
    lock = threading.Lock()

    def start(user: str) -> None:
        barrier.wait()
        try:
            run = ledger.start_run("sheet-race", user=user)
        except RunInProgress as error:
            with lock:
                refused.append(error)
        else:
            with lock:
                started.append(run.id)

    threads = [threading.Thread(target=start, args=(f"user{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(started) == 1
    assert len(refused) == 3
    assert len([run for run in ledger.runs("sheet-race") if run.state == RUN_ACTIVE]) == 1


def test_stale_run_is_taken_over(ledger):
    dead = ledger.start_run("sheet-1", now=T0)
    ledger.record_batch(dead.id, 1, ["k1", "k2"], now=T0)
    batch_2 = ledger.record_batch(dead.id, 2, ["k3"], now=T0)
    ledger.confirm_batch(dead.id, batch_2, "sheet-1", [], [], now=T0)

    later = T0 + ledger.stale_after + dt.timedelta(seconds=1)
    new = ledger.start_run("sheet-1", now=later)
    assert new.resumed_from == dead.id
    assert new.resend_keys == ("k1", "k2")
    assert ledger.get_run(dead.id).state == RUN_INTERRUPTED
    assert [batch.state for batch in ledger.batches(dead.id)] == [BATCH_RESENT, BATCH_CONFIRMED]


def test_resume_takes_over_fresh_run(ledger):
    alive = ledger.start_run("sheet-1", now=T0)
    ledger.record_batch(alive.id, 1, ["k9"], now=T0)
    new = ledger.start_run("sheet-1", resume=True, now=T0 + dt.timedelta(seconds=5))
    assert new.resumed_from == alive.id
    assert new.resend_keys == ("k9",)


def test_heartbeat_keeps_run_alive(ledger):
    run = ledger.start_run("sheet-1", now=T0)
    ledger.heartbeat(run.id, now=T0 + ledger.stale_after)
    with pytest.raises(RunInProgress):
        ledger.start_run("sheet-1", now=T0 + ledger.stale_after + dt.timedelta(minutes=1))


def test_confirm_batch_stores_outcomes_and_state(ledger):
    run = ledger.start_run("sheet-1", now=T0)
    batch = ledger.record_batch(run.id, 1, ["k1", "k2"], now=T0)
    modified = T0 + dt.timedelta(seconds=2)
    ledger.confirm_batch(
        run.id,
        batch,
        "sheet-1",
        [
            OutcomeRecord("k1", "deal", "create", "synced", "101", content_hash="a" * 16),
            OutcomeRecord("k2", "deal", "create", "rejected", None, "INVALID_EMAIL: bad"),
        ],
        [SyncedState("k1", deal_id="101", content_hash="a" * 16, synced_at=T0,
                     hubspot_modified_at=modified, synced_properties={"dealname": "案件A"})],
        now=T0,
    )  # fmt: skip
    outcomes = ledger.outcomes(run.id)
    assert [(o.row_key, o.status, o.hubspot_id) for o in outcomes] == [
        ("k1", "synced", "101"),
        ("k2", "rejected", None),
    ]
    assert outcomes[1].error_message == "INVALID_EMAIL: bad"
    states = ledger.row_states("sheet-1")
    assert set(states) == {"k1"}
    assert states["k1"].deal_id == "101"
    assert states["k1"].hubspot_modified_at == modified
    assert states["k1"].synced_properties == {"dealname": "案件A"}
    assert ledger.batches(run.id)[0].state == BATCH_CONFIRMED


def test_row_state_update_replaces(ledger):
    run = ledger.start_run("sheet-1", now=T0)
    for number, digest in enumerate(("1" * 16, "2" * 16), start=1):
        batch = ledger.record_batch(run.id, number, ["k1"], now=T0)
        ledger.confirm_batch(run.id, batch, "sheet-1", [],
                             [SyncedState("k1", deal_id="7", content_hash=digest)], now=T0)  # fmt: skip
    assert ledger.row_states("sheet-1")["k1"].content_hash == "2" * 16


def test_naive_datetime_rejected(ledger):
    with pytest.raises(Exception, match="timezone-aware"):
        ledger.start_run("sheet-1", now=dt.datetime(2024, 4, 1, 9, 0))


def test_ledger_default_sqlite_file(tmp_path, monkeypatch):
    from sync.db import engine_from_env

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    engine = engine_from_env()
    Ledger(engine).start_run("sheet-1")
    engine.dispose()
    assert (tmp_path / "bridge.db").exists()
