"""The staged runner: send the next N eligible rows (or one wave) to HubSpot in batches.

Each batch of at most ``MAX_ROWS_PER_BATCH`` rows is recorded in the ledger
before anything is sent and confirmed with its row outcomes afterwards, so a
run whose process dies leaves its unconfirmed batch behind for the next run to
send again. Sending again is safe because every write is an upsert by a unique
key (the row key for deals, email for contacts, corporate number or domain for
companies), so each row exists once in HubSpot however often it is sent.

Association links are not sent per batch: an ``AssociationQueue`` gathers
them across batches and sends a call when an association type has 2,000
pairs waiting, and the rest at the end of the run. Until its links are sent,
a row is confirmed as ``association_pending``, never as ``synced``, so a run
that dies before the links are sent leaves the row for the next run to send
again, links included; the next run sends such rows first.

A daily-limit 429 or HubSpot staying unavailable stops the run cleanly (state
``stopped``) after one attempt to send the waiting links: the rows not
confirmed stay pending and the next run continues with them. Any other
exception leaves the run active, as a killed process would, and sends no
waiting link; the next run takes it over with ``resume`` or once it is stale.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sync.associations import AssociationQueue, SettledRows
from sync.batch import ASSOCIATION_PENDING, CONFLICT, REJECTED, SYNCED, BatchSender
from sync.errors import DailyLimitReached, HubSpotFatalError, HubSpotRetriableError, SyncError
from sync.hubspot.client import MAX_ASSOCIATION_BATCH_SIZE
from sync.ledger import Ledger, utc_now
from sync.ledger_tables import RUN_FAILED, RUN_FINISHED, RUN_STOPPED
from sync.plan import CREATE, RowPlan, SyncPlan
from sync.ports import CrmWriter
from validators.engine import ValidationResult
from validators.findings import Finding

logger = logging.getLogger(__name__)

MAX_ROWS_PER_BATCH = 100  # HubSpot's limit of inputs per batch call
RUN_DRY = "dry_run"


@dataclass(frozen=True)
class RunOptions:
    limit: int | None = None  # rows to send; None: every eligible row
    wave: str | None = None
    update_only: bool = False  # never create a record
    dry_run: bool = False  # plan the run, send nothing, record nothing
    resume: bool = False  # take over the sheet's active run even if it is not stale
    user: str | None = None
    batch_size: int = MAX_ROWS_PER_BATCH
    association_batch_size: int = MAX_ASSOCIATION_BATCH_SIZE  # pairs per call, at most 2,000

    @property
    def mode(self) -> str:
        if self.dry_run:
            return RUN_DRY
        return "update_only" if self.update_only else "run"


@dataclass(frozen=True)
class Progress:
    """A run's position, reported after each step of a batch and after each send of links."""

    run_id: int
    batch_number: int
    batch_count: int
    step: str  # companies, contacts, deals, confirmed, associations
    rows_done: int
    rows_total: int


@dataclass
class RunReport:
    run_id: int | None
    state: str  # finished, stopped, dry_run
    selected: list[RowPlan]
    statuses: dict[str, str] = field(default_factory=dict)  # row key -> synced/rejected/...
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    stop_error: SyncError | None = None
    resumed_from: int | None = None


def select_rows(plan: SyncPlan, options: RunOptions, first: tuple[str, ...] = ()) -> list[RowPlan]:
    """Return the rows a run sends: eligible rows (updates only in update-only mode), up to the limit."""
    rows = plan.eligible(first)
    if options.update_only:
        rows = [row for row in rows if row.action != CREATE]
    if options.limit is not None:
        rows = rows[: options.limit]
    return rows


