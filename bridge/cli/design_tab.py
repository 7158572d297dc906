"""``bridge design export|import``: keep the design in a tab of the spreadsheet.

The tab (default 設計, or Design) holds the design as blocks of rows that an
admin edits in Google Sheets or Excel; see ``bridge.sheets.design_tab``.
"""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from bridge.cli.app import handle_errors, pick_language
from bridge.cli.design_group import design
from bridge.i18n import N_, gettext
from bridge.sheets.design_tab import design_to_rows
from bridge.sheets.design_tab_io import load_design_rows, read_design_rows, write_design_rows
from bridge.sheets.local_paths import write_text_file
from bridge.validation import load_design

TAB_OPTION = click.option("--tab", help="Design tab title. Default: 設計, else Design.")
LANG_OPTION = click.option(
    "--lang",
    is_eager=True,  # read before --help, so that the help page follows it
    type=click.Choice(["ja", "en"]),
    help="Language of messages. Default: ja.",
)


@design.command("export")
@click.argument("source")
@click.option(
    "--design",
    "design_path",
    type=click.Path(path_type=Path),
    help="Design file (YAML) to write. Default: the bundled example design.",
)
@TAB_OPTION
@LANG_OPTION
@handle_errors
def export_command(
    source: str, design_path: Path | None, tab: str | None, lang: str | None
) -> None:
    """Write the design file into a tab of SOURCE (Google Sheets URL or id, or .xlsx)."""
    lang = pick_language(lang)
    _, path = load_design(design_path)  # validates it first, with the usual messages
    data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    written = write_design_rows(source, design_to_rows(data), tab)
    click.echo(gettext(lang, N_("Design written to {target}"), target=written))


@design.command("import")
@click.argument("source")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="YAML file to write the design to.",
)
@TAB_OPTION
@LANG_OPTION
@handle_errors
def import_command(source: str, output: Path, tab: str | None, lang: str | None) -> None:
    """Read the design tab of SOURCE, check it, and save it as a YAML design file."""
    lang = pick_language(lang)
    rows, label = read_design_rows(source, tab)
    _, data = load_design_rows(rows, label)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    write_text_file(output, text)
    click.echo(
        gettext(
            lang, N_("Design read from {source} and saved to {path}"), source=label, path=output
        )
    )
