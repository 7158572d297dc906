"""Pipeline and stage rules: resolve each row's pipeline and stage, check stage requirements."""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from validators.context import RuleContext
from validators.design import Pipeline
from validators.findings import Code, Severity
from validators.headers import header_key, map_distinct


def resolve_stages(ctx: RuleContext) -> None:
    """Set ``pipeline_ids``, ``stage_ids`` and ``closed`` and report unknown values."""
    design = ctx.design
    pipeline_ids = _resolve_pipelines(ctx)
    stage_name = design.sheet.stage_column
    stage_text = ctx.normalized(stage_name)
    if stage_text is None:
        stage_text = pd.Series(None, index=ctx.index, dtype=object)

    stage_ids = pd.Series(None, index=ctx.index, dtype=object)
    closed = pd.Series(None, index=ctx.index, dtype=object)
    unknown = pd.Series(False, index=ctx.index)
    suggestions = pd.Series(None, index=ctx.index, dtype=object)

    for pipeline in design.pipelines:
        in_pipeline = pipeline_ids == pipeline.id
        if not in_pipeline.any():
            continue
        lookup = _stage_lookup(pipeline)
        keys = map_distinct(stage_text[in_pipeline], header_key)
        found = keys.map(lookup)
        stage_ids[in_pipeline] = found
        closed[in_pipeline] = found.map(
            {stage.id: stage.closed for stage in pipeline.stages}, na_action="ignore"
        )
        missing = found.isna() & stage_text[in_pipeline].notna()
        unknown[missing[missing].index] = True
        labels = [stage.label for stage in pipeline.stages]
        for position in missing[missing].index:
            suggestions.at[position] = _closest(str(stage_text.at[position]), labels)

    stage_ids = stage_ids.where(stage_ids.notna(), None)
    closed = closed.where(closed.notna(), None)
    ctx.pipeline_ids, ctx.stage_ids, ctx.closed = pipeline_ids, stage_ids, closed
    ctx.emit(unknown, stage_name, Code.UNKNOWN_STAGE, Severity.ERROR, None, suggestions)


def _resolve_pipelines(ctx: RuleContext) -> pd.Series:
    design = ctx.design
    column_name = design.sheet.pipeline_column
    default = design.pipelines[0].id
    text = ctx.normalized(column_name) if column_name else None
    if text is None:
        return pd.Series(default, index=ctx.index, dtype=object)

    lookup: dict[str, str] = {}
    for pipeline in design.pipelines:
        for name in (pipeline.id, pipeline.label, *pipeline.aliases):
            lookup.setdefault(header_key(name), pipeline.id)
    found = map_distinct(text, header_key).map(lookup)
    unknown = found.isna() & text.notna()

    labels = [pipeline.label for pipeline in design.pipelines]
    suggestions = pd.Series(None, index=ctx.index, dtype=object)
    for position in unknown[unknown].index:
        suggestions.at[position] = _closest(str(text.at[position]), labels)
    ctx.emit(unknown, column_name, Code.UNKNOWN_PIPELINE, Severity.ERROR, None, suggestions)

    # A blank pipeline cell falls back to the first pipeline; the required
    # check reports the blank cell when the design requires it.
    return found.where(text.notna(), default).where(found.notna() | text.isna(), None)


def _stage_lookup(pipeline: Pipeline) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for stage in pipeline.stages:
        for name in (stage.id, stage.label, *stage.aliases, stage.hubspot_id):
            if name:
                lookup.setdefault(header_key(name), stage.id)
    return lookup


def _closest(text: str, labels: list[str]) -> str | None:
    matches = difflib.get_close_matches(text, labels, n=1, cutoff=0.4)
    return matches[0] if matches else None


def check_stage_requirements(ctx: RuleContext) -> None:
    """Report properties the row's stage needs (cumulatively) that are blank."""
    assert ctx.pipeline_ids is not None and ctx.stage_ids is not None
    always = {prop.name for prop in ctx.design.properties if prop.required}

    for pipeline in ctx.design.pipelines:
        for stage in pipeline.stages:
            in_stage = ((ctx.pipeline_ids == pipeline.id) & (ctx.stage_ids == stage.id)).to_numpy()
            if not in_stage.any():
                continue
            for name in pipeline.required_properties(stage.id):
                if name in always and ctx.column(name) is not None:
                    continue  # already reported as missing_required
                result = ctx.values.get(name)
                blank = (
                    np.ones(len(ctx.index), dtype=bool)
                    if result is None
                    else (result.empty & ~result.formula_error).to_numpy()
                )
                # Name the property as the sheet's header does, since that is
                # the word the team reads; fall back to the design's label.
                column = ctx.column(name)
                label = column.name if column else ctx.design.property(name).label
                params = {"label": label, "stage": stage.label, "property": name}
                ctx.emit(
                    in_stage & blank,
                    name if column else None,
                    Code.STAGE_REQUIREMENT,
                    Severity.ERROR,
                    params,
                )
