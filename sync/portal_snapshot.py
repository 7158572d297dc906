"""The portal a run's pre-flight read, kept with the run so that later steps need not read it again.

A run sent in steps (``sync.steps``, one Cloud Tasks request per batch) reads
the portal's properties, pipelines, validation rules and owners at its first
step and stores them here, keyed by run id. A later step, on any instance,
loads the snapshot and checks the design against it again without a HubSpot
request. A snapshot older than ``PORTAL_MAX_AGE`` is not used: the step reads
the portal again, because an admin may change it during a long migration.

The table is declared on ``sync.db.Base``, so ``create_schema`` creates it
with the ledger's tables as long as this module was imported first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from sqlalchemy import JSON, ForeignKey, delete
from sqlalchemy.orm import Mapped, mapped_column

from sync.db import Base
from sync.ledger import Ledger, utc_now
from sync.ledger_tables import UTCDateTime
from sync.preflight import Portal

logger = logging.getLogger(__name__)

# A step of 100 rows takes a few seconds (an estimate, not measured on App
# Engine), so a 10,000-row run of 100 steps reads the portal a few times. A property or option deleted in
# HubSpot meanwhile shows up as rows rejected with HubSpot's 400 until the
# next read, never as a wrong write, because HubSpot validates every value.
PORTAL_MAX_AGE = dt.timedelta(minutes=10)


class RunPortal(Base):
    """The portal snapshot of one run and when it was read."""

    __tablename__ = "run_portals"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    portal: Mapped[dict[str, Any]] = mapped_column(JSON)


def save_portal(
    ledger: Ledger, run_id: int, portal: Portal, *, read_at: dt.datetime | None = None
) -> None:
    """Store ``portal`` as run ``run_id``'s snapshot, replacing an older one."""
    with ledger.session() as session, session.begin():
        session.merge(
            RunPortal(
                run_id=run_id, read_at=read_at or utc_now(), portal=dataclasses.asdict(portal)
            )
        )
    logger.info("Stored the portal snapshot of run %d", run_id)


def load_portal(
    ledger: Ledger,
    run_id: int,
    *,
    max_age: dt.timedelta = PORTAL_MAX_AGE,
    now: dt.datetime | None = None,
) -> Portal | None:
    """Return run ``run_id``'s snapshot, or None when it has none or it is older than ``max_age``."""
    with ledger.session() as session:
        stored = session.get(RunPortal, run_id)
    if stored is None:
        return None
    age = (now or utc_now()) - stored.read_at
    if age > max_age:
        logger.info("Portal snapshot of run %d is %s old; reading the portal again", run_id, age)
        return None
    return Portal(**stored.portal)


def forget_portal(ledger: Ledger, run_id: int) -> None:
    """Delete run ``run_id``'s snapshot once the run has ended, because it contains owner names and emails."""
    with ledger.session() as session, session.begin():
        session.execute(delete(RunPortal).where(RunPortal.run_id == run_id))
