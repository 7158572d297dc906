"""The history part of ``bridge validate``: the option, opening the database, the summary."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bridge.cli.app import EXIT_USAGE
from bridge.errors import HistoryDatabaseError
from bridge.history_service import RunHistory, error_text, open_run_history, summary_lines
from validators.engine import ValidationResult

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
