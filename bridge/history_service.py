"""History of validation runs for the CLI and the service: where it lives, what a run adds.

A run reads the sheet's earlier records before validating (stage-entered
dates, score drops), then records its own rows. The KPI functions at the end
turn the records into grade movement, score trends and a support calendar,
both as JSON for the sidebar and as rows for the KPI tab.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bridge.errors import HistoryDatabaseError
from bridge.i18n import N_, gettext
from bridge.sheets.local_paths import is_writable_directory
from sync.db import DATABASE_URL_VARIABLE, shared_engine
from sync.history import HistoryStore
from validators.design import Design
from validators.engine import PreviousState, ValidationResult
from validators.history import (
    grade_movement,
    history_rows,
    missing_row_keys,
    movement_counts,
    previous_states,
    score_trends,
    sparkline,
    support_calendar,
)

logger = logging.getLogger(__name__)

HISTORY_FILE_NAME = "bridge.db"
DEFAULT_MOVEMENT_DAYS = 30  # grade movement compares with this many days before the run
GOOGLE_SHEET_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
GOOGLE_GID = re.compile(r"[#?&]gid=(\d+)")

RECORDED_TEXT = N_("History: {count} rows recorded in {database}")
MISSING_TEXT = N_(
    "{count} row keys of earlier runs are no longer in the sheet. Their history is kept; "
    "--report lists them."
)
SHARED_TEXT = N_("{count} keys are used by several rows, so their rows were not recorded.")
ERROR_TEXT = N_(
    "Error: cannot use the history database {database}: {reason}. Check DATABASE_URL, "
    "or run again with --no-history."
)
KPI_TEXTS = {
    "movement": N_("Grade movement from {start} to {end}"),
    "from_to": N_("From \\ to"),
    "worsened": N_("Worse grade"),
    "improved": N_("Better grade"),
    "unchanged": N_("Same grade"),
    "trends": N_("Score trend per client"),
    "row_key": N_("Row key"),
    "sheet_row": N_("Row"),
    "owner": N_("Owner"),
    "grade": N_("Grade"),
    "trend": N_("Trend"),
    "scores": N_("Scores"),
    "calendar": N_("Support calendar"),
    "month": N_("Month"),
    "renewals": N_("Renewals"),
    "renewal_amount": N_("Renewal amount"),
    "planned_actions": N_("Planned actions"),
}


def sheet_id_for(source: str) -> str:
    """Return the id history is kept under: spreadsheet id and gid, or the file's name."""
    match = GOOGLE_SHEET_URL.search(source)
    if match:
        gid = GOOGLE_GID.search(source)
        return f"{match.group(1)}#gid={gid.group(1) if gid else 0}"
    if source.startswith("gsheet:"):
        return source.removeprefix("gsheet:")
    # A result file continues its source's history, wherever each lies:
    # deals.checked.xlsx is the sheet deals.xlsx (or deals.csv) validated before.
    # NOTE: two local files with one name share a history when they share a
    # database; give them different names or databases.
    return "file:" + Path(source).stem.removesuffix(".checked")


def history_database_url(source: str, output: Path | None) -> str:
    """Return ``DATABASE_URL`` when set, else SQLite ``bridge.db`` beside the result file.

    For a Google Sheet without ``--output`` the file goes to the current folder.
    """
    configured = os.environ.get(DATABASE_URL_VARIABLE)
    if configured:
        return configured
    if output is not None:
        folder = output.resolve().parent
    elif GOOGLE_SHEET_URL.search(source) or source.startswith("gsheet:"):
        folder = Path.cwd()
    else:
        folder = Path(source).resolve().parent
    # The same rule as the result file's: a folder without write bits (a shared
    # data set) stays untouched, also for root.
    if not is_writable_directory(folder):
        folder = Path.cwd()
    return f"sqlite:///{folder / HISTORY_FILE_NAME}"


def error_text(error: HistoryDatabaseError, lang: str) -> str:
    return gettext(lang, ERROR_TEXT, database=error.database, reason=error.reason)


@dataclass
class RunHistory:
    """The history of one sheet, opened for one validation run."""

    store: HistoryStore
    sheet_id: str
    database: str  # URL with the password hidden, safe to print
    records: pd.DataFrame
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def previous(self, as_of: dt.date, design: Design) -> dict[str, PreviousState] | None:
        """Return the earlier state per row key, or None while the sheet has no history.

        None lets the engine fall back to the managed columns of the sheet,
        which is what a sheet validated before history existed still has.
        """
        if self.records.empty:
            return None
        window = design.scoring.drop_window_days if design.scoring else None
        return previous_states(self.records, as_of, drop_window_days=window)

    def record(self, result: ValidationResult) -> dict[str, Any]:
        """Store the run's rows and return the summary section about history."""
        rows, shared = history_rows(result)
        try:
            recorded = self.store.save(self.sheet_id, self.run_id, rows)
        except SQLAlchemyError as error:
            raise _database_error(self.database, error) from None
        missing = missing_row_keys(self.records, list(result.rows["row_key"]))
        logger.info(
            "history run=%s sheet=%s recorded=%d missing=%d shared=%d",
            self.run_id, self.sheet_id, recorded, len(missing), len(shared),
        )  # fmt: skip
        self.records = pd.concat(
            [self.records[self.records["as_of"] != result.as_of], rows], ignore_index=True
        )
        return {
            "database": self.database,
            "sheet_id": self.sheet_id,
            "run_id": self.run_id,
            "recorded": recorded,
            "missing_row_count": len(missing),
            "missing_row_keys": missing,
            "shared_keys": shared,
        }


