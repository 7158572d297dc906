"""Request and response bodies of the API; ``/openapi.json`` is generated from them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["ja", "en"]
JobState = Literal["queued", "running", "paused", "done", "failed"]
MAX_DESIGN_CHARS = 500_000


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LangQuery(BaseModel):
    """Query parameter of GET routes: the language of their messages."""

    lang: Language | None = Field(
        default=None, description="Language of messages; default: Accept-Language, else ja"
    )


class SheetQuery(LangQuery):
    """Query parameters naming a spreadsheet tab, for GET routes."""

    spreadsheet: str = Field(
        min_length=1, max_length=2_000, description="Google Sheets URL or spreadsheet id"
    )
    sheet: str | None = Field(default=None, max_length=200, description="Tab name")
    gid: int | None = Field(default=None, ge=0, description="Tab id")


class SheetRequest(Request):
    """A spreadsheet tab to read, and how to report on it."""

    spreadsheet: str = Field(
        min_length=1,
        max_length=2_000,
        description="Google Sheets URL (`#gid=` selects the tab) or spreadsheet id",
        examples=["https://docs.google.com/spreadsheets/d/1AbC.../edit#gid=0"],
    )
    sheet: str | None = Field(
        default=None, max_length=200, description="Tab name; default: the design's tab or `gid`"
    )
    gid: int | None = Field(default=None, ge=0, description="Tab id; overrides `#gid=` in the URL")
    design_yaml: str | None = Field(
        default=None,
        max_length=MAX_DESIGN_CHARS,
        description="Design as YAML text; default: the bundled example design",
    )
    as_of: dt.date | None = Field(
        default=None, description="Date that day counts are measured from; default: today"
    )
    lang: Language | None = Field(
        default=None, description="Language of messages; default: Accept-Language, else ja"
    )


class ValidationRequest(SheetRequest):
    """Start a validation of one tab."""

    write: bool = Field(default=True, description="Write the managed columns into the sheet")


class KpiRequest(SheetRequest):
    """Compute the team's KPI tables and to-do list of one tab."""

    period: str | None = Field(
        default=None,
        max_length=40,
        pattern=r"^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$",
        description="Period of the retention KPIs, START..END (both inclusive)",
        examples=["2025-04-01..2026-03-31"],
    )
    write: bool = Field(default=True, description="Write the KPI and to-do tabs into the sheet")


class DesignCheckRequest(Request):
    """A design to check without reading any sheet."""

    design_yaml: str = Field(min_length=1, max_length=MAX_DESIGN_CHARS)
    lang: Language | None = None


class JobAccepted(BaseModel):
    """Response to a request that started a job."""

    job_id: str
    state: JobState
    status_url: str = Field(description="Poll this URL with GET until `state` is done or failed")


class FindingItem(BaseModel):
    """One finding of the validation report."""

    row: int | None = Field(description="Row as the sheet shows it (header row 1: data from 2)")
    column: str | None
    column_letter: str | None
    code: str
    severity: Literal["error", "warning"]
    value: Any = None
    message: str
    suggestion: Any = None


class ValidationReport(BaseModel):
    """The validation result: summary counts and every finding."""

    summary: dict[str, Any]
    findings: list[FindingItem]
    written: str | None = Field(default=None, description="Where the result columns went")


class JobProblem(BaseModel):
    """Failure of a job, in the same form as a problem+json response."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = Field(default=None, description="The job's status path")
    request_id: str | None = Field(
        default=None, description="The job id, which every log line of the job contains"
    )


class JobStatus(BaseModel):
    """A job's state, progress and, once finished, its result or error."""

    job_id: str
    kind: str
    state: JobState
    progress: float = Field(ge=0, le=1)
    pause_reason: str | None = Field(
        default=None, description="`token_expired`: send a request with a fresh OAuth token"
    )
    spreadsheet_id: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    result: ValidationReport | dict[str, Any] | None = Field(
        default=None, description="Validation: the JSON report. KPI: the KPI tables and to-do list"
    )
    error: JobProblem | None = None


class DesignProblemItem(BaseModel):
    key: str
    line: int | None
    code: str
    message: str


class DesignCheckResponse(BaseModel):
    """Whether a design can be used, with every problem found."""

    valid: bool
    problems: list[DesignProblemItem]
    pipelines: int = 0
    stages: int = 0
    properties: int = 0


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class TaskRequest(Request):
    """Body of a Cloud Tasks delivery."""

    job_id: str = Field(min_length=1, max_length=64)
    step: int | None = Field(
        default=None, ge=1, description="Step the task runs; a job at another step ignores it"
    )


class TaskOutcome(BaseModel):
    job_id: str
    state: JobState | None = Field(
        description="The job's state; null when no job has this id, so the task is dropped"
    )
    ran: bool = Field(description="False when the delivery repeated a finished or running job")
