"""The HubSpot client interface the staged runner uses (``sync.hubspot.HubSpotClient`` implements it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from sync.hubspot.types import AssociationResult, BatchResult, RecordResult, UpsertInput


class CrmWriter(Protocol):
    def batch_upsert(
        self, object_type: str, inputs: Sequence[UpsertInput], id_property: str
    ) -> BatchResult: ...

    def batch_update(
        self, object_type: str, inputs: Sequence[UpsertInput], id_property: str | None = None
    ) -> BatchResult: ...

    def batch_read(
        self,
        object_type: str,
        ids: Iterable[str],
        id_property: str | None = None,
        properties: Iterable[str] = (),
    ) -> dict[str, RecordResult]: ...

    def associate_default(
        self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]
    ) -> AssociationResult: ...
