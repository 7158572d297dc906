"""Sync plans: what a run would do to each row, decided by row key and content hash.

A row's identity is its row key, never its row number, so sorting the sheet or
inserting rows changes nothing in a plan. Per row the plan sets ``create``
(HubSpot has no deal for the key yet), ``update`` (the row changed since its
last sync, or that sync failed), ``unchanged`` or ``blocked`` (an error
finding, listed by code). Rows the ledger knows but the sheet no longer has
are listed as removed; the bridge never deletes them in HubSpot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from sync.ledger import SyncedState
from sync.mapping import (
    DEAL_PIPELINE_PROPERTY,
    DEAL_STAGE_PROPERTY,
    OWNER_PROPERTY,
    MappedRow,
    map_rows,
)
from sync.owners import OwnerDirectory
from sync.run_errors import WaveNotFound
from validators.design import Wave
from validators.engine import ValidationResult
from validators.findings import Code, Finding, Severity

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"
BLOCKED = "blocked"
ACTIONS = (CREATE, UPDATE, UNCHANGED, BLOCKED)
OBJECT_TYPES = ("deal", "company", "contact")


@dataclass(frozen=True)
class RowPlan:
    """The planned action for one non-blank row."""

    row_key: str | None
    sheet_row: int
    position: int  # 0-based data row position in the SheetTable
    action: str
    blocking_codes: tuple[str, ...] = ()
    mapped: MappedRow | None = None
    state: SyncedState | None = None

    @property
    def is_eligible(self) -> bool:
        return self.action in (CREATE, UPDATE)


@dataclass(frozen=True)
class PortalIds:
    """HubSpot ids read from the portal before a sync: owners and deal stages.

    ``stages`` maps (design pipeline id, design stage id) to the portal's
    (pipeline id, stage id), so a design that names stages by label still
    sends HubSpot's ids.
    """

    owners: OwnerDirectory | None = None
    stages: Mapping[tuple[str, str], tuple[str, str]] = field(default_factory=dict)


@dataclass
class SyncPlan:
    sheet_id: str
    rows: list[RowPlan]  # the wave's rows (all non-blank rows without a wave), in sheet order
    removed: list[str]  # row keys in the ledger that the sheet no longer has
    wave: str | None = None
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # found while planning: unknown owners

    def eligible(self, first: Sequence[str] = ()) -> list[RowPlan]:
        """Return the rows to send, in sheet order, with the row keys in ``first`` moved ahead."""
        rows = [row for row in self.rows if row.is_eligible]
        if not first:
            return rows
        order = {key: index for index, key in enumerate(first)}
        return sorted(rows, key=lambda row: order.get(row.row_key or "", len(order)))

    def by_key(self) -> dict[str, RowPlan]:
        return {row.row_key: row for row in self.rows if row.row_key is not None}

    def to_dict(self) -> dict[str, Any]:
        """Return the plan as JSON-ready data for ``--json`` and the API."""
        return {
            "sheet_id": self.sheet_id,
            "wave": self.wave,
            "totals": self.totals,
            "removed": list(self.removed),
            "rows": [
                {
                    "row": row.sheet_row,
                    "row_key": row.row_key,
                    "action": row.action,
                    "blocking_codes": list(row.blocking_codes),
                    "hubspot_id": row.state.deal_id if row.state else None,
                }
                for row in self.rows
            ],
        }


def build_plan(
    result: ValidationResult,
    states: Mapping[str, SyncedState],
    *,
    sheet_id: str,
    wave: str | None = None,
    portal: PortalIds | None = None,
) -> SyncPlan:
    """Plan a sync of ``result`` against the ledger's row ``states``; nothing is written.

    With ``portal``, owners are sent as HubSpot owner ids and stages as the
    portal's stage ids. A row whose owner matches no HubSpot owner is blocked
    with an ``unknown_owner`` finding.
    """
    rows = result.rows
    checked = rows[rows["status"] != "blank"]
    if wave is not None:
        checked = checked[_wave_mask(checked, _find_wave(result, wave))]

    blocking = _blocking_codes(result)
    sheet_codes = blocking.pop(None, ())
    mapped = {row.position: row for row in map_rows(result, checked.index)}
    findings: list[Finding] = []
    if portal is not None:
        mapped = {
            position: _with_portal_ids(row, result, portal, blocking, findings)
            for position, row in mapped.items()
        }

    plans = []
    for position, row in checked.iterrows():
        key = _text(row["row_key"])
        state = states.get(key) if key else None
        codes = tuple(sorted(set(sheet_codes) | set(blocking.get(int(row["sheet_row"]), ()))))
        mapped_row = mapped.get(int(position))
        if codes or key is None or mapped_row is None:
            action = BLOCKED
        elif state is None or state.deal_id is None:
            action = CREATE
        elif state.content_hash == mapped_row.content_hash and state.last_status == "synced":
            action = UNCHANGED
        else:
            action = UPDATE
        plans.append(
            RowPlan(key, int(row["sheet_row"]), int(position), action, codes, mapped_row, state)
        )

    sheet_keys = {_text(key) for key in rows["row_key"]}
    removed = sorted(key for key in states if key not in sheet_keys)
    plan = SyncPlan(sheet_id, plans, removed, wave, findings=findings)
    plan.totals = plan_totals(plan)
    return plan


def _with_portal_ids(
    row: MappedRow,
    result: ValidationResult,
    portal: PortalIds,
    blocking: dict[int | None, tuple[str, ...]],
    findings: list[Finding],
) -> MappedRow:
    """Return ``row`` with owner and stage ids from the portal; block it on an unknown owner."""
    deal = dict(row.deal)
    owner = deal.get(OWNER_PROPERTY)
    if owner is not None and portal.owners is not None:
        owner_id = portal.owners.owner_id(owner)
        if owner_id is None:
            blocking[row.sheet_row] = (*blocking.get(row.sheet_row, ()), Code.UNKNOWN_OWNER.value)
            findings.append(_owner_finding(result, row, owner))
        else:
            deal[OWNER_PROPERTY] = owner_id

    design_ids = (result.rows.at[row.position, "pipeline"], result.rows.at[row.position, "stage"])
    portal_ids = portal.stages.get((_text(design_ids[0]) or "", _text(design_ids[1]) or ""))
    if portal_ids is not None:
        deal[DEAL_PIPELINE_PROPERTY], deal[DEAL_STAGE_PROPERTY] = portal_ids
    # The content hash stays the one over the sheet's values, so that status
    # and plan return the same result offline, without the portal's ids.
    return row if deal == row.deal else replace(row, deal=deal)


def _owner_finding(result: ValidationResult, row: MappedRow, owner: str) -> Finding:
    column = result.binding.column(OWNER_PROPERTY)
    return Finding(
        row=row.sheet_row,
        column=column.name if column else None,
        column_letter=column.letter if column else None,
        code=Code.UNKNOWN_OWNER,
        severity=Severity.ERROR,
        value=owner,
        params={"label": result.design.property(OWNER_PROPERTY).label},
    )


def plan_totals(plan: SyncPlan) -> dict[str, dict[str, int]]:
    """Count rows per action for deals, and distinct companies and contacts per action.

    A company or contact is counted once however many rows name it: as
    ``create`` when no synced row names it yet, ``unchanged`` when every row
    that names it is unchanged, else ``update``. Blocked rows count only for deals.
    """
    totals = {kind: dict.fromkeys(ACTIONS, 0) for kind in OBJECT_TYPES}
    for row in plan.rows:
        totals["deal"][row.action] += 1
    for kind in ("company", "contact"):
        for action in _object_actions(plan.rows, kind).values():
            totals[kind][action] += 1
        del totals[kind][BLOCKED]
    totals["removed"] = {"rows": len(plan.removed)}
    return totals


def _object_actions(rows: list[RowPlan], kind: str) -> dict[tuple[str, str], str]:
    known: set[tuple[str, str]] = set()
    changed: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if row.action == BLOCKED or row.mapped is None:
            continue
        key = row.mapped.company_key if kind == "company" else row.mapped.contact_key
        if key is None:
            continue
        seen.add(key.match_key)
        state_id = None
        if row.state is not None:
            state_id = row.state.company_id if kind == "company" else row.state.contact_id
        if state_id:
            known.add(key.match_key)
        if row.action != UNCHANGED:
            changed.add(key.match_key)
    actions = {}
    for key in seen:
        if key not in known:
            actions[key] = CREATE
        else:
            actions[key] = UPDATE if key in changed else UNCHANGED
    return actions


def _blocking_codes(result: ValidationResult) -> dict[int | None, tuple[str, ...]]:
    """Return the error codes per sheet row; key None holds sheet-level errors, which block every row."""
    header_row = result.table.header_row
    codes: dict[int | None, set[str]] = {}
    for finding in result.findings:
        if finding.severity is not Severity.ERROR:
            continue
        row = finding.row if finding.row is not None and finding.row > header_row else None
        codes.setdefault(row, set()).add(finding.code.value)
    return {row: tuple(sorted(found)) for row, found in codes.items()}


def _find_wave(result: ValidationResult, name: str) -> Wave:
    wave = result.design.wave(name)
    if wave is None:
        raise WaveNotFound(name, [item.name for item in result.design.waves])
    return wave


def _wave_mask(rows: pd.DataFrame, wave: Wave) -> pd.Series:
    mask = pd.Series(True, index=rows.index)
    if wave.pipeline is not None:
        mask &= rows["pipeline"] == wave.pipeline
    if wave.owner is not None:
        mask &= rows["owner"].map(lambda owner: _text(owner) == wave.owner)
    if wave.stages:
        mask &= rows["stage"].isin(wave.stages)
    return mask


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)