def run_sync(
    result: ValidationResult,
    plan: SyncPlan,
    ledger: Ledger,
    client: CrmWriter | None,
    options: RunOptions,
    *,
    progress: Callable[[Progress], None] | None = None,
    now: Callable[[], dt.datetime] = utc_now,
) -> RunReport:
    """Send the rows ``options`` select from ``plan`` and record the run in ``ledger``."""
    if options.dry_run:
        selected = select_rows(plan, options)
        counts = {"selected": len(selected), "skipped": _skipped(plan, options)}
        return RunReport(None, RUN_DRY, selected, counts=counts)
    if client is None:
        raise ValueError("a client is needed unless dry_run is set")
    queue = AssociationQueue(options.association_batch_size)  # checks the size before a run starts

    started = ledger.start_run(
        plan.sheet_id, user=options.user, mode=options.mode, wave=options.wave,
        row_limit=options.limit, plan_totals=plan.totals, resume=options.resume, now=now(),
    )  # fmt: skip
    selected = select_rows(plan, options, (*started.resend_keys, *_waiting_for_links(plan)))
    report = RunReport(started.id, RUN_FINISHED, selected, resumed_from=started.resumed_from)
    report.counts = {"selected": len(selected), "skipped": _skipped(plan, options),
                     "created": 0, "updated": 0, "batches": 0}  # fmt: skip
    batches = [
        selected[i : i + options.batch_size] for i in range(0, len(selected), options.batch_size)
    ]
    logger.info(
        "Run %d sheet=%s: %d rows in %d batches (wave=%s, update_only=%s)",
        started.id, plan.sheet_id, len(selected), len(batches), options.wave, options.update_only,
    )  # fmt: skip

    cursor = Progress(started.id, 0, len(batches), "started", 0, len(selected))

    def step(name: str) -> None:
        if progress is not None:
            progress(Progress(cursor.run_id, cursor.batch_number, cursor.batch_count, name,
                              cursor.rows_done, cursor.rows_total))  # fmt: skip

    # One sender for the whole run keeps the ids of the companies and contacts
    # already written, so a company that many rows name is sent once per run.
    sender = BatchSender(client, result, update_only=options.update_only, now=now, step=step)
    links = _LinkSender(queue, client, ledger, report, plan.sheet_id, now=now, step=step)
    try:
        for number, rows in enumerate(batches, start=1):
            cursor = replace(cursor, batch_number=number)
            batch_id = ledger.record_batch(
                started.id, number, [row.row_key for row in rows], now=now()
            )
            outcome = sender.send(rows)
            queue.add(rows, outcome)
            ledger.confirm_batch(
                started.id, batch_id, plan.sheet_id, outcome.outcomes, outcome.states, now=now()
            )
            report.findings.extend(outcome.findings)
            report.statuses.update(outcome.statuses)
            report.counts["created"] += outcome.created
            report.counts["updated"] += outcome.updated
            report.counts["batches"] += 1
            cursor = replace(cursor, rows_done=cursor.rows_done + len(rows))
            step("confirmed")
            if queue.is_full:
                links.send(full_only=True)
        links.send(full_only=False)
    except (DailyLimitReached, HubSpotRetriableError) as error:
        report.state = RUN_STOPPED
        report.stop_error = error
        logger.warning(
            "Run %d stopped after %d of %d rows: %s",
            started.id, cursor.rows_done, len(selected), error,
        )  # fmt: skip
        links.send_before_stop()
    except HubSpotFatalError as error:
        links.send_before_stop()
        _count(report)
        ledger.finish_run(
            started.id, RUN_FAILED, counts=report.counts, message=str(error), now=now()
        )
        raise

    _count(report)
    message = str(report.stop_error) if report.stop_error else None
    ledger.finish_run(started.id, report.state, counts=report.counts, message=message, now=now())
    return report


def _waiting_for_links(plan: SyncPlan) -> list[str]:
    """Return the keys of rows written by an earlier run that ended before sending their links."""
    return [
        row.row_key for row in plan.rows
        if row.row_key and row.state is not None and row.state.last_status == ASSOCIATION_PENDING
    ]  # fmt: skip


class _LinkSender:
    """Sends the run's waiting links and records the rows they settle in the ledger."""

    def __init__(
        self,
        queue: AssociationQueue,
        client: CrmWriter,
        ledger: Ledger,
        report: RunReport,
        sheet_id: str,
        *,
        now: Callable[[], dt.datetime],
        step: Callable[[str], None],
    ) -> None:
        self.queue = queue
        self.client = client
        self.ledger = ledger
        self.report = report
        self.sheet_id = sheet_id
        self.now = now
        self.step = step
        self.failed = False  # sending links raised: do not try again before the run stops

    def send(self, *, full_only: bool) -> None:
        try:
            calls = self.queue.send(self.client, full_only=full_only)
        except SyncError:
            self.failed = True
            raise
        finally:
            # Rows settled before an exception are recorded all the same.
            self._record(self.queue.take_settled())
        if calls:
            self.step("associations")

    def send_before_stop(self) -> None:
        """Try once to send the links of the rows already written; keep them pending on failure.

        The error that stops the run may not stop this call (a rejected
        request, a service that has recovered since). When it does, the rows
        stay ``association_pending`` and the next run sends them again.
        """
        if self.failed or not self.queue.pending_rows:
            return
        try:
            self.send(full_only=False)
        except SyncError as error:
            logger.warning(
                "Run %d: links of %d written rows were not sent; the next run sends them: %s",
                self.report.run_id, self.queue.pending_rows, error,
            )  # fmt: skip

    def _record(self, settled: SettledRows) -> None:
        if not settled:
            return
        self.ledger.confirm_associations(
            self.report.run_id, self.sheet_id, settled.outcomes, settled.states, now=self.now()
        )
        self.report.findings.extend(settled.findings)
        self.report.statuses.update(settled.statuses)


def _skipped(plan: SyncPlan, options: RunOptions) -> int:
    return sum(1 for row in plan.rows if row.action == CREATE) if options.update_only else 0


def _count(report: RunReport) -> None:
    statuses = list(report.statuses.values())
    report.counts["synced"] = statuses.count(SYNCED)
    report.counts["rejected"] = statuses.count(REJECTED)
    report.counts["conflicts"] = statuses.count(CONFLICT)
    # A row whose records are written but whose links are not is still pending.
    report.counts["pending"] = len(report.selected) - len(statuses)
    report.counts["pending"] += statuses.count(ASSOCIATION_PENDING)
