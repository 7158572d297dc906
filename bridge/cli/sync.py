"""``bridge sync plan|run|status|verify``: migrate a sheet to HubSpot a batch at a time.

HubSpot is reached with ``HUBSPOT_ACCESS_TOKEN`` at ``HUBSPOT_BASE_URL``; the
ledger lives in ``DATABASE_URL`` (default: ``bridge.db`` in the current folder).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import nullcontext
from functools import wraps
from pathlib import Path
from typing import Any

import click

from bridge.cli.app import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, cli, handle_errors, pick_language
from bridge.cli.options import as_of_option, design_option, lang_option, sheet_option
from bridge.cli.output import format_table
from bridge.cli.validate import parse_as_of
from bridge.hubspot_messages import OBJECT_TEXTS as OBJECT_NAMES
from bridge.i18n import N_, gettext
from bridge.messages import finding_message
from bridge.sheets.local_paths import check_writable_file, write_text_file
from bridge.sync_messages import sync_error_lines
from bridge.sync_service import (
    SYNC_STATUS_TEXTS,
    make_client,
    open_sheet,
    plan_sheet,
    read_portal_ids,
    run_sheet,
    sync_status,
    verify_sheet,
)
from sync.db import engine_from_env
from sync.errors import MissingTokenError, SyncError
from sync.ledger import Ledger
from sync.runner import Progress, RunOptions

LIMIT_OR_WAVE = N_(
    "Error: give --limit N (the rows of this step) or --wave NAME (one wave of the design)."
)

ACTION_TEXTS = {
    "create": N_("Create"),
    "update": N_("Update"),
    "unchanged": N_("Unchanged"),
    "blocked": N_("Blocked"),
}
OBJECT_TEXTS = {"deal": N_("Deals"), "company": N_("Companies"), "contact": N_("Contacts")}
ROWS_SHOWN = 20


def echo_more(total: int, lang: str, template: str) -> None:
    """Say how many items a list left out after its first ``ROWS_SHOWN``."""
    if total > ROWS_SHOWN:
        click.echo("  " + gettext(lang, template, count=total - ROWS_SHOWN))


@cli.group("sync")
def sync_group() -> None:
    """Preview and run the staged migration of a sheet to HubSpot."""


def sheet_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [click.argument("source"), design_option, sheet_option, lang_option, as_of_option]
    for option in reversed(options):
        command = option(command)
    return command


def handle_run_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a sync error as one translated line and exit 2, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SyncError as error:
            for line in sync_error_lines(error, pick_language(kwargs.get("lang"))):
                click.echo(line, err=True)
            sys.exit(EXIT_USAGE)

    return wrapper


def open_ledger() -> Ledger:
    return Ledger(engine_from_env())


@sync_group.command("plan")
@sheet_options
@click.option("--wave", help="Plan only the rows of this wave of the design.")
@click.option("--json", "json_path", type=click.Path(path_type=Path),
              help="Write the whole plan as JSON to this file.")  # fmt: skip
@handle_errors
@handle_run_errors
def plan_command(source, design_path, sheet, lang, as_of, wave, json_path) -> None:  # noqa: ANN001
    """Show per row what a sync would do (create, update, unchanged, blocked); write nothing."""
    if json_path:
        check_writable_file(json_path)
    loaded = open_sheet(source, design_path=design_path, sheet=sheet, as_of=parse_as_of(as_of),
                        lang=lang)  # fmt: skip
    lang = loaded.lang

    def t(message: str, **params: object) -> str:
        return gettext(lang, message, **params)

    # With a token the plan runs the pre-flight and checks owners as a run
    # would; without one it plans offline from the sheet and the ledger.
    try:
        portal = read_portal_ids(make_client(), loaded.design)
    except MissingTokenError:
        portal = None
        click.echo(t(N_("No HubSpot access token: owners and the portal were not checked.")))
    plan = plan_sheet(loaded, open_ledger(), wave, portal)

    click.echo(t(N_("Sync plan for {sheet}"), sheet=loaded.table.title))
    for kind, text in OBJECT_TEXTS.items():
        counts = plan.totals[kind]
        click.echo(t(text))
        lines = [(t(ACTION_TEXTS[action]), count) for action, count in counts.items()]
        for line in format_table(lines, indent=4):
            click.echo(line)
    click.echo(
        t(N_("Rows removed from the sheet (kept in HubSpot): {count}"), count=len(plan.removed))
    )
    blocked = [row for row in plan.rows if row.action == "blocked"]
    for row in blocked[:ROWS_SHOWN]:
        click.echo("  " + t(N_("Row {row} ({key}) is blocked by: {codes}"), row=row.sheet_row,
                            key=row.row_key or "-", codes=", ".join(row.blocking_codes)))  # fmt: skip
    echo_more(len(blocked), lang, N_("… and {count} more (write them all with --json FILE)"))
    for finding in plan.findings[:ROWS_SHOWN]:
        click.echo("  " + finding_message(finding, lang))
    echo_more(len(plan.findings), lang, N_("… and {count} more (write them all with --json FILE)"))
    if json_path:
        text = json.dumps(plan.to_dict(), ensure_ascii=False, indent=2)
        write_text_file(json_path, text + "\n")
        click.echo(t(N_("Plan written to {path}"), path=json_path))
    sys.exit(EXIT_OK)


@sync_group.command("run")
@sheet_options
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="Rows to send in this step. Required unless --wave is given.",
)
@click.option(
    "--wave", help="Send only the rows of this wave of the design (all of them, or up to --limit)."
)
@click.option("--dry-run", is_flag=True, help="Show which rows would be sent; send nothing.")
@click.option("--update-only", is_flag=True, help="Update records already in HubSpot; create none.")
@click.option(
    "--resume", is_flag=True, help="Take over this sheet's active run whose process died."
)
@click.option("--output", type=click.Path(path_type=Path),
              help="Result file for local sources. Default: <name>.checked.<ext> beside SOURCE.")  # fmt: skip
@handle_errors
@handle_run_errors
def run_command(source, design_path, sheet, lang, as_of, limit, wave, dry_run, update_only,  # noqa: ANN001
                resume, output) -> None:  # fmt: skip
    """Send the next LIMIT clean rows (or one wave) to HubSpot and write the results back."""
    if limit is None and wave is None:
        # One step at a time: a run of every row at once needs --limit or --wave.
        click.echo(gettext(pick_language(lang), LIMIT_OR_WAVE), err=True)
        sys.exit(EXIT_USAGE)
    loaded = open_sheet(source, design_path=design_path, sheet=sheet, as_of=parse_as_of(as_of),
                        lang=lang, output=output)  # fmt: skip
    lang = loaded.lang
    options = RunOptions(limit=limit, wave=wave, update_only=update_only, dry_run=dry_run,
                         resume=resume)  # fmt: skip
    client = None if dry_run else make_client()
    # A dry run sends nothing, so it shows no "Syncing" bar.
    bar_context = nullcontext(None) if dry_run else click.progressbar(
        length=limit or 1, label=gettext(lang, N_("Syncing")), file=sys.stderr
    )  # fmt: skip
    with bar_context as bar:
        shown = {"rows": 0}

        def progress(event: Progress) -> None:
            if bar is None:
                return
            bar.length = event.rows_total or bar.length  # a wave's size is known once planned
            if event.step == "confirmed":
                bar.update(event.rows_done - shown["rows"])
                shown["rows"] = event.rows_done

        report, written = run_sheet(loaded, open_ledger(), client, options, progress=progress)

    def t(message: str, **params: object) -> str:
        return gettext(lang, message, **params)

    if dry_run:
        click.echo(t(N_("Dry run: {count} rows would be sent."), count=len(report.selected)))
        for row in report.selected[:ROWS_SHOWN]:
            click.echo(f"  {row.sheet_row}  {row.row_key}  {t(ACTION_TEXTS[row.action])}")
        echo_more(len(report.selected), lang, N_("… and {count} more"))
        sys.exit(EXIT_OK)

    counts = report.counts
    lines = [
        (t(N_("Rows sent")), counts.get("selected", 0)),
        (t(N_("Created")), counts.get("created", 0)),
        (t(N_("Updated")), counts.get("updated", 0)),
        (t(N_("Rejected by HubSpot")), counts.get("rejected", 0)),
        (t(N_("Conflicts")), counts.get("conflicts", 0)),
        (t(N_("Not sent (update-only)")), counts.get("skipped", 0)),
    ]
    for line in format_table(lines):
        click.echo(line)
    for finding in report.findings[:ROWS_SHOWN]:
        click.echo("  " + finding_message(finding, lang))
    echo_more(len(report.findings), lang, N_("… and {count} more"))
    if report.stop_error is not None:
        for line in sync_error_lines(report.stop_error, lang):
            click.echo(line)
        click.echo(t(N_("The run stopped; run the same command again later to continue.")))
    if written:
        click.echo(t(N_("Result written to {path}"), path=written))
    failed = counts.get("rejected", 0) or counts.get("conflicts", 0) or report.stop_error
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


@sync_group.command("status")
@sheet_options
@handle_errors
@handle_run_errors
def status_command(source, design_path, sheet, lang, as_of) -> None:  # noqa: ANN001
    """Show migration progress: rows synced, pending, blocked, failed, in conflict and removed."""
    loaded = open_sheet(
        source, design_path=design_path, sheet=sheet, as_of=parse_as_of(as_of), lang=lang
    )
    counts = sync_status(loaded, open_ledger())
    labels = {**SYNC_STATUS_TEXTS, "removed": N_("Removed from the sheet")}
    click.echo(gettext(loaded.lang, N_("Sync status of {sheet}"), sheet=loaded.table.title))
    for line in format_table(
        [(gettext(loaded.lang, labels[key]), value) for key, value in counts.items()]
    ):
        click.echo(line)
    sys.exit(EXIT_OK)


@sync_group.command("verify")
@sheet_options
@handle_errors
@handle_run_errors
def verify_command(source, design_path, sheet, lang, as_of) -> None:  # noqa: ANN001
    """Read the synced deals, companies and contacts back from HubSpot and compare them with the sheet."""
    loaded = open_sheet(
        source, design_path=design_path, sheet=sheet, as_of=parse_as_of(as_of), lang=lang
    )
    checked, mismatches = verify_sheet(loaded, open_ledger(), make_client())

    def t(message: str, **params: object) -> str:
        return gettext(loaded.lang, message, **params)

    click.echo(t(N_("Compared {count} synced rows with HubSpot."), count=checked))
    for item in mismatches:
        click.echo("  " + t(N_('Row {row} ({key}), {object} {property}: the sheet has '
                               '"{sheet_value}", HubSpot has "{hubspot_value}".'), row=item.row,
                            key=item.row_key, object=t(OBJECT_NAMES[item.object]),
                            property=item.property, sheet_value=item.sheet_value,
                            hubspot_value=item.hubspot_value))  # fmt: skip
    if not mismatches:
        click.echo(t(N_("Every synced row matches HubSpot.")))
    sys.exit(EXIT_FINDINGS if mismatches else EXIT_OK)
