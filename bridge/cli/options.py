"""Command-line options that several commands share, with one help text each."""

from __future__ import annotations

from pathlib import Path

import click

design_option = click.option(
    "--design",
    "design_path",
    type=click.Path(path_type=Path),
    help="Design file (YAML). Default: the bundled example design.",
)
design_tab_option = click.option(
    "--design-tab",
    "design_tab",
    help="Read the design from this tab of SOURCE (e.g. 設計). Default: a 設計 or Design tab "
    "of a local .xlsx, else --design.",
)
sheet_option = click.option(
    "--sheet", help="Tab to read. Default: the design's tab, else the first tab."
)
lang_option = click.option(
    "--lang",
    is_eager=True,  # read before --help, so that the help page follows it
    type=click.Choice(["ja", "en"]),
    help="Language of messages. Default: the design's locale.",
)
as_of_option = click.option(
    "--as-of",
    "as_of",
    help="Date that day counts are measured from (2024-04-01, 2024/4/1 or 2024年4月1日). "
    "Default: today in the sheet's time zone.",
)
output_option = click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Result file for local sources. Default: <name>.checked.<ext> beside SOURCE.",
)
