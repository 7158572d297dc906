"""Pipeline and stage rules: resolve each row's pipeline and stage, check stage requirements."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from validators.context import RuleContext
from validators.design import Pipeline
from validators.findings import Code, Severity
from validators.headers import header_key, map_distinct


@dataclass
class _Stages:
    """Per row: stage id, closed end, unknown-stage flag and suggested stage label."""

    ids: np.ndarray
    closed: np.ndarray
    unknown: np.ndarray
    suggestions: np.ndarray

    @classmethod
    def unresolved(cls, count: int) -> _Stages:
        return cls(
            np.full(count, None, dtype=object),
            np.full(count, None, dtype=object),
            np.zeros(count, dtype=bool),
            np.full(count, None, dtype=object),
        )


def resolve_stages(ctx: RuleContext) -> None:
    """Set ``pipeline_ids``, ``stage_ids`` and ``closed`` and report unknown values."""
    design = ctx.design
    pipeline_ids = _resolve_pipelines(ctx)
    stage_name = design.sheet.stage_column
    stage_text = ctx.normalized(stage_name)
    stages = _Stages.unresolved(len(ctx.index))

    # Without a stage column every row's stage is unknown, and no cell names one.
    if stage_text is not None:
        pipelines = pipeline_ids.to_numpy(dtype=object)
        texts = stage_text.to_numpy(dtype=object)
        for pipeline in design.pipelines:
            in_pipeline = pipelines == pipeline.id
            if in_pipeline.any():
                _resolve_in_pipeline(pipeline, in_pipeline, texts, stages)

    ctx.pipeline_ids = pipeline_ids
    ctx.stage_ids = pd.Series(stages.ids, index=ctx.index, dtype=object)
    ctx.closed = pd.Series(stages.closed, index=ctx.index, dtype=object)
    suggestions = pd.Series(stages.suggestions, index=ctx.index, dtype=object)
    ctx.emit(stages.unknown, stage_name, Code.UNKNOWN_STAGE, Severity.ERROR, None, suggestions)


def _resolve_in_pipeline(
    pipeline: Pipeline, in_pipeline: np.ndarray, texts: np.ndarray, stages: _Stages
) -> None:
    """Fill ``stages`` for the rows of one pipeline from their stage texts."""
    # Each distinct text is looked up once. Code -1 is a blank cell, and
    # the None after the distinct results is its result.
    codes, distinct_texts = pd.factorize(texts[in_pipeline], use_na_sentinel=True)
    lookup = _stage_lookup(pipeline)
    found = np.array(
        [*(lookup.get(header_key(text)) for text in distinct_texts), None], dtype=object
    )
    closed_by_stage = {stage.id: stage.closed for stage in pipeline.stages}
    ends = np.array([closed_by_stage.get(stage_id) for stage_id in found], dtype=object)
    stages.ids[in_pipeline] = found[codes]
    stages.closed[in_pipeline] = ends[codes]

    unresolved = np.array([stage_id is None for stage_id in found], dtype=bool)
    missing = np.zeros(len(texts), dtype=bool)
    missing[in_pipeline] = unresolved[codes] & (codes >= 0)
    stages.unknown |= missing
    labels = [stage.label for stage in pipeline.stages]
    missing_texts = [str(text) for text in texts[missing].tolist()]
    stages.suggestions[missing] = _closest_each(missing_texts, labels)


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
    flags = unknown.to_numpy()
    suggestions = np.full(len(flags), None, dtype=object)
    unknown_texts = [str(value) for value in text.to_numpy(dtype=object)[flags].tolist()]
    suggestions[flags] = _closest_each(unknown_texts, labels)
    suggested = pd.Series(suggestions, index=ctx.index, dtype=object)
    ctx.emit(unknown, column_name, Code.UNKNOWN_PIPELINE, Severity.ERROR, None, suggested)

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


def _closest_each(texts: list[str], labels: list[str]) -> list[str | None]:
    """Return the closest label of each text, matching each distinct text once."""
    closest = {text: _closest(text, labels) for text in dict.fromkeys(texts)}
    return [closest[text] for text in texts]


def check_stage_requirements(ctx: RuleContext) -> None:
    """Report properties the row's stage needs (cumulatively) that are blank."""
    assert ctx.pipeline_ids is not None and ctx.stage_ids is not None
    always = {prop.name for prop in ctx.design.properties if prop.required}
    pipeline_ids = ctx.pipeline_ids.to_numpy(dtype=object)
    stage_ids = ctx.stage_ids.to_numpy(dtype=object)
    if pd.isna(stage_ids).all():
        return  # no row has a known stage

    for pipeline in ctx.design.pipelines:
        in_pipeline = pipeline_ids == pipeline.id
        if not in_pipeline.any():
            continue
        for stage in pipeline.stages:
            in_stage = in_pipeline & (stage_ids == stage.id)
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
