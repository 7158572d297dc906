"""``bridge design show``: draw the design's pipelines as HTML, SVG or Markdown."""

from __future__ import annotations

from pathlib import Path

import click

from bridge.cli.app import handle_errors, pick_language
from bridge.cli.design_group import design
from bridge.cli.options import design_option
from bridge.design_view import FORMATS, render_design
from bridge.i18n import N_, gettext
from bridge.sheets.local_paths import write_text_file
from bridge.validation import load_design

WRITTEN_TEXT = N_("Design diagram written to {path}")


@design.command("show")
@design_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="html",
    show_default=True,
    help="html: one self-contained page; svg: a standalone image; md: tables and mermaid.",
)
@click.option(
    "--lang",
    is_eager=True,  # read before --help, so that the help page follows it
    type=click.Choice(["ja", "en"]),
    help="Language of the labels. Default: the design's locale.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="File to write. Default: print to standard output.",
)
@handle_errors
def show_command(
    design_path: Path | None, output_format: str, lang: str | None, output: Path | None
) -> None:
    """Draw each pipeline of the design: stages, requirements, limits and scoring."""
    loaded, _ = load_design(design_path)
    lang = pick_language(lang, loaded.sheet.locale)
    text = render_design(loaded, lang, output_format)
    if output is None:
        click.echo(text, nl=False)
        return
    write_text_file(output, text)
    click.echo(gettext(lang, WRITTEN_TEXT, path=output), err=True)
