"""One batch of a sync run per call, so that a run can continue across requests.

``run_step`` sends batch number ``step`` of a sheet's run and confirms it in
the ledger. Nothing is kept in memory between steps: the run, its batches and
their row keys are read back from the ledger each time, so each step can run
in its own Cloud Tasks request on any instance.

Calling ``run_step`` again with the same step is safe. A batch that the ledger
already confirmed is not sent again. A batch recorded but never confirmed
(the worker died between the HubSpot calls and the confirmation) is sent
again with its own rows and confirmed under the same batch id; every write is
an upsert by a unique key, so HubSpot still contains each row once.

Each step sends the association links of its own batch after confirming the
batch, through a fresh ``AssociationQueue``: a batch of 100 rows needs at most
300 links, within one association call per type.

A daily-limit 429 or HubSpot staying unavailable stops the run (state
``stopped``) after recording what was confirmed; the rows not confirmed stay
pending for the next run. A rejected token or another fatal HubSpot error
fails the run and is raised. Any other exception leaves the run active, as a
killed process would, and the next call with the same step continues it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sync.associations import AssociationQueue
from sync.batch import ASSOCIATION_PENDING, CONFLICT, REJECTED, SYNCED, BatchSender
from sync.errors import DailyLimitReached, HubSpotFatalError, HubSpotRetriableError, SyncError
from sync.ledger import Ledger, OutcomeRecord, utc_now
from sync.ledger_tables import (
    BATCH_CONFIRMED,
    RUN_ACTIVE,
    RUN_FAILED,
    RUN_FINISHED,
    RUN_STOPPED,
    Batch,
    Run,
)
from sync.plan import CREATE, RowPlan, SyncPlan
from sync.ports import CrmWriter
from sync.runner import Progress, RunOptions, select_rows
from validators.engine import ValidationResult
from validators.findings import Finding

logger = logging.getLogger(__name__)


@dataclass
class StepReport:
    """The outcome of one step, with the run's totals over all its confirmed batches."""

    run_id: int
    step: int
    state: str  # active while rows remain, else finished, stopped or the run's final state
    sent: bool  # False when the ledger had already confirmed this step's batch, or none was left
    rows: list[RowPlan]  # the rows of this step's batch
    statuses: dict[str, str]  # row key -> last status, for every row of the confirmed batches
    counts: dict[str, int]
    findings: list[Finding] = field(default_factory=list)  # sync findings of this batch only
    stop_error: SyncError | None = None

    @property
    def more(self) -> bool:
        """Whether the run has rows left for a later step."""
        return self.state == RUN_ACTIVE


