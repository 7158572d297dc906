"""``bridge design check|push|pull``: compare the design with HubSpot and exchange it.

The HubSpot token comes from ``HUBSPOT_ACCESS_TOKEN`` (or Secret Manager), the
base URL from ``HUBSPOT_BASE_URL`` (default https://api.hubapi.com) and the API
version from ``HUBSPOT_API_VERSION`` (default 2026-03).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
import yaml

from bridge.cli.app import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, handle_errors, pick_language
from bridge.cli.design_group import design
from bridge.cli.output import format_table
from bridge.hubspot_messages import preflight_message, sync_error_message
from bridge.i18n import N_, gettext
from bridge.sheets.local_paths import write_text_file
from bridge.validation import load_design
from sync.errors import SyncError
from sync.hubspot.client import DEFAULT_API_VERSION, DEFAULT_BASE_URL, HubSpotClient
from sync.preflight import (
    check_design,
    create_properties,
    plan_property_creation,
    pull_design,
    read_portal,
)
from sync.secrets import get_access_token

DESIGN_OPTION = click.option(
    "--design",
    "design_path",
    type=click.Path(path_type=Path),
    help="Design file (YAML). Default: the bundled example design.",
)
LANG_OPTION = click.option(
    "--lang",
    is_eager=True,  # read before --help, so that the help page follows it
    type=click.Choice(["ja", "en"]),
    help="Language of messages. Default: the design's locale.",
)


def make_client() -> HubSpotClient:
    """Return a client configured from the environment."""
    return HubSpotClient(
        get_access_token(),
        base_url=os.environ.get("HUBSPOT_BASE_URL", DEFAULT_BASE_URL),
        api_version=os.environ.get("HUBSPOT_API_VERSION", DEFAULT_API_VERSION),
    )


def handle_sync_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Print a sync error as one translated line and exit 2, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SyncError as error:
            click.echo(sync_error_message(error, pick_language(kwargs.get("lang"))), err=True)
            sys.exit(EXIT_USAGE)

    return wrapper


@design.command("check")
@DESIGN_OPTION
@click.option("--hubspot", is_flag=True, help="Also compare the design with the HubSpot portal.")
@LANG_OPTION
@handle_errors
@handle_sync_errors
def check_command(design_path: Path | None, hubspot: bool, lang: str | None) -> None:
    """Validate the design file and, with --hubspot, compare it with the portal."""
    loaded, path = load_design(design_path)
    lang = pick_language(lang, loaded.sheet.locale)
    click.echo(
        gettext(
            lang,
            N_("The design file {path} is valid: {properties} properties, {pipelines} pipelines."),
            path=path,
            properties=len(loaded.properties),
            pipelines=len(loaded.pipelines),
        )
    )
    if not hubspot:
        sys.exit(EXIT_OK)

    problems = check_design(loaded, read_portal(make_client()))
    if not problems:
        click.echo(gettext(lang, N_("The HubSpot portal matches the design.")))
        sys.exit(EXIT_OK)
    click.echo(
        gettext(
            lang, N_("{count} differences between the design and HubSpot:"), count=len(problems)
        )
    )
    for problem in problems:
        click.echo("  " + preflight_message(problem, lang))
    sys.exit(EXIT_FINDINGS)


@design.command("push")
@DESIGN_OPTION
@click.option("--yes", is_flag=True, help="Create the properties without asking.")
@LANG_OPTION
@handle_errors
@handle_sync_errors
def push_command(design_path: Path | None, yes: bool, lang: str | None) -> None:
    """Create the design's properties that the HubSpot portal lacks, after showing them."""
    loaded, _ = load_design(design_path)
    lang = pick_language(lang, loaded.sheet.locale)
    client = make_client()
    portal = read_portal(client)
    plan = plan_property_creation(loaded, portal)
    blocked = [p for p in check_design(loaded, portal) if p.code != "missing_property"]

    if plan:
        click.echo(gettext(lang, N_("Properties to create in HubSpot:")))
        rows = [
            (
                f"{item.object_type}.{item.name}",
                f"{item.definition['label']} ({item.definition['type']})",
            )
            for item in plan
        ]
        for line in format_table(rows):
            click.echo(line)
    else:
        click.echo(gettext(lang, N_("Nothing to create: every design property exists in HubSpot.")))
    if blocked:
        click.echo(gettext(lang, N_("Not changed by push; fix these in HubSpot or in the design:")))
        for problem in blocked:
            click.echo("  " + preflight_message(problem, lang))
    if not plan:
        sys.exit(EXIT_FINDINGS if blocked else EXIT_OK)

    question = gettext(lang, N_("Create these {count} properties?"), count=len(plan))
    if not yes and not click.confirm(question, default=False):
        click.echo(gettext(lang, N_("Nothing was created.")))
        sys.exit(EXIT_OK)
    created = create_properties(client, plan)
    click.echo(gettext(lang, N_("Created {count} properties in HubSpot."), count=len(created)))
    sys.exit(EXIT_FINDINGS if blocked else EXIT_OK)


@design.command("pull")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Design file (YAML) to write.",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@LANG_OPTION
@handle_errors
@handle_sync_errors
def pull_command(output: Path, force: bool, lang: str | None) -> None:
    """Write a starting design file from the portal's deal pipelines and properties."""
    lang = pick_language(lang)
    if output.exists() and not force:
        click.echo(
            gettext(
                lang,
                N_("Error: {path} already exists. Choose another --output or add --force."),
                path=output,
            ),
            err=True,
        )
        sys.exit(EXIT_USAGE)
    data = pull_design(read_portal(make_client()))
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    write_text_file(output, text)
    click.echo(gettext(lang, N_("Design written to {path}"), path=output))
