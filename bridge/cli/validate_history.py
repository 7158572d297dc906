"""The history part of ``bridge validate`` and ``bridge kpi``: the option, the database, the summary."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from bridge.cli.app import EXIT_USAGE
from bridge.errors import HistoryDatabaseError
from bridge.history_service import RunHistory, error_text, open_run_history, summary_lines
from bridge.sources import SheetAdapter, open_source
from bridge.validation import today_in
from validators.design import Design
from validators.engine import ValidationResult, validate
from validators.table import SheetTable

history_option = click.option(
    "--history/--no-history",
    "use_history",
    default=True,
    show_default=True,
    help=(
        "Record this run per row (stage, score, grade) and use earlier runs for stage-entered "
        "dates and score drops. Database: DATABASE_URL, else bridge.db beside the result file. "
        "--no-history leaves the database untouched."
    ),
)


def open_history_or_exit(source: str, output: Path | None, lang: str) -> RunHistory:
    """Return the sheet's history; print the reason and exit 2 when the database fails."""
    try:
        return open_run_history(source, output)
    except HistoryDatabaseError as error:
        click.echo(error_text(error, lang), err=True)
        sys.exit(EXIT_USAGE)


def record_history_or_exit(history: RunHistory, result: ValidationResult, lang: str) -> None:
    """Store the run and add a ``history`` section to the result's summary."""
    try:
        result.summary["history"] = history.record(result)
    except HistoryDatabaseError as error:
        click.echo(error_text(error, lang), err=True)
        sys.exit(EXIT_USAGE)


def print_history(result: ValidationResult, lang: str) -> None:
    summary = result.summary.get("history")
    if summary:
        for line in summary_lines(summary, lang):
            click.echo(line)


@dataclass
class ReadSheet:
    """A tab read and validated by a command, with the history it was checked against."""

    adapter: SheetAdapter
    table: SheetTable
    result: ValidationResult
    history: RunHistory | None


def read_and_validate(
    source: str,
    design: Design,
    *,
    sheet: str | None,
    output: Path | None,
    lang: str,
    day: dt.date | None,
    use_history: bool,
) -> ReadSheet:
    """Read the tab and validate it as of ``day`` (default: today in the sheet's time zone).

    Earlier runs in the history database give the stage-entered dates and
    score baselines; nothing is recorded here.
    """
    adapter = open_source(source, sheet=sheet, output=output)
    table = adapter.read(design)
    day = day or today_in(table.time_zone)
    history = open_history_or_exit(source, output, lang) if use_history else None
    previous = history.previous(day, design) if history else None
    result = validate(table, design, day, previous=previous)
    return ReadSheet(adapter, table, result, history)