def open_run_history(source: str, output: Path | None) -> RunHistory:
    """Open the history database and read the sheet's records.

    Raises ``HistoryDatabaseError`` when the database cannot be opened or read.
    """
    url = history_database_url(source, output)
    database = _safe_url(url)
    sheet_id = sheet_id_for(source)
    try:
        store = HistoryStore(shared_engine(url))
        records = store.load(sheet_id)
    except (SQLAlchemyError, ValueError) as error:
        raise _database_error(database, error) from None
    logger.info("history opened sheet=%s records=%d database=%s", sheet_id, len(records), database)
    return RunHistory(store, sheet_id, database, records)


def summary_lines(summary: dict[str, Any], lang: str) -> list[str]:
    """Return the lines the CLI prints about the run's history."""
    lines = [gettext(lang, RECORDED_TEXT, count=summary["recorded"], database=summary["database"])]
    if summary["missing_row_count"]:
        lines.append(gettext(lang, MISSING_TEXT, count=summary["missing_row_count"]))
    if summary["shared_keys"]:
        lines.append(gettext(lang, SHARED_TEXT, count=len(summary["shared_keys"])))
    return lines


def history_kpis(
    records: pd.DataFrame,
    result: ValidationResult,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    include_current: bool = True,
) -> dict[str, Any]:
    """Return grade movement, score trends and the support calendar as JSON-ready data.

    ``end`` defaults to the run's as-of date and ``start`` to 30 days before it.
    """
    end = end or result.as_of
    start = start or end - dt.timedelta(days=DEFAULT_MOVEMENT_DAYS)
    # The sheet as it is now counts as the run's own day, whether or not a
    # validation recorded that day: KPIs show today's grades against the past.
    if include_current:
        current_rows, _ = history_rows(result)
        records = pd.concat(
            [records[records["as_of"] != result.as_of], current_rows], ignore_index=True
        )
    grades = _grade_order(result.design)
    matrix = grade_movement(records, start, end, grades)
    current = _current_rows(result)

    trends = []
    for key, points in sorted(score_trends(records, end).items()):
        row = current.get(key, {})
        trends.append(
            {
                "row_key": key,
                "sheet_row": row.get("sheet_row"),
                "owner": row.get("owner"),
                "grade": row.get("grade"),
                "sparkline": sparkline([score for _, score in points]),
                "scores": [{"as_of": day.isoformat(), "score": score} for day, score in points],
            }
        )

    calendar = support_calendar(result)
    return {
        "grade_movement": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "grades": grades,
            "matrix": matrix.to_numpy().tolist(),
            **movement_counts(matrix),
        },
        "score_trends": trends,
        "support_calendar": [
            {
                "month": month,
                "renewals": int(row.renewals),
                "renewal_amount": float(row.renewal_amount),
                "planned_actions": int(row.planned_actions),
            }
            for month, row in calendar.iterrows()
        ],  # fmt: skip
    }


def history_kpi_rows(data: dict[str, Any], lang: str) -> list[list[Any]]:
    """Return KPI tab rows (title, header, values) for the output of ``history_kpis``."""

    def t(key: str, **params: object) -> str:
        return gettext(lang, KPI_TEXTS[key], **params)

    movement = data["grade_movement"]
    rows: list[list[Any]] = [[t("movement", start=movement["start"], end=movement["end"])]]
    rows.append([t("from_to"), *movement["grades"]])
    for grade, counts in zip(movement["grades"], movement["matrix"], strict=True):
        rows.append([grade, *counts])
    rows.append([t("worsened"), movement["worsened"]])
    rows.append([t("improved"), movement["improved"]])
    rows.append([t("unchanged"), movement["unchanged"]])
    rows.append([])

    rows.append([t("trends")])
    rows.append([t("row_key"), t("sheet_row"), t("owner"), t("grade"), t("trend"), t("scores")])
    for trend in data["score_trends"]:
        scores = ", ".join("" if point["score"] is None else f"{point['score']:g}"
                           for point in trend["scores"])  # fmt: skip
        rows.append([trend["row_key"], trend["sheet_row"], trend["owner"], trend["grade"],
                     trend["sparkline"], scores])  # fmt: skip
    rows.append([])

    rows.append([t("calendar")])
    rows.append([t("month"), t("renewals"), t("renewal_amount"), t("planned_actions")])
    for month in data["support_calendar"]:
        rows.append([month["month"], month["renewals"], month["renewal_amount"],
                     month["planned_actions"]])  # fmt: skip
    return rows


def _grade_order(design: Design) -> list[str]:
    if design.scoring is None:
        return []
    bands = sorted(design.scoring.bands, key=lambda band: band.min, reverse=True)
    return [band.grade for band in bands]


def _current_rows(result: ValidationResult) -> dict[str, dict[str, Any]]:
    rows = result.rows[result.rows["row_key"].notna()]
    current: dict[str, dict[str, Any]] = {}
    for row in rows.to_dict("records"):
        current.setdefault(
            str(row["row_key"]),
            {
                "sheet_row": int(row["sheet_row"]),
                "owner": row["owner"] if isinstance(row["owner"], str) else None,
                "grade": row["grade"] if isinstance(row["grade"], str) else None,
            },
        )
    return current


def _safe_url(url: str) -> str:
    """Return ``url`` with any password replaced by ***, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _database_error(database: str, error: Exception) -> HistoryDatabaseError:
    """Return the user-facing error; the driver's text may hold the URL, so it is cleaned."""
    original = getattr(error, "orig", None) or error
    reason = (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )
    reason = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", reason)
    logger.warning("history database failed database=%s error=%s", database, reason)
    return HistoryDatabaseError(database, reason)
