"""The history table: per validation run and row key, the stage, score and grade.

It lives in the bridge's database (``sync.db``) beside the run ledger. One
record per (sheet, row key, as-of date): a second run on the same day replaces
that day's records instead of adding to them. Records of keys that left the
sheet are kept.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Index,
    String,
    Table,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from sync.db import metadata
from validators.history import HISTORY_COLUMNS, empty_history

logger = logging.getLogger(__name__)

history_table = Table(
    "history",
    metadata,
    Column("sheet_id", String(512), nullable=False),
    Column("row_key", String(255), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("pipeline", String(255)),
    Column("stage", String(255)),
    Column("score", Float),
    Column("grade", String(255)),
    Column("run_id", String(64), nullable=False),
    Column("recorded_at", DateTime, nullable=False),  # naive UTC
    UniqueConstraint("sheet_id", "row_key", "as_of", name="uq_history_sheet_row_day"),
    Index("ix_history_sheet_as_of", "sheet_id", "as_of"),
)

UPSERT_DIALECTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
UPDATED_COLUMNS = ("pipeline", "stage", "score", "grade", "run_id", "recorded_at")


class HistoryStore:
    """Reads and writes the history of one database."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in UPSERT_DIALECTS:
            raise ValueError(
                f"history needs SQLite or PostgreSQL, not {engine.dialect.name}; "
                "set DATABASE_URL to one of them"
            )
        self.engine = engine
        # sync.db creates the tables it knew when the engine was made; this
        # module may have been imported later.
        with engine.begin() as connection:
            history_table.create(connection, checkfirst=True)

    def load(self, sheet_id: str) -> pd.DataFrame:
        """Return every record of ``sheet_id`` as a frame with ``HISTORY_COLUMNS``."""
        query = select(*(history_table.c[name] for name in HISTORY_COLUMNS)).where(
            history_table.c.sheet_id == sheet_id
        )
        with self.engine.connect() as connection:
            records = connection.execute(query).all()
        if not records:
            return empty_history()
        frame = pd.DataFrame([tuple(record) for record in records], columns=HISTORY_COLUMNS)
        return frame.astype({"row_key": object, "pipeline": object, "stage": object})

    def save(self, sheet_id: str, run_id: str, rows: pd.DataFrame) -> int:
        """Insert or replace one record per row of ``rows``; return how many were written.

        ``rows`` has ``HISTORY_COLUMNS``, each key once. A record of the same
        sheet, key and day is replaced, so re-running a day changes nothing else.
        """
        if rows.empty:
            return 0
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        values = [
            {
                "sheet_id": sheet_id,
                "row_key": str(row["row_key"]),
                "as_of": row["as_of"],
                "pipeline": _text(row["pipeline"]),
                "stage": _text(row["stage"]),
                "score": _score(row["score"]),
                "grade": _text(row["grade"]),
                "run_id": run_id,
                "recorded_at": now,
            }
            for row in rows.to_dict("records")
        ]
        insert = UPSERT_DIALECTS[self.engine.dialect.name](history_table)
        statement = insert.on_conflict_do_update(
            index_elements=["sheet_id", "row_key", "as_of"],
            set_={name: insert.excluded[name] for name in UPDATED_COLUMNS},
        )
        with self.engine.begin() as connection:
            connection.execute(statement, values)
        logger.info("history saved sheet=%s run=%s records=%d", sheet_id, run_id, len(values))
        return len(values)

    def count(self, sheet_id: str) -> int:
        """Return how many records ``sheet_id`` has."""
        query = select(func.count()).where(history_table.c.sheet_id == sheet_id)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _score(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if number != number else number
