"""Upsell candidates: the rows that meet every condition of the design's upsell rule.

Definition: a row of the KPI pipeline is a candidate when its stage is one
of ``upsell.stages`` (default: any stage that is not closed lost) and its
validation status is not error. It must also meet each condition the rule
sets: score at least ``min_score``, satisfaction at least
``min_satisfaction``, revenue below ``max_revenue``, plan one of ``plans``.

A row without the value a condition reads does not meet it: an unknown
revenue (blank, invalid, or a won deal without an amount, see
``validators.kpi.revenue.known_revenue``) is not "below the threshold". Rows
with an error (e.g. ``duplicate_key``) are left out because their values
cannot be trusted, and ``excluded_errors`` counts the ones that would
otherwise have been listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from validators.kpi.data import KpiData
from validators.kpi.revenue import known_revenue


@dataclass(frozen=True)
class UpsellCandidate:
    sheet_row: int
    row_key: str | None
    owner: str | None
    stage: str | None
    score: float | None
    satisfaction: float | None
    revenue: float | None
    plan: str | None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class UpsellKpi:
    candidates: list[UpsellCandidate]  # in sheet order
    excluded_errors: int  # rows meeting the rule but left out for their errors


def upsell_candidates(data: KpiData) -> UpsellKpi | None:
    """Return the candidates, or None when the design sets no rule."""
    rule = data.settings.upsell
    if rule is None:
        return None
    rows = data.rows
    match = data.in_pipeline()
    if rule.stages:
        match &= rows["stage"].isin(rule.stages)
    else:
        match &= rows["closed"] != "lost"

    score = pd.to_numeric(rows["score"], errors="coerce")
    satisfaction = data.numbers(data.settings.satisfaction_property)
    revenue = known_revenue(data)
    plan = data.column(rule.plan_property) if rule.plan_property else None
    if rule.min_score is not None:
        match &= score >= rule.min_score
    if rule.min_satisfaction is not None:
        match &= satisfaction >= rule.min_satisfaction
    if rule.max_revenue is not None:
        match &= revenue.notna() & (revenue < rule.max_revenue)
    if plan is not None and rule.plans:
        match &= plan.isin(rule.plans)
    has_error = rows["status"] == "error"
    excluded_errors = int((match & has_error).sum())
    match &= ~has_error

    plan_labels = data.labels(rule.plan_property, plan) if plan is not None else None
    owner_name = data.design.sheet.owner_column
    owners = data.labels(owner_name, rows["owner"]) if owner_name else rows["owner"]
    stage_labels = _stage_labels(data)
    candidates = []
    for index in rows.index[match.to_numpy()]:
        candidates.append(
            UpsellCandidate(
                sheet_row=int(rows.at[index, "sheet_row"]),
                row_key=_text(rows.at[index, "row_key"]),
                owner=_text(owners.at[index]),
                stage=stage_labels.get(rows.at[index, "stage"]),
                score=_number(score.at[index]),
                satisfaction=_number(satisfaction.at[index]),
                revenue=_number(revenue.at[index]),
                plan=None if plan_labels is None else _text(plan_labels.at[index]),
            )
        )
    return UpsellKpi(candidates, excluded_errors)


def _stage_labels(data: KpiData) -> dict[str, str]:
    return {stage.id: stage.label for p in data.design.pipelines for stage in p.stages}


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
