"""Association links gathered across row batches and sent up to 2,000 pairs per call.

HubSpot accepts 2,000 pairs in one association batch call but only 100
records in one object batch call. ``AssociationQueue`` therefore collects the
links (deal-company, deal-contact, contact-company) of many row batches and
sends one call per association type when that type has ``max_pairs`` pairs
waiting, and the rest when the runner drains it.

A row whose records are written but whose links are not all created yet is
``association_pending``: ``add`` sets that status in the batch outcome before
the runner confirms the batch, so the ledger never records such a row as
``synced``. When its last link has been sent, the row is settled as
``synced``, or as ``association_failed`` when HubSpot rejected one of its
links. A run that dies or stops before that leaves the row pending in the
ledger, the next plan sends it again, and its links are created then.
Re-sending a link is safe because HubSpot keeps one association per pair
however often it is created.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sync.batch import (
    ASSOCIATION_FAILED,
    ASSOCIATION_PENDING,
    SYNCED,
    BatchOutcome,
    Link,
    with_status,
)
from sync.hubspot.client import MAX_ASSOCIATION_BATCH_SIZE
from sync.hubspot.types import AssociationResult, RecordError
from sync.ledger import OutcomeRecord, SyncedState
from sync.plan import RowPlan
from sync.ports import CrmWriter
from validators.findings import Code, Finding, Severity

logger = logging.getLogger(__name__)

PENDING_MESSAGE = "records written; associations not created yet"

Pair = tuple[str, str]  # (from id, to id)
PairType = tuple[str, str]  # (from object type, to object type)


@dataclass
class WaitingRow:
    """A row whose records are written and whose links are not all sent yet."""

    row: RowPlan
    state: SyncedState  # the association_pending state stored in the ledger
    open_links: int
    failures: list[tuple[str, RecordError]] = field(default_factory=list)


@dataclass
class SettledRows:
    """Rows whose last link was sent, ready for ``Ledger.confirm_associations``."""

    outcomes: list[OutcomeRecord] = field(default_factory=list)
    states: list[SyncedState] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # row key -> synced, association_failed

    def __bool__(self) -> bool:
        return bool(self.states)


class AssociationQueue:
    """Links of confirmed batches, waiting to be sent in calls of up to ``max_pairs`` pairs."""

    def __init__(self, max_pairs: int = MAX_ASSOCIATION_BATCH_SIZE) -> None:
        if not 1 <= max_pairs <= MAX_ASSOCIATION_BATCH_SIZE:
            raise ValueError(
                f"max_pairs must be between 1 and {MAX_ASSOCIATION_BATCH_SIZE}, not {max_pairs}"
            )
        self.max_pairs = max_pairs
        # Pairs in the order they were queued, each with the rows that wait for it.
        self.pending: dict[PairType, dict[Pair, list[str]]] = {}
        # Pairs HubSpot has associated during this run: a later row naming one
        # (a contact's company, shared by many deals) does not send it again.
        self.associated: set[tuple[str, str, str, str]] = set()
        self.waiting: dict[str, WaitingRow] = {}
        self._settled = SettledRows()

    @property
    def is_full(self) -> bool:
        """True when some association type has a whole call's worth of pairs waiting."""
        return any(len(pairs) >= self.max_pairs for pairs in self.pending.values())

    @property
    def pending_rows(self) -> int:
        return len(self.waiting)

    def add(self, rows: Iterable[RowPlan], outcome: BatchOutcome) -> None:
        """Queue the links of a sent batch; mark its rows that wait for one ``association_pending``.

        Call this before the batch is confirmed in the ledger, because it
        changes the statuses and states of ``outcome`` in place.
        """
        by_key = {row.row_key: row for row in rows}
        links_by_row: dict[str, list[Link]] = {}
        for link in outcome.links:
            links_by_row.setdefault(link.row_key, []).append(link)

        for index, state in enumerate(outcome.states):
            if state.last_status != SYNCED:
                continue
            open_links = [
                link for link in links_by_row.get(state.row_key, [])
                if (link.from_type, link.from_id, link.to_type, link.to_id) not in self.associated
            ]  # fmt: skip
            if not open_links:
                continue
            pending = with_status(state, ASSOCIATION_PENDING, PENDING_MESSAGE)
            outcome.states[index] = pending
            outcome.statuses[state.row_key] = ASSOCIATION_PENDING
            self.waiting[state.row_key] = WaitingRow(
                by_key[state.row_key], pending, len(open_links)
            )
            for link in open_links:
                pairs = self.pending.setdefault((link.from_type, link.to_type), {})
                pairs.setdefault((link.from_id, link.to_id), []).append(link.row_key)

    def send(self, client: CrmWriter, *, full_only: bool) -> int:
        """Send waiting pairs, one call of at most ``max_pairs`` per association type at a time.

        With ``full_only`` only whole calls are sent and the remainder keeps
        waiting for later batches. Returns the number of calls. A call that
        raises leaves its pairs waiting. Rows settled by the calls before it
        are kept for ``take_settled``.
        """
        calls = 0
        for pair_type in list(self.pending):
            pairs = self.pending[pair_type]
            while len(pairs) >= (self.max_pairs if full_only else 1):
                chunk = list(pairs)[: self.max_pairs]
                result = client.associate_default(pair_type[0], pair_type[1], chunk)
                calls += 1
                self._file_result(pair_type, chunk, result)
                for pair in chunk:
                    del pairs[pair]
            if not pairs:
                del self.pending[pair_type]
        return calls

    def take_settled(self) -> SettledRows:
        """Return the rows settled since the last call and forget them."""
        settled, self._settled = self._settled, SettledRows()
        return settled

    # -- results ----------------------------------------------------------------

    def _file_result(
        self, pair_type: PairType, chunk: list[Pair], result: AssociationResult
    ) -> None:
        from_type, to_type = pair_type
        done = set(result.associated)
        # A 400 for the whole call names no pair; every pair it did not
        # associate gets that error.
        fallback = (
            result.unassigned_errors[0]
            if result.unassigned_errors
            else RecordError(code="NOT_ASSOCIATED", message="HubSpot did not confirm the link")
        )
        for pair in chunk:
            error = None
            if pair in done:
                self.associated.add((from_type, pair[0], to_type, pair[1]))
            else:
                error = result.errors.get(pair, fallback)
                logger.warning(
                    "HubSpot did not associate %s %s with %s %s: %s",
                    from_type, pair[0], to_type, pair[1], error.message,
                )  # fmt: skip
            for row_key in self.pending[pair_type][pair]:
                self._resolve_link(row_key, to_type, error)

    def _resolve_link(self, row_key: str, to_type: str, error: RecordError | None) -> None:
        waiting = self.waiting[row_key]
        waiting.open_links -= 1
        if error is not None:
            waiting.failures.append((to_type, error))
        if waiting.open_links > 0:
            return
        del self.waiting[row_key]
        if waiting.failures:
            self._settle_failed(waiting)
            return
        self._settled.states.append(with_status(waiting.state, SYNCED, None))
        self._settled.statuses[row_key] = SYNCED

    def _settle_failed(self, waiting: WaitingRow) -> None:
        row, state = waiting.row, waiting.state
        detail = "; ".join(
            f"{to_type}: {error.message} [{error.code}]" for to_type, error in waiting.failures
        )
        settled = self._settled
        settled.states.append(with_status(state, ASSOCIATION_FAILED, detail))
        settled.statuses[row.row_key] = ASSOCIATION_FAILED
        settled.outcomes.append(
            OutcomeRecord(row.row_key, "association", "associate", ASSOCIATION_FAILED,
                          state.deal_id, detail, row.mapped.content_hash if row.mapped else None)
        )  # fmt: skip
        for to_type, error in waiting.failures:
            settled.findings.append(
                Finding(
                    row=row.sheet_row,
                    column=None,
                    column_letter=None,
                    code=Code.ASSOCIATION_FAILED,
                    severity=Severity.WARNING,
                    value=None,
                    params={"label": "", "target": to_type, "detail": error.message},
                )
            )