def run_step(
    result: ValidationResult,
    plan: SyncPlan,
    ledger: Ledger,
    client: CrmWriter,
    options: RunOptions,
    *,
    step: int,
    run_id: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    now: Callable[[], dt.datetime] = utc_now,
) -> StepReport:
    """Send batch ``step`` (1-based) of the run and record it; start the run at step 1.

    ``run_id`` is the run that earlier steps reported. Without it, the
    sheet's active run started by ``options.user`` is continued (a first step
    delivered again after its worker died), else a new run is started, which
    raises ``RunInProgress`` when another user's run is active.
    ``options.limit`` caps the rows of the whole run, not of one step.
    """
    run, first = _find_run(ledger, plan, options, run_id, now)
    batches = ledger.batches(run.id)
    current = next((batch for batch in batches if batch.number == step), None)
    taken = {key for batch in batches if batch.number != step for key in batch.row_keys}
    candidates = [
        row
        for row in select_rows(plan, replace(options, limit=None), first)
        if row.row_key not in taken
    ]
    room = options.limit - len(taken) if options.limit is not None else len(candidates)
    if run.state != RUN_ACTIVE:
        # A later run took this one over, or it ended: a step has nothing left to do.
        return _report(ledger, plan, options, run, step, run.state, [], candidates, room, False)

    by_key = {row.row_key: row for row in candidates}
    if current is not None and current.state == BATCH_CONFIRMED:
        # NOTE: a worker that died after confirming the batch but before sending
        # its links leaves the rows association_pending. This run does not send
        # them again, but the next run does, links included.
        planned = plan.by_key()
        rows = [planned[key] for key in current.row_keys if key in planned]
        logger.info("Run %d batch %d already confirmed; nothing sent", run.id, step)
        return _finish_if_done(ledger, plan, options, run, step, current.row_keys, candidates,
                               room, rows, now)  # fmt: skip
    if current is not None:
        rows = [by_key[key] for key in current.row_keys if key in by_key]
        batch_id = current.id
        logger.warning(
            "Run %d batch %d was recorded but never confirmed; sending its %d rows again",
            run.id, step, len(rows),
        )  # fmt: skip
    else:
        rows = candidates[: max(0, min(options.batch_size, room))]
        if not rows:
            return _finish_if_done(ledger, plan, options, run, step, [], candidates, room, [], now)
        batch_id = ledger.record_batch(run.id, step, [row.row_key for row in rows], now=now())

    sender = BatchSender(client, result, update_only=options.update_only, now=now)
    keys = current.row_keys if current is not None else [row.row_key for row in rows]
    findings: list[Finding] = []
    try:
        outcome = sender.send(rows)
        if current is not None:
            outcome.outcomes = _created_before_crash(rows, outcome.outcomes)
        queue = AssociationQueue()
        queue.add(rows, outcome)
        ledger.confirm_batch(
            run.id, batch_id, plan.sheet_id, outcome.outcomes, outcome.states, now=now()
        )
        findings.extend(outcome.findings)
        _send_links(queue, client, ledger, run.id, plan.sheet_id, findings, now)
    except (DailyLimitReached, HubSpotRetriableError) as error:
        report = _report(ledger, plan, options, run, step, RUN_STOPPED, keys, candidates, room,
                         True)  # fmt: skip
        report.stop_error = error
        report.findings = findings
        ledger.finish_run(run.id, RUN_STOPPED, counts=report.counts, message=str(error), now=now())
        logger.warning("Run %d stopped at batch %d: %s", run.id, step, error)
        return report
    except HubSpotFatalError as error:
        counts = _report(ledger, plan, options, run, step, RUN_FAILED, keys, candidates, room,
                         True).counts  # fmt: skip
        ledger.finish_run(run.id, RUN_FAILED, counts=counts, message=str(error), now=now())
        raise
    report = _finish_if_done(ledger, plan, options, run, step, keys, candidates, room, rows, now)
    report.sent = True
    report.findings = findings
    if progress is not None:
        done = report.counts["selected"] - report.counts["pending"]
        progress(Progress(run.id, step, step + int(report.more), "confirmed", done,
                          report.counts["selected"]))  # fmt: skip
    return report


def stop_run(ledger: Ledger, run_id: int, error: SyncError) -> None:
    """Stop an active run whose next step could not start (daily limit, HubSpot unavailable).

    The rows its confirmed batches sent stay recorded, and the next run sends the rest.
    """
    run = ledger.get_run(run_id)
    if run is None or run.state != RUN_ACTIVE:
        return
    ledger.finish_run(run_id, RUN_STOPPED, counts=dict(run.counts or {}), message=str(error))
    logger.warning("Run %d stopped before its next step: %s", run_id, error)


def _created_before_crash(
    rows: list[RowPlan], outcomes: list[OutcomeRecord]
) -> list[OutcomeRecord]:
    """Record as created the deals of a batch sent again that the plan still had to create.

    HubSpot reports such a deal as updated when the dead attempt created it;
    the run created it all the same, so the run's counts keep it as created.
    """
    to_create = {row.row_key for row in rows if row.action == CREATE}
    return [
        replace(outcome, action="create")
        if outcome.object_type == "deal" and outcome.row_key in to_create
        and outcome.action == "update"
        else outcome
        for outcome in outcomes
    ]  # fmt: skip


def _send_links(
    queue: AssociationQueue,
    client: CrmWriter,
    ledger: Ledger,
    run_id: int,
    sheet_id: str,
    findings: list[Finding],
    now: Callable[[], dt.datetime],
) -> None:
    """Send the batch's links and record the rows they settle, also when a call raises."""
    try:
        queue.send(client, full_only=False)
    finally:
        settled = queue.take_settled()
        if settled:
            ledger.confirm_associations(
                run_id, sheet_id, settled.outcomes, settled.states, now=now()
            )
            findings.extend(settled.findings)


