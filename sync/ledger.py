"""The run ledger: every sync run, its batches and per-row outcomes, and each row's synced state.

``Ledger`` wraps an engine from ``sync.db.engine_from_env``. A run is
started with ``start_run`` (at most one active run per sheet, enforced by the
database), each batch is recorded with ``record_batch`` before anything is
sent and confirmed with ``confirm_batch`` after HubSpot returned its results, and the run
ends with ``finish_run``. Association links are sent for many batches at
once, after their batches were confirmed, so ``confirm_associations`` stores
the final state of the rows they settle. A run whose process died stays active; the next
``start_run`` with ``resume=True``, or after ``STALE_AFTER`` without a
heartbeat, marks it interrupted and returns the row keys of its unconfirmed
batches so that the new run sends them again first. No token or other secret
is ever written here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sync.ledger_tables import (
    BATCH_CONFIRMED,
    BATCH_RESENT,
    BATCH_SENT,
    RUN_ACTIVE,
    RUN_INTERRUPTED,
    Batch,
    RowOutcome,
    RowState,
    Run,
)
from sync.run_errors import RunInProgress

logger = logging.getLogger(__name__)

# A run whose heartbeat is older than this is taken to be dead. Runs beat once
# per batch, and one batch of 100 rows takes a few HubSpot calls.
STALE_AFTER = dt.timedelta(minutes=15)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class StartedRun:
    """A run that ``start_run`` created; ``resend_keys`` come from an interrupted run."""

    id: int
    sheet_id: str
    resumed_from: int | None = None
    resend_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutcomeRecord:
    """One row's outcome for one object type in one batch."""

    row_key: str
    object_type: str
    action: str
    status: str
    hubspot_id: str | None = None
    error_message: str | None = None
    content_hash: str | None = None


@dataclass
class SyncedState:
    """The ledger's ``row_state`` of one row as plain data."""

    row_key: str
    deal_id: str | None = None
    company_id: str | None = None
    contact_id: str | None = None
    content_hash: str | None = None
    synced_at: dt.datetime | None = None
    hubspot_modified_at: dt.datetime | None = None
    synced_properties: dict[str, Any] = field(default_factory=dict)
    last_status: str | None = None
    last_message: str | None = None


_STATE_FIELDS = tuple(name for name in SyncedState.__dataclass_fields__ if name != "row_key")


