"""The team's pipeline design: properties, pipelines with ordered stages, scoring, sheet settings.

The models are pydantic; ``validators.design_file`` loads them from YAML and turns
every mistake into a ``DesignProblem`` that names the key and the line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from validators.kpi.settings import KpiSettings, check_kpi_references

PropertyType = Literal[
    "text",
    "number",
    "currency",
    "percent",
    "date",
    "datetime",
    "bool",
    "enum",
    "email",
    "phone",
    "url",
    "postal_code",
    "corporate_number",
]
ObjectType = Literal["deal", "company", "contact"]


class Model(BaseModel):
    # Unknown keys are rejected so that a typo in the design file is reported,
    # not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(Model):
    value: str  # HubSpot internal value
    label: str
    aliases: tuple[str, ...] = ()


class Property(Model):
    name: str  # HubSpot internal name
    label: str
    object: ObjectType = "deal"
    type: PropertyType = "text"
    aliases: tuple[str, ...] = ()  # sheet headers that mean this property (ja and en)
    options: tuple[Option, ...] = ()
    required: bool = False  # required in every stage
    unique: bool = False  # no two rows may share a value (after normalisation)
    min: float | None = None
    max: float | None = None
    blank_values: tuple[str, ...] = ()  # placeholders that mean "empty", e.g. "-1" or "未定"

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header text that binds a sheet column to this property."""
        return (self.label, self.name, *self.aliases)


class Stage(Model):
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    hubspot_id: str | None = None
    requires: tuple[str, ...] = ()  # property names needed to be in this stage
    cumulative: bool | None = None  # None: inherit the pipeline's setting
    max_days: int | None = Field(default=None, ge=1)
    contact_every_days: int | None = Field(default=None, ge=1)
    closed: Literal["won", "lost"] | None = None
    # Property whose date is when the deal entered this stage (e.g. engage_date),
    # used before the sheet-wide stage-entered column and the managed one.
    entered_date_property: str | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed is not None


class Pipeline(Model):
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    hubspot_id: str | None = None
    cumulative: bool = True  # stages inherit the requirements of earlier open stages
    stages: tuple[Stage, ...] = Field(min_length=1)

    def stage(self, stage_id: str) -> Stage:
        return next(stage for stage in self.stages if stage.id == stage_id)

    def required_properties(self, stage_id: str) -> tuple[str, ...]:
        """Return the properties a deal needs to sit in ``stage_id``, in design order.

        Requirements accumulate over the earlier open stages; closed stages
        (won, lost) pass nothing on to the stages after them.
        """
        required: list[str] = []
        for stage in self.stages:
            if stage.id == stage_id:
                cumulative = self.cumulative if stage.cumulative is None else stage.cumulative
                own = list(stage.requires)
                names = (required + own) if cumulative else own
                return tuple(dict.fromkeys(names))
            if not stage.is_closed:
                required.extend(stage.requires)
        raise KeyError(stage_id)


class Measure(Model):
    property: str
    weight: float = Field(gt=0)
    # Points 0-100 per value; keys are option values, labels or numbers as text.
    points: dict[str, float] | None = None
    # Linear scale for numbers: ``low`` scores 0 and ``high`` scores 100.
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _one_scale(self) -> Measure:
        has_range = self.low is not None and self.high is not None
        if self.points is None and not has_range:
            raise ValueError("give either points or both low and high")
        if has_range and self.low == self.high:
            raise ValueError("low and high must differ")
        return self


class GradeBand(Model):
    grade: str  # shown to users as is, e.g. 良好
    min: float = Field(ge=0, le=100)  # lowest score of the band


class Scoring(Model):
    measures: tuple[Measure, ...] = Field(min_length=1)
    bands: tuple[GradeBand, ...] = Field(min_length=1)
    # A warning when a row's score falls by more than this many points since
    # the previous run.
    drop_threshold: float | None = Field(default=None, gt=0)
    # With history, the drop is also measured from the highest score recorded
    # within this many days before the run, so a slow slide is caught too.
    drop_window_days: int | None = Field(default=None, ge=1)

    def grade(self, score: float) -> str:
        for band in sorted(self.bands, key=lambda band: band.min, reverse=True):
            if score >= band.min:
                return band.grade
        return sorted(self.bands, key=lambda band: band.min)[0].grade


