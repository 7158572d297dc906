"""Send one batch of rows to HubSpot: conflict check, companies, contacts, deals.

The batch's association links are returned in ``BatchOutcome.links``; the
runner gathers them across batches in ``sync.associations.AssociationQueue``,
because one association call carries up to 2,000 pairs.

``BatchSender.send`` never raises for a bad record: HubSpot's per-input
errors become ``sync_rejected`` findings on their rows, and a changed HubSpot
record becomes a ``sync_conflict`` finding instead of being overwritten.
Errors that stop the whole run (daily limit, HubSpot unavailable, a rejected
token) are raised to the runner.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from sync.hubspot.client import CASE_INSENSITIVE_ID_PROPERTIES, object_type_name
from sync.hubspot.types import BatchResult, RecordError, RecordResult, UpsertInput
from sync.ledger import OutcomeRecord, SyncedState
from sync.mapping import (
    CONTACT_ID_PROPERTY,
    DEAL_PIPELINE_PROPERTY,
    DEAL_STAGE_PROPERTY,
    ROW_KEY_PROPERTY,
    ObjectKey,
    merge_objects,
)
from sync.plan import UPDATE, RowPlan
from sync.ports import CrmWriter
from validators.engine import ValidationResult
from validators.findings import Code, Finding, Severity

logger = logging.getLogger(__name__)

SYNCED = "synced"
REJECTED = "rejected"
CONFLICT = "conflict"
SKIPPED = "skipped"
# The deal was written but a link to its company or contact failed. The row's
# last status is not ``synced``, so the next plan sends it again and the
# association is created then.
ASSOCIATION_FAILED = "association_failed"
# The row's records are written and its links wait in the run's association
# queue. A run that ends before sending them leaves this status in the
# ledger, so the next plan sends the row again, links included.
ASSOCIATION_PENDING = "association_pending"
OBJECT_KINDS = ("deal", "company", "contact")


class Link(NamedTuple):
    """One association a row needs, e.g. its deal (from) with its company (to)."""

    row_key: str
    from_type: str  # HubSpot's plural object type: deals, contacts
    from_id: str
    to_type: str
    to_id: str


@dataclass
class BatchOutcome:
    """Everything one batch produced, ready for ``Ledger.confirm_batch``."""

    outcomes: list[OutcomeRecord] = field(default_factory=list)
    states: list[SyncedState] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # row key -> synced, rejected, conflict
    links: list[Link] = field(default_factory=list)  # associations of the rows written, not sent
    created: int = 0
    updated: int = 0


@dataclass
class ObjectCache:
    """HubSpot ids of the companies and contacts this run has written, by match key."""

    companies: dict[tuple[str, str], str] = field(default_factory=dict)
    contacts: dict[tuple[str, str], str] = field(default_factory=dict)


class BatchSender:
    """Sends batches of planned rows through a ``CrmWriter``."""

    def __init__(
        self,
        client: CrmWriter,
        result: ValidationResult,
        *,
        update_only: bool = False,
        now: Callable[[], dt.datetime],
        step: Callable[[str], None] = lambda name: None,
    ) -> None:
        self.client = client
        self.result = result
        self.update_only = update_only
        self.now = now
        self.step = step
        self.cache = ObjectCache()

    def send(self, rows: Sequence[RowPlan]) -> BatchOutcome:
        """Write the batch's records; return their outcomes and the links still to create."""
        outcome = BatchOutcome()
        failed: dict[str, str] = {}  # row key -> message of the first rejection
        sendable = self._drop_conflicts(rows, outcome)
        for kind in ("company", "contact"):
            sendable = self._drop_object_conflicts(kind, sendable, outcome)

        company_ids = self._write_objects("company", sendable, failed, outcome)
        self.step("companies")
        contact_ids = self._write_objects("contact", sendable, failed, outcome)
        self.step("contacts")

        deal_rows = [row for row in sendable if row.row_key not in failed]
        deals = self._write_deals(deal_rows, outcome)
        self.step("deals")

        stamp = self.now()
        outcome.links = self._finish_rows(
            sendable, deals, company_ids, contact_ids, failed, stamp, outcome
        )
        return outcome

    # -- conflicts ------------------------------------------------------------

    def _drop_conflicts(self, rows: Sequence[RowPlan], outcome: BatchOutcome) -> list[RowPlan]:
        """Return the rows whose deal HubSpot has not changed since the bridge wrote it."""
        checked = [
            row for row in rows
            if row.action == UPDATE and row.state and row.state.deal_id
            and row.state.hubspot_modified_at is not None
        ]  # fmt: skip
        if not checked:
            return list(rows)
        names = sorted({name for row in checked for name in _deal_names(row)})
        found = self.client.batch_read(
            "deals", [row.state.deal_id for row in checked], properties=names
        )
        conflicted: set[str] = set()
        for row in checked:
            record = found.get(row.state.deal_id)
            if record is None:
                continue  # deleted in HubSpot: the upsert creates it again
            modified = parse_hubspot_time(_modified_text(record))
            if modified is None or modified <= row.state.hubspot_modified_at:
                continue
            differences = _differences(
                _deal_names(row), synced_values(row.state, "deal"), row.mapped.deal, record
            )
            if not differences:
                continue
            conflicted.add(row.row_key)
            self._report_conflict(row, "deal", differences, outcome)
        return [row for row in rows if row.row_key not in conflicted]

    def _drop_object_conflicts(
        self, kind: str, rows: list[RowPlan], outcome: BatchOutcome
    ) -> list[RowPlan]:
        """Return the rows whose company or contact (``kind``) HubSpot has not changed.

        A value counts as changed in HubSpot when it differs both from what the
        bridge last wrote (kept in the row's state) and from the sheet. Every
        row of the batch that names such a record is held back, because sending
        any of them would overwrite the HubSpot edit.
        """
        cache = self.cache.companies if kind == "company" else self.cache.contacts
        written: dict[str, dict[str, str]] = {}  # HubSpot id -> values the bridge last wrote
        match_of: dict[str, tuple[str, str]] = {}
        for row in rows:
            key = _object_key(row, kind)
            hubspot_id = _state_id(row, kind)
            if key is None or not hubspot_id or key.match_key in cache:
                continue
            written.setdefault(hubspot_id, {}).update(synced_values(row.state, kind))
            match_of[hubspot_id] = key.match_key
        written = {hubspot_id: values for hubspot_id, values in written.items() if values}
        if not written:
            return rows
        merged = merge_objects((row.mapped for row in rows if row.mapped), kind)
        names = sorted({name for values in written.values() for name in values})
        found = self.client.batch_read(object_type_name(kind), list(written), properties=names)

        conflicted: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
        for hubspot_id, values in written.items():
            record = found.get(hubspot_id)
            if record is None:
                continue  # deleted in HubSpot: the upsert creates it again
            sheet_values = merged[match_of[hubspot_id]][1]
            names = sorted(set(values) | set(sheet_values))
            differences = _differences(names, values, sheet_values, record)
            if differences:
                conflicted[match_of[hubspot_id]] = differences
        kept = []
        for row in rows:
            key = _object_key(row, kind)
            if key is not None and key.match_key in conflicted:
                self._report_conflict(row, kind, conflicted[key.match_key], outcome)
            else:
                kept.append(row)
        return kept

    def _report_conflict(
        self,
        row: RowPlan,
        kind: str,
        differences: list[tuple[str, str, str]],
        outcome: BatchOutcome,
    ) -> None:
        logger.warning(
            "Row %s (sheet row %d): its %s changed in HubSpot since the last sync: %s",
            row.row_key, row.sheet_row, kind, ", ".join(name for name, _, _ in differences),
        )  # fmt: skip
        for name, hubspot_value, sheet_value in differences:
            outcome.findings.append(
                self._finding(row, name, Code.SYNC_CONFLICT, sheet_value,
                              {"hubspot_value": hubspot_value})
            )  # fmt: skip
        outcome.outcomes.append(
            OutcomeRecord(row.row_key, kind, row.action, CONFLICT, _state_id(row, kind),
                          "changed in HubSpot: " + ", ".join(n for n, _, _ in differences),
                          row.mapped.content_hash)
        )  # fmt: skip
        base = row.state or SyncedState(row.row_key)
        outcome.states.append(with_status(base, CONFLICT, f"{kind} changed in HubSpot"))
        outcome.statuses[row.row_key] = CONFLICT

    # -- companies and contacts -----------------------------------------------

    def _write_objects(
        self, kind: str, rows: list[RowPlan], failed: dict[str, str], outcome: BatchOutcome
    ) -> dict[tuple[str, str], str]:
        """Write the distinct companies or contacts of ``rows``; return match key -> HubSpot id."""
        cache = self.cache.companies if kind == "company" else self.cache.contacts
        merged = merge_objects((row.mapped for row in rows if row.mapped), kind)
        rows_by_object: dict[tuple[str, str], list[RowPlan]] = {}
        for row in rows:
            key = _object_key(row, kind)
            if key is not None:
                rows_by_object.setdefault(key.match_key, []).append(row)

        pending = {match: item for match, item in merged.items() if match not in cache}
        for match, (_, properties) in pending.items():
            # A cell emptied since the last sync empties the HubSpot value too.
            for row in rows_by_object[match]:
                for name in synced_values(row.state, kind):
                    properties.setdefault(name, "")
        by_property: dict[str | None, list[UpsertInput]] = {}
        traced: dict[str, tuple[str, str]] = {}
        for match, (key, properties) in pending.items():
            first_row = rows_by_object[match][0]
            if self.update_only:
                known = _state_id(first_row, kind)
                if not known:
                    continue  # update-only never creates a company or contact
                item = UpsertInput(id=known, properties=properties, trace_id=first_row.row_key)
                by_property.setdefault(None, []).append(item)
            else:
                item = UpsertInput(id=key.value, properties=properties, trace_id=first_row.row_key)
                by_property.setdefault(key.id_property, []).append(item)
            traced[first_row.row_key] = match

        object_type = "companies" if kind == "company" else "contacts"
        for id_property, inputs in by_property.items():
            if id_property is None:
                batch = self.client.batch_update(object_type, inputs)
            else:
                batch = self.client.batch_upsert(object_type, inputs, id_property=id_property)
            self._file_object_results(kind, batch, traced, rows_by_object, cache, failed, outcome)
        return cache

    def _file_object_results(
        self,
        kind: str,
        batch: BatchResult,
        traced: dict[str, tuple[str, str]],
        rows_by_object: dict[tuple[str, str], list[RowPlan]],
        cache: dict[tuple[str, str], str],
        failed: dict[str, str],
        outcome: BatchOutcome,
    ) -> None:
        for trace_id, record in batch.results.items():
            if trace_id in traced:
                cache[traced[trace_id]] = record.hubspot_id
        for trace_id, error in batch.errors.items():
            match = traced.get(trace_id)
            if match is None:
                continue
            for row in rows_by_object.get(match, []):
                self._reject(row, kind, error, failed, outcome)

    # -- deals ----------------------------------------------------------------

    def _write_deals(self, rows: list[RowPlan], outcome: BatchOutcome) -> BatchResult:
        inputs = []
        for row in rows:
            properties = dict(row.mapped.deal)
            # A cell emptied since the last sync empties the HubSpot value too.
            for name in synced_values(row.state, "deal"):
                properties.setdefault(name, "")
            if self.update_only:
                inputs.append(UpsertInput(row.state.deal_id, properties, row.row_key))
            else:
                inputs.append(UpsertInput(row.row_key, properties, row.row_key))
        if not inputs:
            return BatchResult()
        if self.update_only:
            # The update endpoint takes HubSpot ids; trace ids stay the row keys.
            return self.client.batch_update("deals", inputs)
        return self.client.batch_upsert("deals", inputs, id_property=ROW_KEY_PROPERTY)

    def _finish_rows(
        self,
        rows: list[RowPlan],
        deals: BatchResult,
        company_ids: dict[tuple[str, str], str],
        contact_ids: dict[tuple[str, str], str],
        failed: dict[str, str],
        stamp: dt.datetime,
        outcome: BatchOutcome,
    ) -> list[Link]:
        """Record each row's outcome and new state; return the links the rows need."""
        pairs: list[Link] = []
        for row in rows:
            key = row.row_key
            if key in failed:
                continue
            error = deals.errors.get(key)
            if error is not None:
                self._reject(row, "deal", error, failed, outcome)
                continue
            record = deals.results.get(key)
            if record is None:
                continue  # not sent: update-only row without a deal id
            company_id = _lookup(company_ids, row, "company")
            contact_id = _lookup(contact_ids, row, "contact")
            is_new = record.is_new if record.is_new is not None else row.action != UPDATE
            outcome.created += int(is_new)
            outcome.updated += int(not is_new)
            outcome.outcomes.append(
                OutcomeRecord(key, "deal", "create" if is_new else "update", SYNCED,
                              record.hubspot_id, None, row.mapped.content_hash)
            )  # fmt: skip
            outcome.states.append(
                SyncedState(
                    key,
                    deal_id=record.hubspot_id,
                    company_id=company_id or (row.state.company_id if row.state else None),
                    contact_id=contact_id or (row.state.contact_id if row.state else None),
                    content_hash=row.mapped.content_hash,
                    synced_at=stamp,
                    hubspot_modified_at=parse_hubspot_time(_modified_text(record)) or stamp,
                    synced_properties={
                        "deal": dict(row.mapped.deal),
                        "company": dict(row.mapped.company) if company_id else {},
                        "contact": dict(row.mapped.contact) if contact_id else {},
                    },
                    last_status=SYNCED,
                )
            )
            outcome.statuses[key] = SYNCED
            if company_id:
                pairs.append(Link(key, "deals", record.hubspot_id, "companies", company_id))
            if contact_id:
                pairs.append(Link(key, "deals", record.hubspot_id, "contacts", contact_id))
            if company_id and contact_id:
                pairs.append(Link(key, "contacts", contact_id, "companies", company_id))
        return pairs

    # -- findings -------------------------------------------------------------

    def _reject(
        self,
        row: RowPlan,
        kind: str,
        error: RecordError,
        failed: dict[str, str],
        outcome: BatchOutcome,
    ) -> None:
        if row.row_key in failed:
            return
        detail = f"{error.message} [{error.code}]"
        failed[row.row_key] = detail
        name = _design_property(self.result, error.property_name)
        sheet_value = None
        if name is not None and name in self.result.values.columns:
            sheet_value = self.result.values.at[row.position, name]
        outcome.findings.append(
            self._finding(row, name, Code.SYNC_REJECTED, sheet_value, {"detail": detail})
        )
        outcome.outcomes.append(
            OutcomeRecord(row.row_key, kind, row.action, REJECTED, None, detail,
                          row.mapped.content_hash)
        )  # fmt: skip
        base = row.state or SyncedState(row.row_key)
        outcome.states.append(with_status(base, REJECTED, detail))
        outcome.statuses[row.row_key] = REJECTED
        logger.info(
            "HubSpot rejected row %s (sheet row %d): %s", row.row_key, row.sheet_row, detail
        )

    def _finding(
        self,
        row: RowPlan,
        name: str | None,
        code: Code,
        value: Any,
        params: dict[str, Any],
        severity: Severity = Severity.ERROR,
    ) -> Finding:
        column = self.result.binding.column(name) if name else None
        label = self.result.design.property(name).label if name else ""
        return Finding(
            row=row.sheet_row,
            column=column.name if column else None,
            column_letter=column.letter if column else None,
            code=code,
            severity=severity,
            value=_plain(value),
            params={"label": label, **params},
        )


