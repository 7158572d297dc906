"""Terminal output of ``bridge kpi``: the KPI tables, aligned for Japanese text."""

from __future__ import annotations

from typing import Any

import click

from bridge.cli.output import display_width, format_table
from bridge.i18n import N_, gettext
from bridge.kpi_texts import Kind, display, reason_text
from validators.kpi.metric import Metric
from validators.kpi.report import KpiReport

UPSELL_SHOWN = 20  # candidates listed in the terminal; the KPI tab and --json have all


def format_columns(header: list[str], rows: list[list[Any]], indent: int = 2) -> list[str]:
    """Return lines of a table whose columns line up by display width."""
    texts = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [
        max(display_width(row[i]) for row in texts if i < len(row)) for i in range(len(header))
    ]
    lines = []
    for row in texts:
        cells = [cell + " " * (widths[i] - display_width(cell)) for i, cell in enumerate(row)]
        lines.append(" " * indent + "  ".join(cells).rstrip())
    return lines


class KpiPrinter:
    def __init__(self, report: KpiReport, lang: str) -> None:
        self.report = report
        self.lang = lang

    def t(self, message: str, **params: object) -> str:
        return gettext(self.lang, message, **params)

    def value(self, metric: Metric | None, kind: Kind) -> str:
        text = display(metric, kind)
        reason = reason_text(metric, self.lang)
        return f"{text} ({reason})" if reason else text

    def section(self, title: str, rows: list[tuple[str, object]]) -> None:
        click.echo(title)
        for line in format_table(rows):
            click.echo(line)

    def print(self) -> None:
        t, report = self.t, self.report
        click.echo(
            t(N_("KPIs as of {as_of}"), as_of=report.as_of.isoformat())
            + "  "
            + t(N_("Period {start} to {end}"), start=report.period.start, end=report.period.end)
        )
        retention = report.retention
        self.section(
            t(N_("Retention")),
            [
                (t(N_("Retention rate")), self.value(retention.retention_rate, "percent")),
                (t(N_("Churn rate")), self.value(retention.churn_rate, "percent")),
                (t(N_("Customers at period start")), retention.cohort),
                (t(N_("Churned")), retention.churned),
                (t(N_("New customers (excluded)")), retention.new_customers),
            ],
        )
        revenue = report.revenue
        self.section(
            t(N_("Revenue per customer")),
            [
                (t(N_("Customers with revenue")), revenue.customers),
                (t(N_("Average revenue")), self.value(revenue.mean, "money")),
                (t(N_("Median revenue")), self.value(revenue.median, "money")),
                (t(N_("Key clients")), revenue.key_clients),
                (t(N_("Key clients: average revenue")), self.value(revenue.key_mean, "money")),
                (t(N_("Key clients: median revenue")), self.value(revenue.key_median, "money")),
            ],
        )
        satisfaction, scores = report.satisfaction, report.scores
        self.section(
            t(N_("Satisfaction and score")),
            [
                (t(N_("Average satisfaction")), self.value(satisfaction.mean, "number")),
                (t(N_("Median satisfaction")), self.value(satisfaction.median, "number")),
                (t(N_("Average score")), self.value(scores.mean, "number")),
                *[(grade, rows) for grade, rows in report.grades],
            ],
        )
        self.funnels()
        self.partners()
        self.drivers()
        self.upsell()

    def funnels(self) -> None:
        t = self.t
        for funnel in self.report.funnels:
            click.echo(t(N_("Pipeline {pipeline}"), pipeline=funnel.label))
            header = [t(N_("Stage")), t(N_("Rows")), t(N_("Value")), t(N_("Conversion")),
                      t(N_("Median days")), t(N_("Stale")), t(N_("Contact overdue"))]  # fmt: skip
            rows = [
                [stage.label, stage.rows, display(stage.value, "money"),
                 display(stage.conversion, "percent"), display(stage.median_days, "days"),
                 stage.stale, stage.contact_overdue]
                for stage in funnel.stages
            ]  # fmt: skip
            for line in format_columns(header, rows):
                click.echo(line)

    def partners(self) -> None:
        if self.report.partners is None:
            return
        t = self.t
        click.echo(t(N_("Partners")))
        header = [t(N_("Partner")), t(N_("Deals")), t(N_("Won")), t(N_("Win rate")),
                  t(N_("Revenue (won)")), t(N_("Median days to close")), t(N_("Active clients")),
                  t(N_("Average score"))]  # fmt: skip
        rows = [
            [entry.partner, entry.deals, entry.won, display(entry.win_rate, "percent"),
             display(entry.revenue, "money"), display(entry.median_days_to_close, "days"),
             entry.active_clients, display(entry.average_score, "number")]
            for entry in self.report.partners
        ]  # fmt: skip
        for line in format_columns(header, rows):
            click.echo(line)

    def drivers(self) -> None:
        if self.report.drivers is None:
            return
        t = self.t
        for table in self.report.drivers:
            click.echo(
                t(N_("Success drivers: {attribute}"), attribute=table.label)
                + "  "
                + t(N_("overall {rate}"), rate=display(table.overall, "percent"))
            )
            header = [t(N_("Value")), t(N_("Rows")), t(N_("Rate")), t(N_("95% interval")),
                      t(N_("Lift")), t(N_("Note"))]  # fmt: skip
            rows = []
            for value in table.values:
                interval = f"{display(value.low, 'percent')}–{display(value.high, 'percent')}"
                note = reason_text(value.rate, self.lang) or (
                    t(N_("few rows")) if value.small else ""
                )
                rows.append([value.value, value.rows, display(value.rate, "percent"), interval,
                             display(value.lift, "ratio"), note])  # fmt: skip
            for line in format_columns(header, rows):
                click.echo(line)

    def upsell(self) -> None:
        candidates = self.report.upsell
        if candidates is None:
            return
        t = self.t
        click.echo(t(N_("Upsell candidates: {count}"), count=len(candidates)))
        header = [t(N_("Row")), t(N_("Key")), t(N_("Owner")), t(N_("Score"))]
        rows = [
            [item.sheet_row, item.row_key or "", item.owner or "", item.score or ""]
            for item in candidates[:UPSELL_SHOWN]
        ]
        if rows:
            for line in format_columns(header, rows):
                click.echo(line)
