"""Terminal output of the CLI: aligned tables that keep Japanese text in columns."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import click

from bridge.i18n import N_, gettext
from bridge.messages import SEVERITY_TEXTS, finding_message
from validators.engine import ValidationResult

FINDINGS_SHOWN = 10  # findings listed in the terminal; --report has all of them


def display_width(text: str) -> int:
    """Return the terminal width of ``text``: East Asian wide characters take two cells."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def format_table(rows: list[tuple[str, object]], indent: int = 2) -> list[str]:
    """Return lines with the first column padded so the second one lines up."""
    if not rows:
        return []
    width = max(display_width(label) for label, _ in rows)
    lines = []
    for label, value in rows:
        padding = " " * (width - display_width(label))
        lines.append(f"{' ' * indent}{label}{padding}  {value}")
    return lines


def print_summary(
    result: ValidationResult,
    lang: str,
    *,
    written: str | None,
    report: Path | None,
    fell_back: bool = False,
    example_design: Path | None = None,
) -> None:
    """Print the run's summary, counts by code, grades and the first findings."""
    summary = result.summary

    def t(message: str, **params: object) -> str:
        return gettext(lang, message, **params)

    click.echo(
        t(N_("Validated {sheet} as of {as_of}"), sheet=summary["sheet"], as_of=summary["as_of"])
    )
    if example_design:
        click.echo(
            t(
                N_("Design: the bundled example {path}. Give your team's design with --design."),
                path=example_design,
            )  # fmt: skip
        )
    counts = [
        (t(N_("Rows checked")), summary["rows_checked"]),
        (t(N_("Blank rows skipped")), summary["blank_rows"]),
        (t(N_("Rows with errors")), summary["rows_with_errors"]),
        (t(N_("Rows with warnings only")), summary["rows_with_warnings"]),
        (t(N_("Rows without findings")), summary["rows_ok"]),
    ]
    for line in format_table(counts):
        click.echo(line)

    if summary["findings_by_code"]:
        click.echo(t(N_("Findings by code")))
        for line in format_table(list(summary["findings_by_code"].items())):
            click.echo(line)
    if summary["grades"]:
        click.echo(t(N_("Grades")))
        for line in format_table(list(summary["grades"].items())):
            click.echo(line)

    row_findings = [finding for finding in result.findings if finding.row is not None]
    if row_findings:
        click.echo(t(N_("First findings")))
        for finding in row_findings[:FINDINGS_SHOWN]:
            severity = t(SEVERITY_TEXTS[finding.severity.value])
            click.echo(f"  [{severity}] {finding_message(finding, lang)}")
        hidden = len(row_findings) - FINDINGS_SHOWN
        if hidden > 0:
            click.echo(
                "  " + t(N_("… and {count} more (write them all with --report FILE)"), count=hidden)
            )

    if written:
        if fell_back:
            click.echo(
                t(N_("The source folder is read-only, so the result went to the current folder."))
            )
        click.echo(t(N_("Result written to {path}"), path=written))
    if report:
        click.echo(t(N_("Report written to {path}"), path=report))
