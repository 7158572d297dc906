"""Tables of the run ledger: runs, batches, per-row outcomes and the synced state of each row.

Only one run per sheet may be active at a time. The partial unique index
``uq_runs_active_sheet`` (``sheet_id`` WHERE ``state = 'active'``) enforces
this in the database, so two processes that start a run at the same moment
cannot both succeed. SQLite (3.8 and later) and PostgreSQL both support it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

from sync.db import Base

RUN_ACTIVE = "active"
RUN_FINISHED = "finished"
RUN_STOPPED = "stopped"  # stopped cleanly (daily limit, HubSpot unavailable); rows left pending
RUN_INTERRUPTED = "interrupted"  # the process died; a later run took over
RUN_FAILED = "failed"

BATCH_SENT = "sent"  # recorded before the HubSpot calls; not confirmed yet
BATCH_CONFIRMED = "confirmed"  # every row of the batch has an outcome
BATCH_RESENT = "resent"  # unconfirmed, and sent again by the run that took over


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored as naive UTC, because SQLite keeps no zone."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("ledger datetimes must be timezone-aware")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sheet_id: Mapped[str] = mapped_column(String(500), index=True)
    user: Mapped[str | None] = mapped_column(String(320))
    mode: Mapped[str] = mapped_column(String(20))  # run, update_only, dry_run
    wave: Mapped[str | None] = mapped_column(String(200))
    row_limit: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=RUN_ACTIVE)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resumed_from: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    plan_totals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index(
            "uq_runs_active_sheet",
            "sheet_id",
            unique=True,
            sqlite_where=state == RUN_ACTIVE,
            postgresql_where=state == RUN_ACTIVE,
        ),
    )


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1-based within the run
    row_keys: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default=BATCH_SENT)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RowOutcome(Base):
    __tablename__ = "row_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    row_key: Mapped[str] = mapped_column(String(200))
    object_type: Mapped[str] = mapped_column(String(20))  # deal, company, contact
    action: Mapped[str] = mapped_column(String(20))  # create, update, unchanged, skip
    status: Mapped[str] = mapped_column(String(20))  # synced, rejected, conflict, skipped
    hubspot_id: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class RowState(Base):
    """The values and ids the bridge last wrote to HubSpot for one row of one sheet."""

    __tablename__ = "row_state"

    sheet_id: Mapped[str] = mapped_column(String(500), primary_key=True)
    row_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    deal_id: Mapped[str | None] = mapped_column(String(40))
    company_id: Mapped[str | None] = mapped_column(String(40))
    contact_id: Mapped[str | None] = mapped_column(String(40))
    content_hash: Mapped[str | None] = mapped_column(String(16))
    synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # HubSpot's hs_lastmodifieddate of the deal right after the bridge wrote it.
    hubspot_modified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Deal properties as last written, to tell HubSpot-side edits from sheet edits.
    synced_properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Status of the row's last outcome: synced, rejected, conflict, association_pending
    # (records written, links not yet sent) or association_failed.
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_message: Mapped[str | None] = mapped_column(Text)
