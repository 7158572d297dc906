"""Per pipeline: rows and value by stage, conversion, days in stage, stale and overdue rows.

Definitions, per pipeline of the design and per stage in design order:

- rows and value: the rows currently in the stage and the sum of their
  amount (the sheet's amount column, else ``kpi.revenue_property``).
- conversion: the share of deals that reached an open stage and went on to
  the next one. A deal has reached open stage k when it sits in open stage
  k or later, or is won (a won deal passed every open stage). The last open
  stage converts to won. A lost deal counts as having reached only the first
  stage, because the sheet does not record where it dropped out.
- median days in stage: as-of date minus the stage-entered date, over the
  open rows in the stage.
- stale and overdue contacts: rows with a ``stale_in_stage`` or a
  ``contact_overdue`` finding in this run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from validators.design import Pipeline
from validators.findings import Code
from validators.kpi.data import KpiData
from validators.kpi.metric import Metric, Reason, median_of, rate, sum_of


@dataclass(frozen=True)
class StageKpi:
    stage: str
    label: str
    closed: str | None
    rows: int
    value: Metric
    conversion: Metric | None  # None for closed stages, where it does not apply
    median_days: Metric | None  # None for closed stages
    stale: int
    contact_overdue: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "label": self.label,
            "closed": self.closed,
            "rows": self.rows,
            "value": self.value.to_dict(),
            "conversion": None if self.conversion is None else self.conversion.to_dict(),
            "median_days": None if self.median_days is None else self.median_days.to_dict(),
            "stale": self.stale,
            "contact_overdue": self.contact_overdue,
        }


@dataclass(frozen=True)
class FunnelKpi:
    pipeline: str
    label: str
    rows: int
    unknown_stage: int  # rows of the pipeline whose stage matched no stage
    stages: list[StageKpi]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "label": self.label,
            "rows": self.rows,
            "unknown_stage": self.unknown_stage,
            "stages": [stage.to_dict() for stage in self.stages],
        }


def funnel_kpis(data: KpiData) -> list[FunnelKpi]:
    amount_name = data.design.sheet.amount_column or data.settings.revenue_property
    amounts = data.numbers(amount_name)
    entered = pd.to_datetime(data.rows["stage_entered"], errors="coerce")
    days = (pd.Timestamp(data.as_of) - entered).dt.days
    stale = data.finding_counts([Code.STALE_IN_STAGE.value]) > 0
    overdue = data.finding_counts([Code.CONTACT_OVERDUE.value]) > 0
    return [
        _pipeline_funnel(data, pipeline, amounts, days, stale, overdue)
        for pipeline in data.design.pipelines
    ]


def _pipeline_funnel(
    data: KpiData,
    pipeline: Pipeline,
    amounts: pd.Series,
    days: pd.Series,
    stale: pd.Series,
    overdue: pd.Series,
) -> FunnelKpi:
    in_pipeline = data.rows["pipeline"] == pipeline.id
    stages = data.rows["stage"].where(in_pipeline, None)
    counts = stages.value_counts()
    reached = _reached_counts(pipeline, counts)

    results = []
    open_ids = [stage.id for stage in pipeline.stages if not stage.is_closed]
    for stage in pipeline.stages:
        here = in_pipeline & (stages == stage.id)
        conversion = median_days = None
        if not stage.is_closed:
            position = open_ids.index(stage.id)
            conversion = _conversion(pipeline, open_ids, position, reached, counts)
            median_days = median_of(days[here])
        results.append(
            StageKpi(
                stage=stage.id,
                label=stage.label,
                closed=stage.closed,
                rows=int(here.sum()),
                value=sum_of(amounts[here]) if here.any() else Metric(0.0),
                conversion=conversion,
                median_days=median_days,
                stale=int((here & stale).sum()),
                contact_overdue=int((here & overdue).sum()),
            )
        )
    unknown = int((in_pipeline & data.rows["stage"].isna()).sum())
    return FunnelKpi(pipeline.id, pipeline.label, int(in_pipeline.sum()), unknown, results)


def _reached_counts(pipeline: Pipeline, counts: pd.Series) -> list[int]:
    """Return, per open stage in order, how many deals reached it."""
    open_ids = [stage.id for stage in pipeline.stages if not stage.is_closed]
    won = sum(int(counts.get(s.id, 0)) for s in pipeline.stages if s.closed == "won")
    lost = sum(int(counts.get(s.id, 0)) for s in pipeline.stages if s.closed == "lost")
    reached = []
    for position in range(len(open_ids)):
        later = sum(int(counts.get(stage_id, 0)) for stage_id in open_ids[position:])
        reached.append(later + won + (lost if position == 0 else 0))
    return reached


def _conversion(
    pipeline: Pipeline, open_ids: list[str], position: int, reached: list[int], counts: pd.Series
) -> Metric:
    if position + 1 < len(open_ids):
        return rate(reached[position + 1], reached[position])
    won_stages = [stage.id for stage in pipeline.stages if stage.closed == "won"]
    if not won_stages:
        return Metric.missing(Reason.NOT_CONFIGURED)
    won = sum(int(counts.get(stage_id, 0)) for stage_id in won_stages)
    return rate(won, reached[position])
