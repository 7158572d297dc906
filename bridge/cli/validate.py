"""``bridge validate``: check a sheet, write the managed columns, print a summary."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from bridge.cli.app import EXIT_FINDINGS, EXIT_OK, cli, handle_errors, pick_language
from bridge.cli.options import (
    as_of_option,
    design_option,
    design_tab_option,
    lang_option,
    output_option,
    sheet_option,
)
from bridge.cli.output import print_summary
from bridge.cli.validate_history import (
    history_option,
    print_history,
    read_and_validate,
    record_history_or_exit,
)
from bridge.design_source import load_sheet_design
from bridge.errors import InvalidOptionError
from bridge.sheets.local_paths import check_writable_file
from bridge.validation import EXAMPLE_DESIGN, build_writeback, write_report
from validators.normalize.dates import parse_date_text


def parse_as_of(value: str | None) -> dt.date | None:
    """Return the --as-of date, written 2024-04-01, 2024/4/1 or 2024年4月1日 as in cells."""
    if value is None:
        return None
    day = parse_date_text(value)
    if day is None:
        raise InvalidOptionError("--as-of", value)
    return day


@cli.command("validate")
@click.argument("source")
@design_option
@design_tab_option
@sheet_option
@lang_option
@as_of_option
@click.option(
    "--report", type=click.Path(path_type=Path), help="Write every finding as JSON to this file."
)
@output_option
@click.option("--no-write", is_flag=True, help="Check only; write no result file.")
@history_option
@handle_errors
def validate_command(
    source: str,
    design_path: Path | None,
    design_tab: str | None,
    sheet: str | None,
    lang: str | None,
    as_of: str | None,
    report: Path | None,
    output: Path | None,
    no_write: bool,
    use_history: bool,
) -> None:  # fmt: skip
    """Check every row of SOURCE (.xlsx, .csv or Google Sheets URL) against the design."""
    day = parse_as_of(as_of)
    if report:
        check_writable_file(report)
    design, loaded_from = load_sheet_design(source, design_path, design_tab)
    lang = pick_language(lang, design.sheet.locale)
    read = read_and_validate(
        source, design, sheet=sheet, output=output, lang=lang, day=day, use_history=use_history
    )
    adapter, table, result, history = read.adapter, read.table, read.result, read.history

    written = None
    if not no_write:
        written = adapter.write(table, build_writeback(result, lang))
    if history:
        record_history_or_exit(history, result, lang)
    if report:
        write_report(result, lang, report)

    fell_back = bool(getattr(adapter, "fell_back", False))
    example = loaded_from if loaded_from == EXAMPLE_DESIGN and design_path is None else None
    print_summary(result, lang, written=written, report=report, fell_back=fell_back,
                  example_design=example)  # fmt: skip
    print_history(result, lang)
    sys.exit(EXIT_FINDINGS if result.has_errors else EXIT_OK)