class SheetSettings(Model):
    """Which properties play which role in the sheet, plus local-file defaults."""

    tab: str | None = None  # tab name; None: the first tab
    header_row: int = Field(default=1, ge=1)
    stage_column: str  # property holding the stage
    pipeline_column: str | None = None  # property holding the pipeline; None: the first pipeline
    key_column: str | None = None  # property holding a stable row id
    owner_column: str | None = None
    last_contact_column: str | None = None
    stage_entered_column: str | None = None
    next_step_column: str | None = None
    close_date_column: str | None = None
    amount_column: str | None = None
    locale: Literal["ja", "en"] = "ja"
    time_zone: str = "Asia/Tokyo"

    def role_columns(self) -> dict[str, str]:
        """Return role -> property name for every role the design fills."""
        roles = {
            "stage_column": self.stage_column,
            "pipeline_column": self.pipeline_column,
            "key_column": self.key_column,
            "owner_column": self.owner_column,
            "last_contact_column": self.last_contact_column,
            "stage_entered_column": self.stage_entered_column,
            "next_step_column": self.next_step_column,
            "close_date_column": self.close_date_column,
            "amount_column": self.amount_column,
        }
        return {role: name for role, name in roles.items() if name}


class Wave(Model):
    """A named slice of the sheet that is migrated to HubSpot together.

    A row belongs to the wave when it matches every filter given: its pipeline
    id, its owner (as written in the owner column) and one of the stage ids.
    """

    name: str
    pipeline: str | None = None
    owner: str | None = None
    stages: tuple[str, ...] = ()


class Design(Model):
    version: Literal[1] = 1
    name: str | None = None
    properties: tuple[Property, ...] = Field(min_length=1)
    pipelines: tuple[Pipeline, ...] = Field(min_length=1)
    scoring: Scoring | None = None
    sheet: SheetSettings
    kpi: KpiSettings = KpiSettings()  # optional; every KPI setting has a default
    waves: tuple[Wave, ...] = ()  # optional migration waves for ``bridge sync run --wave``

    @field_validator("kpi")
    @classmethod
    def _kpi_names_exist(cls, kpi: KpiSettings, info: ValidationInfo) -> KpiSettings:
        # When properties or pipelines are themselves invalid, their mistakes are
        # reported; checking names against them would only add false problems.
        if "properties" not in info.data or "pipelines" not in info.data:
            return kpi
        properties = info.data.get("properties") or ()
        pipelines = info.data.get("pipelines") or ()
        stage_ids = {p.id: {stage.id for stage in p.stages} for p in pipelines}
        problems = check_kpi_references(kpi, {prop.name for prop in properties}, stage_ids)
        if problems:
            raise ValueError("; ".join(problems))
        return kpi

    @field_validator("waves")
    @classmethod
    def _wave_names_exist(cls, waves: tuple[Wave, ...], info: ValidationInfo) -> tuple[Wave, ...]:
        if "pipelines" not in info.data:
            return waves  # the pipelines' own mistakes are reported instead
        pipelines = info.data.get("pipelines") or ()
        stages_by_pipeline = {p.id: {stage.id for stage in p.stages} for p in pipelines}
        every_stage = set().union(*stages_by_pipeline.values())
        problems = []
        seen: set[str] = set()
        for wave in waves:
            if wave.name in seen:
                problems.append(f"wave {wave.name!r} is defined more than once")
            seen.add(wave.name)
            known = every_stage
            if wave.pipeline is not None:
                if wave.pipeline not in stages_by_pipeline:
                    problems.append(f"wave {wave.name!r}: {wave.pipeline!r} is not a pipeline id")
                known = stages_by_pipeline.get(wave.pipeline, every_stage)
            for stage in wave.stages:
                if stage not in known:
                    problems.append(f"wave {wave.name!r}: {stage!r} is not a stage id")
        if problems:
            raise ValueError("; ".join(problems))
        return waves

    def wave(self, name: str) -> Wave | None:
        return next((wave for wave in self.waves if wave.name == name), None)

    def property(self, name: str) -> Property:
        return next(prop for prop in self.properties if prop.name == name)

    def property_names(self) -> set[str]:
        return {prop.name for prop in self.properties}

    def pipeline(self, pipeline_id: str) -> Pipeline:
        return next(pipeline for pipeline in self.pipelines if pipeline.id == pipeline_id)