def _find_run(
    ledger: Ledger,
    plan: SyncPlan,
    options: RunOptions,
    run_id: int | None,
    now: Callable[[], dt.datetime],
) -> tuple[Run, tuple[str, ...]]:
    """Return the run to continue and the row keys to send first (those of a dead run taken over)."""
    if run_id is not None:
        run = ledger.get_run(run_id)
        if run is None:
            raise KeyError(run_id)
        return run, ()
    active = ledger.active_run(plan.sheet_id)
    if active is not None and options.user is not None and active.user == options.user:
        return active, ()
    started = ledger.start_run(
        plan.sheet_id, user=options.user, mode=options.mode, wave=options.wave,
        row_limit=options.limit, plan_totals=plan.totals, resume=options.resume, now=now(),
    )  # fmt: skip
    run = ledger.get_run(started.id)
    assert run is not None  # just inserted
    return run, started.resend_keys


def _finish_if_done(
    ledger: Ledger,
    plan: SyncPlan,
    options: RunOptions,
    run: Run,
    step: int,
    keys: list[str],
    candidates: list[RowPlan],
    room: int,
    rows: list[RowPlan],
    now: Callable[[], dt.datetime],
) -> StepReport:
    """Report the step; finish the run when no candidate row and no room is left after it."""
    report = _report(ledger, plan, options, run, step, RUN_ACTIVE, keys, candidates, room, False)
    report.rows = rows
    if report.state == RUN_ACTIVE:
        ledger.heartbeat(run.id, now=now())
        return report
    report.state = RUN_FINISHED
    ledger.finish_run(run.id, RUN_FINISHED, counts=report.counts, now=now())
    logger.info("Run %d finished at step %d: %s", run.id, step, report.counts)
    return report


def _report(
    ledger: Ledger,
    plan: SyncPlan,
    options: RunOptions,
    run: Run,
    step: int,
    state: str,
    keys: list[str],
    candidates: list[RowPlan],
    room: int,
    sent: bool,
) -> StepReport:
    """Build the step's report with counts read back from the ledger, so that repeats count once."""
    batches = ledger.batches(run.id)
    confirmed = [
        key for batch in batches if batch.state == BATCH_CONFIRMED for key in batch.row_keys
    ]
    states = ledger.row_states(plan.sheet_id)
    statuses = {
        key: states[key].last_status or SYNCED for key in dict.fromkeys(confirmed) if key in states
    }
    this_batch = set(keys)
    left = [row for row in candidates if row.row_key not in this_batch]
    room_after = room - len(keys)
    if state == RUN_ACTIVE and (not left or room_after <= 0):
        state = RUN_FINISHED
    selected = _sent_keys(batches, keys) + (min(len(left), room_after) if state == RUN_ACTIVE
                                            else 0)  # fmt: skip
    # A row sent twice (its batch sent again after a crash) counts once, as created
    # when any of its deal outcomes created the deal.
    actions: dict[str, str] = {}
    for outcome in ledger.outcomes(run.id):
        is_deal = outcome.object_type == "deal" and outcome.status == SYNCED
        if is_deal and actions.get(outcome.row_key) != "create":
            actions[outcome.row_key] = outcome.action
    created = sum(1 for action in actions.values() if action == "create")
    updated = sum(1 for action in actions.values() if action == "update")
    values = list(statuses.values())
    counts = {
        "selected": selected,
        "skipped": _skipped(plan, options),
        "created": created,
        "updated": updated,
        "batches": sum(1 for batch in batches if batch.state == BATCH_CONFIRMED),
        "synced": values.count(SYNCED),
        "rejected": values.count(REJECTED),
        "conflicts": values.count(CONFLICT),
        # A row whose records are written but whose links are not is still pending.
        "pending": max(0, selected - len(statuses)) + values.count(ASSOCIATION_PENDING),
    }
    return StepReport(run.id, step, state, sent, [], statuses, counts)


def _sent_keys(batches: list[Batch], keys: list[str]) -> int:
    return len({key for batch in batches for key in batch.row_keys} | set(keys))


def _skipped(plan: SyncPlan, options: RunOptions) -> int:
    return sum(1 for row in plan.rows if row.action == CREATE) if options.update_only else 0
