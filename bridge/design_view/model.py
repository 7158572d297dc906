"""Turn a design into what the diagrams show: translated labels, stages in order, scoring.

Every renderer (HTML, SVG, Markdown) reads this view, and the view is computed
from ``validators.design`` alone, so a diagram cannot disagree with what
validation checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.i18n import N_, gettext
from validators.design import Design, Measure, Pipeline, Stage

# Labels of the diagrams, translated once per view so the templates hold no text.
TEXTS: dict[str, str] = {
    "title": N_("Pipeline design"),
    "stage": N_("Stage"),
    "kind": N_("Kind"),
    "adds": N_("Adds to requirements"),
    "total": N_("Required in total"),
    "max_days": N_("Max days in stage"),
    "contact": N_("Contact cadence"),
    "always": N_("Required in every stage"),
    "none": N_("none"),
    "scoring": N_("Scoring model"),
    "measure": N_("Measure"),
    "weight": N_("Weight"),
    "share": N_("Share of score"),
    "scale": N_("Scale"),
    "grade": N_("Grade"),
    "from_score": N_("From score"),
    "no_scoring": N_("This design has no scoring model."),
    "pipeline_id": N_("Pipeline id"),
}

KIND_TEXTS = {"open": N_("Open"), "won": N_("Won (closed)"), "lost": N_("Lost (closed)")}
MAX_DAYS_TEXT = N_("at most {days} days")
CONTACT_TEXT = N_("contact every {days} days")
TOTAL_TEXT = N_("{count} properties in total")
DROP_TEXT = N_("A warning when the score falls by more than {points} points since the last run.")
DROP_WINDOW_TEXT = N_(
    "A warning when the score falls by more than {points} points since the last run "
    "or within {days} days."
)
RANGE_TEXT = N_("{low} scores 0, {high} scores 100")


@dataclass(frozen=True)
class PropertyView:
    name: str  # HubSpot internal name
    label: str

    @property
    def text(self) -> str:
        return f"{self.label} ({self.name})" if self.label != self.name else self.label


@dataclass(frozen=True)
class StageView:
    id: str
    label: str
    kind: str  # "open", "won" or "lost"
    kind_text: str
    added: tuple[PropertyView, ...]  # properties this stage adds to those inherited
    required: tuple[PropertyView, ...]  # everything a deal needs here, always-required included
    inherits: bool  # False when the stage drops the requirements of earlier stages
    max_days: int | None
    contact_every_days: int | None
    max_days_text: str
    contact_text: str
    total_text: str


@dataclass(frozen=True)
class PipelineView:
    id: str
    label: str
    always: tuple[PropertyView, ...]
    stages: tuple[StageView, ...]

    @property
    def open_stages(self) -> tuple[StageView, ...]:
        return tuple(stage for stage in self.stages if stage.kind == "open")

    @property
    def closed_stages(self) -> tuple[StageView, ...]:
        return tuple(stage for stage in self.stages if stage.kind != "open")


@dataclass(frozen=True)
class MeasureView:
    property: PropertyView
    weight: float
    share: float  # percent of the total weight
    scale: str


@dataclass(frozen=True)
class BandView:
    grade: str
    min: float


@dataclass(frozen=True)
class ScoringView:
    measures: tuple[MeasureView, ...]
    bands: tuple[BandView, ...]  # best band first
    drop_text: str | None


@dataclass(frozen=True)
class DesignView:
    name: str
    lang: str
    texts: dict[str, str]
    pipelines: tuple[PipelineView, ...]
    scoring: ScoringView | None


def build_view(design: Design, lang: str) -> DesignView:
    """Return the diagram view of ``design`` with every label in ``lang``."""
    texts = {key: gettext(lang, text) for key, text in TEXTS.items()}
    always = tuple(_property(design, prop.name) for prop in design.properties if prop.required)
    pipelines = tuple(_pipeline(design, pipeline, always, lang) for pipeline in design.pipelines)
    return DesignView(
        name=design.name or texts["title"],
        lang=lang,
        texts=texts,
        pipelines=pipelines,
        scoring=_scoring(design, lang),
    )


def _property(design: Design, name: str) -> PropertyView:
    return PropertyView(name=name, label=design.property(name).label)


def _pipeline(
    design: Design, pipeline: Pipeline, always: tuple[PropertyView, ...], lang: str
) -> PipelineView:
    always_names = [prop.name for prop in always]
    stages = []
    inherited: tuple[str, ...] = ()
    for stage in pipeline.stages:
        required = pipeline.required_properties(stage.id)
        inherits = set(inherited) <= set(required)
        added = [name for name in required if name not in inherited] if inherits else required
        stages.append(_stage(design, stage, tuple(added), required, always_names, inherits, lang))
        if not stage.is_closed:
            # The next stage inherits what this open stage needs; closed ends pass nothing on.
            inherited = required
    return PipelineView(pipeline.id, pipeline.label, always, tuple(stages))


def _stage(
    design: Design,
    stage: Stage,
    added: tuple[str, ...],
    required: tuple[str, ...],
    always: list[str],
    inherits: bool,
    lang: str,
) -> StageView:
    everything = tuple(dict.fromkeys([*always, *required]))
    kind = stage.closed or "open"
    return StageView(
        id=stage.id,
        label=stage.label,
        kind=kind,
        kind_text=gettext(lang, KIND_TEXTS[kind]),
        added=tuple(_property(design, name) for name in added),
        required=tuple(_property(design, name) for name in everything),
        inherits=inherits,
        max_days=stage.max_days,
        contact_every_days=stage.contact_every_days,
        max_days_text=gettext(lang, MAX_DAYS_TEXT, days=stage.max_days) if stage.max_days else "",
        contact_text=(
            gettext(lang, CONTACT_TEXT, days=stage.contact_every_days)
            if stage.contact_every_days
            else ""
        ),
        total_text=gettext(lang, TOTAL_TEXT, count=len(everything)),
    )


def _scoring(design: Design, lang: str) -> ScoringView | None:
    scoring = design.scoring
    if scoring is None:
        return None
    total = sum(measure.weight for measure in scoring.measures)
    measures = tuple(
        MeasureView(
            property=_property(design, measure.property),
            weight=measure.weight,
            share=round(measure.weight / total * 100.0, 1),
            scale=_scale_text(design, measure, lang),
        )
        for measure in scoring.measures
    )
    bands = tuple(
        BandView(band.grade, band.min)
        for band in sorted(scoring.bands, key=lambda band: band.min, reverse=True)
    )
    drop_text = None
    if scoring.drop_threshold is not None:
        points = _number(scoring.drop_threshold)
        window = getattr(scoring, "drop_window_days", None)
        drop_text = (
            gettext(lang, DROP_WINDOW_TEXT, points=points, days=window)
            if window
            else gettext(lang, DROP_TEXT, points=points)
        )
    return ScoringView(measures, bands, drop_text)


def _scale_text(design: Design, measure: Measure, lang: str) -> str:
    if measure.points is not None:
        # Show option labels where the key is an option's internal value.
        labels = {
            option.value: option.label for option in design.property(measure.property).options
        }
        return ", ".join(
            f"{labels.get(key, key)} → {_number(points)}" for key, points in measure.points.items()
        )
    return gettext(lang, RANGE_TEXT, low=_number(measure.low), high=_number(measure.high))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
