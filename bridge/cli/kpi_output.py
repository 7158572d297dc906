"""Terminal output of ``bridge kpi``: the KPI tables, aligned for Japanese text."""

from __future__ import annotations

from typing import Any

import click

from bridge.cli.output import display_width, format_table
from bridge.i18n import N_, gettext
from bridge.kpi_texts import MISSING, Kind, display, interval_text, reason_text
from validators.kpi.drivers import DriverKpi
from validators.kpi.metric import Metric
from validators.kpi.report import KpiReport
from validators.kpi.retention import retention_counted

# Rows listed per table in the terminal. The KPI tab and --json contain all of
# them, and a line under a cut table prints how many were left out.
UPSELL_SHOWN = 20
PARTNERS_SHOWN = 20
DRIVER_VALUES_SHOWN = 20


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


SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"  # numbers of the reasons behind "–" cells


class KpiPrinter:
    def __init__(self, report: KpiReport, lang: str) -> None:
        self.report = report
        self.lang = lang

    def t(self, message: str, **params: object) -> str:
        return gettext(self.lang, message, **params)

    def table(self, header: list[str], rows: list[list[Any]], limit: int | None = None) -> None:
        """Print the first ``limit`` of ``rows`` under ``header`` and a line for the rest."""
        listed = rows if limit is None else rows[:limit]
        if listed:
            for line in format_columns(header, listed):
                click.echo(line)
        hidden = len(rows) - len(listed)
        if hidden > 0:
            more = self.t(N_("… and {count} more (all of them with --json FILE)"), count=hidden)
            click.echo("  " + more)

    def footnotes(
        self, rows: list[list[Any]], columns: list[tuple[str, str, int, list[Metric | None]]]
    ) -> list[str]:
        """Return the footnotes that explain a column's "–", one per (column, reason).

        Each entry of ``columns`` is (header text, column key, column index,
        metrics of the rows in order); the key picks a column's own reason
        text. When a column has several reasons, each "–" cell of ``rows`` gets
        the number of its reason (–¹, –²), and so does its line.
        """
        lines = []
        for header, key, index, metrics in columns:
            texts = [reason_text(metric, self.lang, key) for metric in metrics]
            reasons = list(dict.fromkeys(text for text in texts if text))
            numbered = len(reasons) > 1
            if numbered:
                for row, text in zip(rows, texts, strict=False):
                    if text:
                        row[index] = MISSING + SUPERSCRIPTS[reasons.index(text) + 1]
            for number, text in enumerate(reasons, start=1):
                marker = MISSING + (SUPERSCRIPTS[number] if numbered else "")
                line = self.t(N_("{missing} in {column}: {reason}"), missing=marker,
                              column=header, reason=text)  # fmt: skip
                lines.append("  " + line)
        return lines

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
        rows: list[tuple[str, object]] = [
            (t(N_("Retention rate")), self.value(retention.retention_rate, "percent")),
            (t(N_("Churn rate")), self.value(retention.churn_rate, "percent")),
        ]
        if retention_counted(retention):
            rows += [
                (t(N_("Customers at period start")), retention.cohort),
                (t(N_("Churned")), retention.churned),
                (t(N_("New customers (excluded)")), retention.new_customers),
            ]
        self.section(t(N_("Retention")), rows)
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
            notes = self.footnotes(
                rows,
                [
                    (header[2], "stage_value", 2, [stage.value for stage in funnel.stages]),
                    (header[3], "conversion", 3, [stage.conversion for stage in funnel.stages]),
                    (header[4], "median_days", 4, [stage.median_days for stage in funnel.stages]),
                ],
            )
            self.table(header, rows)
            for line in notes:
                click.echo(line)

    def partners(self) -> None:
        if self.report.partners is None:
            return
        t = self.t
        click.echo(t(N_("Partners")))
        header = [t(N_("Partner")), t(N_("Deals")), t(N_("Won")), t(N_("Win rate")),
                  t(N_("Revenue (won)")), t(N_("Median days to close")), t(N_("Active clients")),
                  t(N_("Average score"))]  # fmt: skip
        entries = self.report.partners
        rows = [
            [entry.partner, entry.deals, entry.won, display(entry.win_rate, "percent"),
             display(entry.revenue, "money"), display(entry.median_days_to_close, "days"),
             entry.active_clients, display(entry.average_score, "number")]
            for entry in entries
        ]  # fmt: skip
        shown = entries[:PARTNERS_SHOWN]
        notes = self.footnotes(
            rows,
            [
                (header[3], "win_rate", 3, [entry.win_rate for entry in shown]),
                (header[4], "revenue", 4, [entry.revenue for entry in shown]),
                (header[5], "median_days_to_close", 5, [e.median_days_to_close for e in shown]),
                (header[7], "average_score", 7, [entry.average_score for entry in shown]),
            ],
        )
        self.table(header, rows, PARTNERS_SHOWN)
        for line in notes:
            click.echo(line)
        without = [entry for entry in entries if entry.won_without_revenue]
        if without:
            names = ", ".join(entry.partner for entry in without)
            count = sum(entry.won_without_revenue for entry in without)
            line = t(N_("Won deals without an amount, left out of {column}: {count} ({partners})"),
                     column=header[4], count=count, partners=names)  # fmt: skip
            click.echo("  " + line)

    def drivers(self) -> None:
        if self.report.drivers is None:
            return
        t = self.t
        for table in self.report.drivers:
            click.echo(
                t(N_("Success drivers: {attribute}"), attribute=table.label)
                + "  "
                + self.driver_base(table)
            )
            header = [t(N_("Value")), t(N_("Rows")), t(N_("Rate")), t(N_("95% interval")),
                      t(N_("Lift")), t(N_("Note"))]  # fmt: skip
            rows = []
            for value in table.values:
                note = reason_text(value.rate, self.lang) or (
                    t(N_("few rows")) if value.small else ""
                )
                rows.append([value.value, value.rows, display(value.rate, "percent"),
                             interval_text(value.low, value.high), display(value.lift, "ratio"),
                             note])  # fmt: skip
            self.table(header, rows, DRIVER_VALUES_SHOWN)

    def driver_base(self, table: DriverKpi) -> str:
        """Return the overall rate with the rows it is computed over."""
        rate = display(table.overall, "percent")
        if table.outcome == "retained":
            return self.t(N_("overall {rate} of {rows} customers in the retention cohort"),
                          rate=rate, rows=table.rows)  # fmt: skip
        if table.pipeline is None:
            return self.t(N_("overall {rate} of {rows} closed deals"), rate=rate, rows=table.rows)
        return self.t(N_("overall {rate} of {rows} closed deals in {pipeline}"),
                      rate=rate, rows=table.rows, pipeline=table.pipeline)  # fmt: skip

    def upsell(self) -> None:
        upsell = self.report.upsell
        if upsell is None:
            return
        t = self.t
        candidates = upsell.candidates
        click.echo(t(N_("Upsell candidates: {count}"), count=len(candidates)))
        header = [t(N_("Row")), t(N_("Key")), t(N_("Owner")), t(N_("Score")), t(N_("Revenue"))]
        rows = [
            [item.sheet_row, item.row_key or "", item.owner or "", _number(item.score),
             "" if item.revenue is None else display(Metric(item.revenue), "money")]
            for item in candidates
        ]  # fmt: skip
        self.table(header, rows, UPSELL_SHOWN)
        if upsell.excluded_errors:
            line = t(N_("Rows that meet the rule but have errors, so are not listed: {count}. "
                        "Fix the errors (see bridge validate) and run again."),
                     count=upsell.excluded_errors)  # fmt: skip
            click.echo("  " + line)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
