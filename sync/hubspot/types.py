"""Inputs and results of the HubSpot client's batch calls (plain frozen data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UpsertInput:
    """One record to write: ``id`` is the value of the batch's id property.

    ``trace_id`` is sent as ``objectWriteTraceId``; the sync uses the row key,
    so that each result and error of a 207 response finds its row.
    """

    id: str
    properties: Mapping[str, str]
    trace_id: str


@dataclass(frozen=True)
class RecordResult:
    """A record HubSpot wrote or returned."""

    hubspot_id: str
    properties: Mapping[str, str | None]
    is_new: bool | None = None  # None when HubSpot does not say
    updated_at: str | None = None


@dataclass(frozen=True)
class RecordError:
    """Reason HubSpot did not write one input, e.g. code INVALID_OPTION on property industry."""

    code: str
    message: str
    status: int | None = None
    property_name: str | None = None
    category: str | None = None


@dataclass
class BatchResult:
    """Per-trace-id outcome of a batch write over all its chunks.

    Inputs that shared one id were merged into one before sending. Every trace
    id of the group gets the group's outcome, and ``merged`` maps each extra
    trace id to the one that was sent. A trace id is in ``results`` or in ``errors``, never both.
    """

    results: dict[str, RecordResult] = field(default_factory=dict)
    errors: dict[str, RecordError] = field(default_factory=dict)
    merged: dict[str, str] = field(default_factory=dict)
    unassigned_errors: list[RecordError] = field(default_factory=list)
    requests: int = 0  # HTTP calls made, retries not counted

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unassigned_errors


@dataclass
class AssociationResult:
    """Outcome of ``associate_default``: pairs written and errors by (from id, to id)."""

    associated: list[tuple[str, str]] = field(default_factory=list)
    errors: dict[tuple[str, str], RecordError] = field(default_factory=dict)
    unassigned_errors: list[RecordError] = field(default_factory=list)
    requests: int = 0
