"""``bridge kpi``: validate a sheet, print its KPIs, write the KPI and to-do tabs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bridge.cli.app import EXIT_OK, EXIT_USAGE, cli, handle_errors, pick_language
from bridge.cli.kpi_output import KpiPrinter
from bridge.cli.options import (
    as_of_option,
    design_option,
    design_tab_option,
    lang_option,
    output_option,
    sheet_option,
)
from bridge.cli.validate import parse_as_of
from bridge.cli.validate_history import read_and_validate
from bridge.design_source import load_sheet_design
from bridge.errors import InvalidPeriodError, LookupFileError
from bridge.i18n import N_, gettext
from bridge.kpi_service import (
    add_history_rows,
    add_kpi_tabs,
    history_for_kpis,
    load_lookups,
    parse_period,
    report_json,
)
from bridge.sheets.local_paths import check_writable_file, write_text_file
from bridge.validation import build_writeback
from validators.kpi.report import compute_kpis as compute_report

ERROR_TEXTS = {
    InvalidPeriodError.code: N_(
        "Error: {value} is not a period. Write it as 2024-04-01..2025-03-31, start before end."
    ),
    LookupFileError.code: N_(
        "Error: cannot read the lookup {name} from {path}: {reason}. Fix kpi.lookups in the "
        "design or put the file beside the sheet."
    ),
}


@cli.command("kpi")
@click.argument("source")
@design_option
@design_tab_option
@sheet_option
@lang_option
@as_of_option
@click.option(
    "--period",
    help="Period of the retention KPIs, START..END (YYYY-MM-DD, both inclusive). "
    "Default: kpi.period_days days up to --as-of.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    help="Write the KPIs as JSON to this file.",
)
@output_option
@click.option("--no-write", is_flag=True, help="Print and write JSON only; write no result file.")
@click.option(
    "--history/--no-history",
    "use_history",
    default=True,
    show_default=True,
    help=(
        "Read earlier validation runs (DATABASE_URL, else bridge.db beside the result file) "
        "for grade movement, score trends and the support calendar. Records nothing."
    ),
)
@handle_errors
def kpi_command(
    source: str,
    design_path: Path | None,
    design_tab: str | None,
    sheet: str | None,
    lang: str | None,
    as_of: str | None,
    period: str | None,
    json_path: Path | None,
    output: Path | None,
    no_write: bool,
    use_history: bool,
) -> None:  # fmt: skip
    """Print the KPIs of SOURCE and write the KPI and to-do tabs into the result file."""
    if json_path:
        check_writable_file(json_path)
    try:
        kpi_period = parse_period(period)
        day = parse_as_of(as_of)
        design, loaded_from = load_sheet_design(source, design_path, design_tab)
        lang = pick_language(lang, design.sheet.locale)
        lookups = load_lookups(design, loaded_from, Path(source))
    except (InvalidPeriodError, LookupFileError) as error:
        click.echo(gettext(pick_language(lang), ERROR_TEXTS[error.code], **error.params), err=True)
        sys.exit(EXIT_USAGE)

    # KPIs read the history (grade movement, score trends) but record nothing:
    # only a validation run adds to it.
    read = read_and_validate(
        source, design, sheet=sheet, output=output, lang=lang, day=day, use_history=use_history
    )
    adapter, table, result, history = read.adapter, read.table, read.result, read.history
    report = compute_report(result, kpi_period, lookups)
    history_data = history_for_kpis(history, result, kpi_period)

    KpiPrinter(report, lang).print()
    if json_path:
        data = report_json(report, result, lang)
        data["history"] = history_data
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        write_text_file(json_path, text + "\n")
        click.echo(gettext(lang, N_("KPIs written to {path}"), path=json_path))
    if not no_write:
        writeback = add_kpi_tabs(build_writeback(result, lang), report, result, lang)
        add_history_rows(writeback, history_data, lang)
        written = adapter.write(table, writeback)
        click.echo(gettext(lang, N_("Result written to {path}"), path=written))
    sys.exit(EXIT_OK)
