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

Association links are carried across steps, as the single-process runner
does. A batch's rows that need links are confirmed ``association_pending``.
Each step rebuilds the run's waiting pairs from the HubSpot ids the ledger
stores for those rows, sends a call only for a type with 2,000 pairs waiting,
and sends every remaining pair at the run's last step. A step that dies
before its links are recorded leaves its rows pending, and the same step
delivered again sends their links, even when its batch was confirmed already.
HubSpot keeps one association per pair, so sending a pair twice is harmless.
While the run is active, such rows count as neither synced nor pending.

A daily-limit 429 or HubSpot staying unavailable stops the run (state
``stopped``) after one attempt to send the waiting links and recording what
was confirmed. The rows not confirmed, and those whose links were not sent,
stay pending for the next run. A rejected token or another fatal HubSpot error
fails the run and is raised. Any other exception leaves the run active, as a
killed process would, and the next call with the same step continues it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sync.associations import AssociationQueue
from sync.batch import (
    ASSOCIATION_PENDING,
    CONFLICT,
    REJECTED,
    SYNCED,
    BatchOutcome,
    BatchSender,
    Link,
    with_status,
)
from sync.errors import DailyLimitReached, HubSpotFatalError, HubSpotRetriableError, SyncError
from sync.ledger import Ledger, OutcomeRecord, SyncedState, utc_now
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

    findings: list[Finding] = []
    sent = False
    keys: list[str] = []
    try:
        if current is not None and current.state == BATCH_CONFIRMED:
            # Delivered again after its batch was confirmed: only the waiting
            # links may still need sending, when this is the run's last step.
            planned = plan.by_key()
            keys = list(current.row_keys)
            rows = [planned[key] for key in keys if key in planned]
            logger.info("Run %d batch %d already confirmed; no record sent", run.id, step)
        else:
            rows, keys = _send_batch(
                result, plan, ledger, client, options, run, step, current, candidates, room,
                findings, now,
            )  # fmt: skip
            sent = bool(rows)
        last = _is_last_step(candidates, keys, room)
        _send_waiting_links(ledger, plan, client, options, run.id, findings, now, last=last)
    except (DailyLimitReached, HubSpotRetriableError) as error:
        _send_links_before_stop(ledger, plan, client, options, run.id, findings, now)
        report = _report(ledger, plan, options, run, step, RUN_STOPPED, keys, candidates, room,
                         True)  # fmt: skip
        report.stop_error = error
        report.findings = findings
        ledger.finish_run(run.id, RUN_STOPPED, counts=report.counts, message=str(error), now=now())
        logger.warning("Run %d stopped at batch %d: %s", run.id, step, error)
        return report
    except HubSpotFatalError as error:
        _send_links_before_stop(ledger, plan, client, options, run.id, findings, now)
        counts = _report(ledger, plan, options, run, step, RUN_FAILED, keys, candidates, room,
                         True).counts  # fmt: skip
        ledger.finish_run(run.id, RUN_FAILED, counts=counts, message=str(error), now=now())
        raise
    report = _finish_if_done(ledger, plan, options, run, step, keys, candidates, room, rows, now)
    report.sent = sent
    report.findings = findings
    if sent and progress is not None:
        done = report.counts["selected"] - report.counts["pending"]
        progress(Progress(run.id, step, step + int(report.more), "confirmed", done,
                          report.counts["selected"]))  # fmt: skip
    return report


def _send_batch(
    result: ValidationResult,
    plan: SyncPlan,
    ledger: Ledger,
    client: CrmWriter,
    options: RunOptions,
    run: Run,
    step: int,
    current: Batch | None,
    candidates: list[RowPlan],
    room: int,
    findings: list[Finding],
    now: Callable[[], dt.datetime],
) -> tuple[list[RowPlan], list[str]]:
    """Record, send and confirm batch ``step``; return its rows and row keys.

    The rows whose links are still to be created are confirmed as
    ``association_pending``, and ``_send_waiting_links`` settles them later.
    """
    by_key = {row.row_key: row for row in candidates}
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
            return [], []
        batch_id = ledger.record_batch(run.id, step, [row.row_key for row in rows], now=now())

    sender = BatchSender(client, result, update_only=options.update_only, now=now)
    keys = list(current.row_keys) if current is not None else [row.row_key for row in rows]
    outcome = sender.send(rows)
    if current is not None:
        outcome.outcomes = _created_before_crash(rows, outcome.outcomes)
    # ``add`` sets association_pending on the rows of ``outcome`` that wait for a
    # link. The queue itself is dropped, because later steps rebuild it from the ledger.
    AssociationQueue().add(rows, outcome)
    ledger.confirm_batch(
        run.id, batch_id, plan.sheet_id, outcome.outcomes, outcome.states, now=now()
    )
    findings.extend(outcome.findings)
    return rows, keys


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


