"""The KPI and to-do tabs of the output workbook, rebuilt on every run.

``kpi_writeback`` returns the tabs as ``WriteBack.extra_sheets`` and their
charts as ``WriteBack.charts``. Missing KPIs show "–" with the reason beside
them, so a cell never contains NaN or an error.
"""

from __future__ import annotations

from typing import Any

from bridge.i18n import N_, gettext
from bridge.kpi_texts import Kind, cell_value, reason_text, round_money
from bridge.kpi_todo import TodoItem
from bridge.sheets.writeback import ChartSpec, RowLink
from validators.kpi.drivers import DriverKpi
from validators.kpi.metric import Metric
from validators.kpi.partners import PartnerKpi
from validators.kpi.report import KpiReport
from validators.kpi.retention import retention_counted

KPI_SHEET = "KPI"
TODO_SHEETS = {"ja": "要対応", "en": "To-do"}
CHART_COLUMN = "L"  # charts sit right of the widest table (partners: A-I)


class _Tab:
    """Rows of one tab, with the sheet row number of each row as it is added."""

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []

    def add(self, *cells: Any) -> int:
        self.rows.append(list(cells))
        return len(self.rows)

    def gap(self) -> None:
        self.rows.append([])


class KpiSheetBuilder:
    def __init__(self, report: KpiReport, lang: str, min_rows: int) -> None:
        self.report = report
        self.lang = lang
        self.min_rows = min_rows  # driver groups below this size get a warning note
        self.tab = _Tab()
        self.charts: list[ChartSpec] = []

    def t(self, message: str, **params: object) -> str:
        return gettext(self.lang, message, **params)

    def metric(self, label: str, metric: Metric | None, kind: Kind) -> None:
        self.tab.add(label, cell_value(metric, kind), reason_text(metric, self.lang))

    def heading(self, text: str) -> None:
        if self.tab.rows:
            self.tab.gap()
        self.tab.add(text)

    def chart(self, kind: str, title: str, first: int, last: int, column: str) -> None:
        if last < first:
            return
        self.charts.append(
            ChartSpec(
                kind=kind,  # type: ignore[arg-type]
                sheet=KPI_SHEET,
                title=title,
                categories=f"A{first}:A{last}",
                values=f"{column}{first}:{column}{last}",
                anchor=f"{CHART_COLUMN}{max(first - 1, 1)}",
            )
        )

    def build(self) -> tuple[list[list[Any]], list[ChartSpec]]:
        t, report = self.t, self.report
        self.tab.add(
            t(N_("KPIs as of {as_of}"), as_of=report.as_of.isoformat()),
            t(N_("Period {start} to {end}"), start=report.period.start, end=report.period.end),
        )
        self.tab.add(t(N_("Rows checked")), report.rows)
        self.retention()
        self.revenue()
        self.satisfaction()
        self.grades()
        for funnel in report.funnels:
            self.funnel(funnel)
        self.partners()
        self.drivers()
        self.upsell()
        return self.tab.rows, self.charts

    def retention(self) -> None:
        t, kpi = self.t, self.report.retention
        self.heading(t(N_("Retention")))
        self.metric(t(N_("Retention rate (%)")), kpi.retention_rate, "percent")
        self.metric(t(N_("Churn rate (%)")), kpi.churn_rate, "percent")
        if not retention_counted(kpi):
            return  # counts of zero would read as measured
        self.tab.add(t(N_("Customers at period start")), kpi.cohort)
        self.tab.add(t(N_("Retained")), kpi.retained)
        self.tab.add(t(N_("Churned")), kpi.churned)
        self.tab.add(t(N_("New customers (excluded)")), kpi.new_customers)
        self.tab.add(t(N_("Unknown status (excluded)")), kpi.unknown_status + kpi.undated)

    def revenue(self) -> None:
        t, kpi = self.t, self.report.revenue
        self.heading(t(N_("Revenue per customer")))
        self.tab.add(t(N_("Customers with revenue")), kpi.customers)
        self.metric(t(N_("Total revenue")), kpi.total, "money")
        self.metric(t(N_("Average revenue")), kpi.mean, "money")
        self.metric(t(N_("Median revenue")), kpi.median, "money")
        self.tab.add(t(N_("Key clients")), kpi.key_clients)
        self.metric(t(N_("Key clients: average revenue")), kpi.key_mean, "money")
        self.metric(t(N_("Key clients: median revenue")), kpi.key_median, "money")
        self.metric(t(N_("Key clients: share of revenue (%)")), kpi.key_share_of_revenue, "percent")

    def satisfaction(self) -> None:
        t = self.t
        for title, kpi in (
            (t(N_("Satisfaction")), self.report.satisfaction),
            (t(N_("Score")), self.report.scores),
        ):
            self.heading(title)
            self.tab.add(t(N_("Rows with a value")), kpi.rows)
            self.metric(t(N_("Average")), kpi.mean, "number")
            self.metric(t(N_("Median")), kpi.median, "number")
            if kpi.counts:
                self.tab.add(t(N_("Value")), t(N_("Rows")))
                for value, rows in kpi.counts:
                    self.tab.add(value, rows)

    def grades(self) -> None:
        if not self.report.grades:
            return
        t = self.t
        self.heading(t(N_("Grades")))
        self.tab.add(t(N_("Grade")), t(N_("Rows")))
        first = len(self.tab.rows) + 1
        for grade, rows in self.report.grades:
            last = self.tab.add(grade, rows)
        self.chart("pie", t(N_("Grade distribution")), first, last, "B")

    def funnel(self, funnel: Any) -> None:
        t = self.t
        self.heading(t(N_("Pipeline {pipeline}"), pipeline=funnel.label))
        self.tab.add(
            t(N_("Stage")),
            t(N_("Rows")),
            t(N_("Value")),
            t(N_("Conversion to next (%)")),
            t(N_("Median days in stage")),
            t(N_("Stale")),
            t(N_("Contact overdue")),
            t(N_("Note")),
        )
        first = len(self.tab.rows) + 1
        last = first - 1
        for stage in funnel.stages:
            notes = {
                reason_text(stage.value, self.lang, "stage_value"),
                reason_text(stage.conversion, self.lang, "conversion"),
                reason_text(stage.median_days, self.lang, "median_days"),
            }
            last = self.tab.add(
                stage.label,
                stage.rows,
                cell_value(stage.value, "money"),
                cell_value(stage.conversion, "percent"),
                cell_value(stage.median_days, "days"),
                stage.stale,
                stage.contact_overdue,
                " ".join(sorted(note for note in notes if note)),
            )
        if funnel.unknown_stage:
            self.tab.add(t(N_("Unknown stage")), funnel.unknown_stage)
        self.chart(
            "bar", t(N_("Stage funnel: {pipeline}"), pipeline=funnel.label), first, last, "B"
        )

    def partners(self) -> None:
        table = self.report.partners
        if table is None:
            return
        t = self.t
        self.heading(t(N_("Partners")))
        self.tab.add(
            t(N_("Partner")),
            t(N_("Deals")),
            t(N_("Won")),
            t(N_("Win rate (%)")),
            t(N_("Revenue (won)")),
            t(N_("Median days to close")),
            t(N_("Active clients")),
            t(N_("Average score")),
            t(N_("Note")),
        )
        first = len(self.tab.rows) + 1
        last = first - 1
        for entry in table:
            last = self.tab.add(
                entry.partner,
                entry.deals,
                entry.won,
                cell_value(entry.win_rate, "percent"),
                cell_value(entry.revenue, "money"),
                cell_value(entry.median_days_to_close, "days"),
                entry.active_clients,
                cell_value(entry.average_score, "number"),
                self.partner_note(entry),
            )
        self.chart("bar", t(N_("Partner win rates (%)")), first, last, "D")

    def partner_note(self, entry: PartnerKpi) -> str:
        """Return why the row's cells show "–", and the won deals its revenue leaves out."""
        t = self.t
        columns = (
            (t(N_("Win rate (%)")), "win_rate", entry.win_rate),
            (t(N_("Revenue (won)")), "revenue", entry.revenue),
            (t(N_("Median days to close")), "median_days_to_close", entry.median_days_to_close),
            (t(N_("Average score")), "average_score", entry.average_score),
        )
        notes = [
            t(N_("{column}: {reason}"), column=label, reason=reason_text(metric, self.lang, key))
            for label, key, metric in columns
            if metric.reason is not None
        ]
        if entry.won_without_revenue:
            notes.append(
                t(N_("Won deals without an amount, left out of the revenue: {count}."),
                  count=entry.won_without_revenue)
            )  # fmt: skip
        return " ".join(notes)

    def drivers(self) -> None:
        tables = self.report.drivers
        if tables is None:
            return
        t = self.t
        for table in tables:
            rate_label = (
                t(N_("Retention rate (%)"))
                if table.outcome == "retained"
                else t(N_("Win rate (%)"))
            )
            self.heading(t(N_("Success drivers: {attribute}"), attribute=table.label))
            self.metric(t(N_("Overall rate (%)")), table.overall, "percent")
            self.tab.add(t(N_("Rows judged")), table.rows, self.driver_base(table))
            self.tab.add(
                t(N_("Value")),
                t(N_("Rows")),
                t(N_("Successes")),
                rate_label,
                t(N_("95% interval low (%)")),
                t(N_("95% interval high (%)")),
                t(N_("Lift")),
                t(N_("Note")),
            )
            for value in table.values:
                note = reason_text(value.rate, self.lang)
                if value.small and not note:
                    note = t(N_("Fewer than {count} rows: do not rely on it."), count=self.min_rows)
                self.tab.add(
                    value.value,
                    value.rows,
                    value.successes,
                    cell_value(value.rate, "percent"),
                    cell_value(value.low, "percent"),
                    cell_value(value.high, "percent"),
                    cell_value(value.lift, "ratio"),
                    note,
                )
            if table.blank:
                self.tab.add(t(N_("(blank)")), table.blank)

    def driver_base(self, table: DriverKpi) -> str:
        """Return which rows a driver table judges."""
        if table.outcome == "retained":
            return self.t(N_("Customers in the retention cohort"))
        if table.pipeline is None:
            return self.t(N_("Closed deals (won or lost) of every pipeline"))
        return self.t(N_("Closed deals (won or lost) of {pipeline}"), pipeline=table.pipeline)

    def upsell(self) -> None:
        upsell = self.report.upsell
        if upsell is None:
            return
        candidates = upsell.candidates
        t = self.t
        self.heading(t(N_("Upsell candidates")))
        self.tab.add(
            t(N_("Row")), t(N_("Key")), t(N_("Owner")), t(N_("Stage")), t(N_("Score")),
            t(N_("Satisfaction")), t(N_("Revenue")), t(N_("Plan")),
        )  # fmt: skip
        for item in candidates:
            self.tab.add(
                RowLink(t(N_("Row {row}"), row=item.sheet_row), item.sheet_row),
                item.row_key, item.owner, item.stage, item.score, item.satisfaction,
                None if item.revenue is None else round_money(item.revenue), item.plan,
            )  # fmt: skip
        if not candidates:
            self.tab.add(t(N_("No row meets the upsell rule.")))
        if upsell.excluded_errors:
            self.tab.add(
                t(N_("Rows that meet the rule but have errors, so are not listed: {count}. "
                     "Fix the errors (see bridge validate) and run again."),
                  count=upsell.excluded_errors)
            )  # fmt: skip