def parse_hubspot_time(text: str | None) -> dt.datetime | None:
    """Parse HubSpot's ISO 8601 or epoch-millisecond timestamp into an aware datetime."""
    if not text:
        return None
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def same_value(left: str | None, right: str | None, *, case_insensitive: bool = False) -> bool:
    """Compare HubSpot texts loosely: blanks, numbers by value, dates by their day.

    ``case_insensitive`` is for email and domain, which HubSpot stores lower-cased.
    """
    left, right = (left or "").strip(), (right or "").strip()
    if left == right or (case_insensitive and left.casefold() == right.casefold()):
        return True
    try:
        return Decimal(left) == Decimal(right)
    except InvalidOperation:
        pass
    # HubSpot may return a date property as midnight UTC: 2024-04-01T00:00:00Z.
    day = len("2024-04-01")
    return left[:day] == right[:day] and "T00:00:00" in left + right


def synced_values(state: SyncedState | None, kind: str) -> dict[str, Any]:
    """Return the values the bridge last wrote to the row's deal, company or contact.

    ``synced_properties`` contains one dict per object kind. A flat dict (written
    before companies and contacts were kept) contains the deal's values only.
    """
    if state is None or not state.synced_properties:
        return {}
    stored = state.synced_properties
    if not all(isinstance(stored.get(name, {}), dict) for name in OBJECT_KINDS):
        return dict(stored) if kind == "deal" else {}
    return dict(stored.get(kind) or {})