class Ledger:
    """Records runs, batches and row outcomes in the bridge's database."""

    def __init__(self, engine: Engine, *, stale_after: dt.timedelta = STALE_AFTER) -> None:
        self.engine = engine
        self.stale_after = stale_after
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    # -- runs -----------------------------------------------------------------

    def start_run(
        self,
        sheet_id: str,
        *,
        user: str | None = None,
        mode: str = "run",
        wave: str | None = None,
        row_limit: int | None = None,
        plan_totals: dict[str, Any] | None = None,
        resume: bool = False,
        now: dt.datetime | None = None,
    ) -> StartedRun:
        """Create the sheet's active run, taking over a dead one; raise ``RunInProgress``.

        An active run is taken over when ``resume`` is set or its heartbeat is
        older than ``stale_after``. The database's unique index decides between
        two processes that start at the same moment: the second gets
        ``RunInProgress``.
        """
        now = now or utc_now()
        try:
            with self.session() as session, session.begin():
                previous = session.scalars(
                    select(Run).where(Run.sheet_id == sheet_id, Run.state == RUN_ACTIVE)
                ).first()
                resend: list[str] = []
                if previous is not None:
                    if not (resume or previous.heartbeat_at < now - self.stale_after):
                        raise RunInProgress(
                            sheet_id, previous.id, previous.user, previous.started_at
                        )
                    resend = self._take_over(session, previous, now)
                run = Run(
                    sheet_id=sheet_id,
                    user=user,
                    mode=mode,
                    wave=wave,
                    row_limit=row_limit,
                    state=RUN_ACTIVE,
                    started_at=now,
                    heartbeat_at=now,
                    resumed_from=previous.id if previous is not None else None,
                    plan_totals=plan_totals or {},
                    counts={},
                )
                session.add(run)
                session.flush()
                started = StartedRun(run.id, sheet_id, run.resumed_from, tuple(resend))
        except IntegrityError:
            active = self.active_run(sheet_id)
            raise RunInProgress(
                sheet_id,
                active.id if active else None,
                active.user if active else None,
                active.started_at if active else None,
            ) from None
        except OperationalError as error:
            # SQLite reports a writer that waited past its busy timeout as
            # "database is locked": another process is starting a run right now.
            if "locked" not in str(error).lower():
                raise
            raise RunInProgress(sheet_id, None, None, None) from None
        logger.info(
            "Started sync run %d sheet=%s mode=%s wave=%s resumed_from=%s",
            started.id, sheet_id, mode, wave, started.resumed_from,
        )  # fmt: skip
        return started

    def _take_over(self, session: Session, previous: Run, now: dt.datetime) -> list[str]:
        """Mark ``previous`` interrupted and return the row keys of its unconfirmed batches."""
        previous.state = RUN_INTERRUPTED
        previous.finished_at = now
        previous.message = "interrupted: taken over by a new run"
        batches = session.scalars(
            select(Batch)
            .where(Batch.run_id == previous.id, Batch.state == BATCH_SENT)
            .order_by(Batch.number)
        ).all()
        keys: list[str] = []
        for batch in batches:
            batch.state = BATCH_RESENT
            keys.extend(batch.row_keys)
        # The index allows one active run per sheet, so the old run must leave
        # the active state before the new one is inserted.
        session.flush()
        logger.warning(
            "Run %d of sheet %s was interrupted; %d rows of %d unconfirmed batches are sent again",
            previous.id, previous.sheet_id, len(keys), len(batches),
        )  # fmt: skip
        return list(dict.fromkeys(keys))

    def heartbeat(self, run_id: int, *, now: dt.datetime | None = None) -> None:
        with self.session() as session, session.begin():
            session.execute(
                update(Run).where(Run.id == run_id).values(heartbeat_at=now or utc_now())
            )

    def finish_run(
        self,
        run_id: int,
        state: str,
        *,
        counts: dict[str, Any] | None = None,
        message: str | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        """End a run in ``state`` (finished, stopped or failed) with its counts."""
        now = now or utc_now()
        with self.session() as session, session.begin():
            run = session.get(Run, run_id)
            if run is None:
                raise KeyError(run_id)
            run.state = state
            run.finished_at = now
            run.heartbeat_at = now
            run.counts = counts or {}
            run.message = message
        logger.info("Finished sync run %d state=%s counts=%s", run_id, state, counts)

    def active_run(self, sheet_id: str) -> Run | None:
        with self.session() as session:
            return session.scalars(
                select(Run).where(Run.sheet_id == sheet_id, Run.state == RUN_ACTIVE)
            ).first()

    def active_runs(self, sheet_id_prefix: str) -> list[Run]:
        """Return the active runs of every sheet whose id starts with ``sheet_id_prefix``."""
        with self.session() as session:
            return list(
                session.scalars(
                    select(Run).where(
                        Run.sheet_id.startswith(sheet_id_prefix, autoescape=True),
                        Run.state == RUN_ACTIVE,
                    )
                )
            )

    def get_run(self, run_id: int) -> Run | None:
        with self.session() as session:
            return session.get(Run, run_id)

    def runs(self, sheet_id: str) -> list[Run]:
        with self.session() as session:
            return list(
                session.scalars(select(Run).where(Run.sheet_id == sheet_id).order_by(Run.id))
            )

    # -- batches and outcomes -------------------------------------------------

    def record_batch(
        self, run_id: int, number: int, row_keys: Iterable[str], *, now: dt.datetime | None = None
    ) -> int:
        """Record a batch as sent (before any HubSpot call) and return its id."""
        now = now or utc_now()
        with self.session() as session, session.begin():
            batch = Batch(
                run_id=run_id, number=number, row_keys=list(row_keys), state=BATCH_SENT,
                created_at=now,
            )  # fmt: skip
            session.add(batch)
            session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=now))
            session.flush()
            return batch.id

    def confirm_batch(
        self,
        run_id: int,
        batch_id: int,
        sheet_id: str,
        outcomes: Iterable[OutcomeRecord],
        states: Iterable[SyncedState],
        *,
        now: dt.datetime | None = None,
    ) -> None:
        """Store a batch's row outcomes and new row states and mark it confirmed, atomically."""
        now = now or utc_now()
        with self.session() as session, session.begin():
            session.add_all(_outcome_rows(run_id, batch_id, outcomes, now))
            for state in states:
                self._save_state(session, sheet_id, state)
            batch = session.get(Batch, batch_id)
            if batch is None:
                raise KeyError(batch_id)
            batch.state = BATCH_CONFIRMED
            batch.confirmed_at = now
            session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=now))

    def confirm_associations(
        self,
        run_id: int,
        sheet_id: str,
        outcomes: Iterable[OutcomeRecord],
        states: Iterable[SyncedState],
        *,
        now: dt.datetime | None = None,
    ) -> None:
        """Store the outcomes and new states of rows whose links were sent, atomically.

        The rows' batches were confirmed earlier with the rows
        ``association_pending``. Links are sent for many batches at once, so
        these outcomes belong to no single batch and have no batch id.
        """
        now = now or utc_now()
        with self.session() as session, session.begin():
            session.add_all(_outcome_rows(run_id, None, outcomes, now))
            for state in states:
                self._save_state(session, sheet_id, state)
            session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=now))

    def _save_state(self, session: Session, sheet_id: str, state: SyncedState) -> None:
        row = session.get(RowState, (sheet_id, state.row_key))
        if row is None:
            row = RowState(sheet_id=sheet_id, row_key=state.row_key)
            session.add(row)
        for name in _STATE_FIELDS:
            setattr(row, name, getattr(state, name))

    def row_states(self, sheet_id: str) -> dict[str, SyncedState]:
        """Return the synced state of every row of the sheet stored in the ledger, by row key."""
        with self.session() as session:
            rows = session.scalars(select(RowState).where(RowState.sheet_id == sheet_id)).all()
            return {
                row.row_key: SyncedState(
                    row.row_key, **{name: getattr(row, name) for name in _STATE_FIELDS}
                )
                for row in rows
            }

    def outcomes(self, run_id: int) -> list[RowOutcome]:
        with self.session() as session:
            return list(
                session.scalars(
                    select(RowOutcome).where(RowOutcome.run_id == run_id).order_by(RowOutcome.id)
                )
            )

    def batches(self, run_id: int) -> list[Batch]:
        with self.session() as session:
            return list(
                session.scalars(select(Batch).where(Batch.run_id == run_id).order_by(Batch.number))
            )


def _outcome_rows(
    run_id: int, batch_id: int | None, outcomes: Iterable[OutcomeRecord], now: dt.datetime
) -> list[RowOutcome]:
    return [
        RowOutcome(
            run_id=run_id,
            batch_id=batch_id,
            row_key=outcome.row_key,
            object_type=outcome.object_type,
            action=outcome.action,
            status=outcome.status,
            hubspot_id=outcome.hubspot_id,
            error_message=outcome.error_message,
            content_hash=outcome.content_hash,
            created_at=now,
        )
        for outcome in outcomes
    ]