def todo_rows(items: list[TodoItem], lang: str) -> list[list[Any]]:
    """Return the to-do tab: a header, then one row per item, owners in blocks."""
    t = lambda message, **params: gettext(lang, message, **params)  # noqa: E731
    rows: list[list[Any]] = [
        [t(N_("Owner")), t(N_("Row")), t(N_("Key")), t(N_("Stage")), t(N_("Severity")),
         t(N_("Problem")), t(N_("Since"))]
    ]  # fmt: skip
    previous = None
    for item in items:
        if previous is not None and item.owner != previous:
            rows.append([])
        previous = item.owner
        severity = t(N_("Error")) if item.severity == "error" else t(N_("Warning"))
        link = RowLink(t(N_("Row {row}"), row=item.row), item.row)
        rows.append([item.owner, link, item.key, item.stage, severity, item.message, item.since])
    if not items:
        rows.append([t(N_("Nothing to do: no row has an error or a reminder."))])
    return rows


def kpi_writeback(
    report: KpiReport, items: list[TodoItem], lang: str, min_rows: int
) -> tuple[dict[str, list[list[Any]]], list[ChartSpec]]:
    """Return the KPI and to-do tabs (name -> rows) and the KPI tab's charts."""
    builder = KpiSheetBuilder(report, lang, min_rows)
    kpi_rows, charts = builder.build()
    tabs = {KPI_SHEET: kpi_rows, TODO_SHEETS.get(lang, "To-do"): todo_rows(items, lang)}
    return tabs, charts
