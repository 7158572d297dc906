"""The ``kpi:`` section of a design: which properties and stages the KPIs read.

Every field has a default, so a design without the section still loads and
gets the KPIs that need no configuration (funnel, score and grade counts).
Names used here are property names of the design or names of ``lookups``;
``check_kpi_references`` lists the ones the design does not define.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_MIN_ROWS = 30  # groups smaller than this are marked as too small to judge
DEFAULT_TOP_SHARE = 0.2  # key clients: the top 20% of customers by revenue


class KpiModel(BaseModel):
    # Same rules as the rest of the design: unknown keys are typos and rejected.
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetentionSettings(KpiModel):
    """Sources of a customer's churn status and dates.

    Churn status comes from ``status_property`` (a churn flag column) when it
    is set, else from the stage: ``cancellation_stages`` (default: the closed
    lost stages of the pipeline) are churned, every other stage is active.
    """

    status_property: str | None = None
    churned_values: tuple[str, ...] = ("true", "yes")  # compared ignoring case and width
    cancellation_stages: tuple[str, ...] = ()
    # Dated cohorts: when the customer started and when it cancelled.
    start_date_property: str | None = None
    end_date_property: str | None = None
    # Snapshot data without dates: customers whose tenure is at most
    # ``new_max_tenure`` joined within the observed period and are left out.
    tenure_property: str | None = None
    new_max_tenure: float = 0


class KeyClientRule(KpiModel):
    """Rule for key clients: a flag column, else the top share of customers by revenue."""

    flag_property: str | None = None
    top_share: float = Field(default=DEFAULT_TOP_SHARE, gt=0, le=1)


class UpsellRule(KpiModel):
    """Conditions a row must meet, all of them, to be listed as an upsell candidate."""

    min_score: float | None = Field(default=None, ge=0, le=100)
    min_satisfaction: float | None = None
    max_revenue: float | None = None  # revenue below this amount
    plan_property: str | None = None
    plans: tuple[str, ...] = ()  # option values of plan_property that can be upgraded
    stages: tuple[str, ...] = ()  # stage ids; default every stage that is not closed lost

    @model_validator(mode="after")
    def _plans_need_property(self) -> UpsellRule:
        if self.plans and not self.plan_property:
            raise ValueError("plans needs plan_property")
        return self


class PartnerSettings(KpiModel):
    """The partner table: one row per value of ``property`` among the KPI pipeline's rows.

    Rows of other pipelines are not counted, so a partner's own row in a
    partner-success pipeline is not one of the deals it brought.
    """

    property: str
    client_property: str | None = None  # counts distinct active clients
    start_date_property: str | None = None  # days to close are counted from this date


class DriverSettings(KpiModel):
    """Success drivers: the success rate per value of each attribute."""

    attributes: tuple[str, ...] = Field(min_length=1)
    # "won": won among closed deals; "retained": still active among the
    # retention cohort's customers.
    outcome: Literal["won", "retained"] = "won"
    min_rows: int = Field(default=DEFAULT_MIN_ROWS, ge=1)


class Lookup(KpiModel):
    """An attribute read from a table keyed by a property, e.g. account -> sector.

    Give the table inline in ``values``, or as a CSV file (path relative to
    the sheet's folder, then the design's folder) with its key and value
    columns. The bridge reads the file, because validators do no I/O.
    """

    name: str
    key_property: str
    values: dict[str, str] | None = None
    file: str | None = None
    key_column: str | None = None
    value_column: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Lookup:
        if (self.values is None) == (self.file is None):
            raise ValueError("give either values or file")
        if self.file is not None and not (self.key_column and self.value_column):
            raise ValueError("file needs key_column and value_column")
        return self


class KpiSettings(KpiModel):
    """Everything the KPI tab needs to know beyond the pipelines and scoring."""

    pipeline: str | None = None  # pipeline of the customers; None: every row
    period_days: int = Field(default=365, ge=1)  # default period: this many days up to --as-of
    revenue_property: str | None = None  # default: the sheet's amount column
    satisfaction_property: str | None = None
    retention: RetentionSettings | None = None  # None: no retention KPIs
    key_clients: KeyClientRule = KeyClientRule()
    upsell: UpsellRule | None = None
    partners: PartnerSettings | None = None
    drivers: DriverSettings | None = None
    lookups: tuple[Lookup, ...] = ()


def check_kpi_references(
    kpi: KpiSettings, property_names: set[str], stage_ids: dict[str, set[str]]
) -> list[str]:
    """Return one English text per name in ``kpi`` that the design does not define.

    ``stage_ids`` maps each pipeline id to its stage ids.
    """
    problems: list[str] = []
    lookup_names = {lookup.name for lookup in kpi.lookups}
    attributes = property_names | lookup_names

    def need(path: str, name: str | None, known: set[str]) -> None:
        if name is not None and name not in known:
            problems.append(f'kpi.{path}: "{name}" is not a property defined under properties')

    for index, lookup in enumerate(kpi.lookups):
        need(f"lookups[{index}].key_property", lookup.key_property, property_names)
        if lookup.name in property_names:
            problems.append(f'kpi.lookups[{index}].name: "{lookup.name}" is already a property')

    need("revenue_property", kpi.revenue_property, property_names)
    need("satisfaction_property", kpi.satisfaction_property, property_names)
    retention = kpi.retention or RetentionSettings()
    for field in ("status_property", "start_date_property", "end_date_property", "tenure_property"):
        need(f"retention.{field}", getattr(retention, field), property_names)
    need("key_clients.flag_property", kpi.key_clients.flag_property, property_names)
    if kpi.upsell is not None:
        need("upsell.plan_property", kpi.upsell.plan_property, property_names)
    if kpi.partners is not None:
        need("partners.property", kpi.partners.property, attributes)
        need("partners.client_property", kpi.partners.client_property, attributes)
        need("partners.start_date_property", kpi.partners.start_date_property, property_names)
    if kpi.drivers is not None:
        for index, name in enumerate(kpi.drivers.attributes):
            need(f"drivers.attributes[{index}]", name, attributes)
        if kpi.drivers.outcome == "retained" and kpi.retention is None:
            problems.append("kpi.drivers.outcome: retained needs a kpi.retention section")

    if kpi.pipeline is not None and kpi.pipeline not in stage_ids:
        problems.append(f'kpi.pipeline: "{kpi.pipeline}" is not a pipeline of the design')
    all_stages = set().union(*stage_ids.values()) if stage_ids else set()
    known_stages = stage_ids.get(kpi.pipeline, all_stages) if kpi.pipeline else all_stages
    stage_lists = [("retention.cancellation_stages", retention.cancellation_stages)]
    if kpi.upsell is not None:
        stage_lists.append(("upsell.stages", kpi.upsell.stages))
    for path, stages in stage_lists:
        for index, stage in enumerate(stages):
            if stage not in known_stages:
                problems.append(f'kpi.{path}[{index}]: "{stage}" is not a stage of the pipeline')
    return problems