def _waiting_links(ledger: Ledger, plan: SyncPlan, run_id: int, max_pairs: int) -> AssociationQueue:
    """Rebuild the run's association queue from the ledger: its rows still ``association_pending``.

    The pairs come from the HubSpot ids stored in each row's state, so any
    instance can send them. A row gets a link to its company or contact only
    when the sheet row still names one, as ``BatchSender`` does.
    """
    states = ledger.row_states(plan.sheet_id)
    planned = plan.by_key()
    confirmed = [
        key
        for batch in ledger.batches(run_id)
        if batch.state == BATCH_CONFIRMED
        for key in batch.row_keys
    ]
    rows: list[RowPlan] = []
    outcome = BatchOutcome()
    for key in dict.fromkeys(confirmed):
        state, row = states.get(key), planned.get(key)
        if state is None or row is None or state.last_status != ASSOCIATION_PENDING:
            continue
        rows.append(row)
        # ``add`` queues the links of rows written as synced and marks them pending again.
        outcome.states.append(with_status(state, SYNCED, None))
        outcome.links.extend(_stored_links(row, state))
    queue = AssociationQueue(max_pairs)
    queue.add(rows, outcome)
    return queue


def _stored_links(row: RowPlan, state: SyncedState) -> list[Link]:
    """Return the links of a written row, built from the HubSpot ids the ledger stored."""
    mapped = row.mapped
    company_id = state.company_id if mapped is not None and mapped.company_key else None
    contact_id = state.contact_id if mapped is not None and mapped.contact_key else None
    links = []
    if state.deal_id and company_id:
        links.append(Link(row.row_key, "deals", state.deal_id, "companies", company_id))
    if state.deal_id and contact_id:
        links.append(Link(row.row_key, "deals", state.deal_id, "contacts", contact_id))
    if company_id and contact_id:
        links.append(Link(row.row_key, "contacts", contact_id, "companies", company_id))
    return links


def _send_waiting_links(
    ledger: Ledger,
    plan: SyncPlan,
    client: CrmWriter,
    options: RunOptions,
    run_id: int,
    findings: list[Finding],
    now: Callable[[], dt.datetime],
    *,
    last: bool,
) -> None:
    """Send the run's waiting links: every one at the last step, else only whole calls.

    The rows the calls settle are recorded also when a later call raises.
    A step that dies first leaves them ``association_pending`` in the ledger,
    so the step delivered again, or a later one, sends them.
    """
    queue = _waiting_links(ledger, plan, run_id, options.association_batch_size)
    if not queue.pending_rows or not (last or queue.is_full):
        return
    try:
        calls = queue.send(client, full_only=not last)
    finally:
        settled = queue.take_settled()
        if settled:
            ledger.confirm_associations(
                run_id, plan.sheet_id, settled.outcomes, settled.states, now=now()
            )
            findings.extend(settled.findings)
    logger.info(
        "Run %d sent %d association calls; %d rows still wait for links",
        run_id, calls, queue.pending_rows,
    )  # fmt: skip


def _send_links_before_stop(
    ledger: Ledger,
    plan: SyncPlan,
    client: CrmWriter,
    options: RunOptions,
    run_id: int,
    findings: list[Finding],
    now: Callable[[], dt.datetime],
) -> None:
    """Try once to send every waiting link before the run stops; keep the rows pending on failure."""
    try:
        _send_waiting_links(ledger, plan, client, options, run_id, findings, now, last=True)
    except SyncError as error:
        logger.warning(
            "Run %d: links of written rows were not sent; the next run sends them: %s",
            run_id, error,
        )  # fmt: skip


def _is_last_step(candidates: list[RowPlan], keys: list[str], room: int) -> bool:
    """Return whether no candidate row or no room is left after this step, as ``_report`` decides."""
    this_batch = set(keys)
    left = [row for row in candidates if row.row_key not in this_batch]
    return not left or room - len(keys) <= 0


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
        # A row written whose links wait for a later step counts as neither
        # synced nor pending while the run is active, and as pending once it ends.
        "pending": max(0, selected - len(statuses))
        + (values.count(ASSOCIATION_PENDING) if state != RUN_ACTIVE else 0),
    }
    return StepReport(run.id, step, state, sent, [], statuses, counts)


def _sent_keys(batches: list[Batch], keys: list[str]) -> int:
    return len({key for batch in batches for key in batch.row_keys} | set(keys))


def _skipped(plan: SyncPlan, options: RunOptions) -> int:
    return sum(1 for row in plan.rows if row.action == CREATE) if options.update_only else 0