def _differences(
    names: list[str],
    written: dict[str, Any],
    sheet: dict[str, str],
    record: RecordResult,
) -> list[tuple[str, str, str]]:
    """Return (property, HubSpot value, sheet value) where HubSpot changed a value the sheet differs on."""
    differences = []
    for name in names:
        caseless = name in CASE_INSENSITIVE_ID_PROPERTIES
        hubspot_value = record.properties.get(name)
        if same_value(hubspot_value, written.get(name), case_insensitive=caseless):
            continue  # HubSpot still has what the bridge wrote
        if same_value(hubspot_value, sheet.get(name), case_insensitive=caseless):
            continue
        differences.append((name, hubspot_value or "", sheet.get(name) or ""))
    return differences


def _deal_names(row: RowPlan) -> list[str]:
    names = set(row.mapped.deal) | set(synced_values(row.state, "deal"))
    return sorted(names - {ROW_KEY_PROPERTY})


def _modified_text(record: RecordResult) -> str | None:
    return record.properties.get("hs_lastmodifieddate") or record.updated_at


def _object_key(row: RowPlan, kind: str) -> ObjectKey | None:
    if row.mapped is None:
        return None
    return row.mapped.company_key if kind == "company" else row.mapped.contact_key


def _state_id(row: RowPlan, kind: str) -> str | None:
    if row.state is None:
        return None
    return row.state.company_id if kind == "company" else row.state.contact_id


def _lookup(ids: dict[tuple[str, str], str], row: RowPlan, kind: str) -> str | None:
    key = _object_key(row, kind)
    return ids.get(key.match_key) if key else None


def with_status(state: SyncedState, status: str, message: str | None) -> SyncedState:
    """Return a copy of ``state`` with another last status and message."""
    return SyncedState(
        state.row_key, state.deal_id, state.company_id, state.contact_id, state.content_hash,
        state.synced_at, state.hubspot_modified_at, dict(state.synced_properties), status, message,
    )  # fmt: skip


def _design_property(result: ValidationResult, hubspot_name: str | None) -> str | None:
    """Return the design property behind a HubSpot property name, if the sheet has it."""
    if not hubspot_name:
        return None
    roles = result.design.sheet
    special = {
        DEAL_STAGE_PROPERTY: roles.stage_column,
        DEAL_PIPELINE_PROPERTY: roles.pipeline_column,
        ROW_KEY_PROPERTY: roles.key_column,
        CONTACT_ID_PROPERTY: CONTACT_ID_PROPERTY,
    }
    name = special.get(hubspot_name, hubspot_name)
    return name if name in result.design.property_names() else None


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
