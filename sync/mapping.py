"""Map validated sheet rows to HubSpot company, contact and deal properties.

Values are written in the forms HubSpot accepts: ``date`` as the calendar date
the user sees (``YYYY-MM-DD``, which HubSpot stores as midnight UTC, so no
time-zone shift can move it to the day before), ``datetime`` as ISO 8601 with
its offset, numbers in plain decimal notation, enumerations by internal value
and booleans as ``true``/``false``. Blank cells are left out. Each row gets a
content hash over everything it would send, which decides whether a row that
was synced before needs an update.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from validators.design import Design, Property
from validators.engine import ValidationResult

ROW_KEY_PROPERTY = "bridge_row_key"  # unique deal property holding the row key
DEAL_PIPELINE_PROPERTY = "pipeline"
DEAL_STAGE_PROPERTY = "dealstage"
OWNER_PROPERTY = "hubspot_owner_id"  # takes an owner id; see sync.owners
CONTACT_ID_PROPERTY = "email"
DOMAIN_PROPERTY = "domain"
HASH_LENGTH = 16  # hex characters of sha256 kept


@dataclass(frozen=True)
class ObjectKey:
    """The unique id property and value by which a company or contact is upserted."""

    id_property: str
    value: str

    @property
    def match_key(self) -> tuple[str, str]:
        # HubSpot compares email and domain without case.
        return (self.id_property, self.value.casefold())


@dataclass(frozen=True)
class MappedRow:
    """One sheet row as the HubSpot records it becomes."""

    row_key: str
    sheet_row: int
    position: int  # 0-based data row position in the SheetTable
    deal: dict[str, str]
    company: dict[str, str] = field(default_factory=dict)
    company_key: ObjectKey | None = None
    contact: dict[str, str] = field(default_factory=dict)
    contact_key: ObjectKey | None = None
    content_hash: str = ""


def format_value(prop: Property, value: Any) -> str | None:
    """Return a normalised cell value as HubSpot's text for the property type; None if blank."""
    if _is_missing(value):
        return None
    kind = prop.type
    if kind in ("number", "currency", "percent"):
        # TODO: percent cells are normalised to fractions (12% -> 0.12) and sent
        # as such. Whether a HubSpot number property shown as a percentage
        # expects 0.12 or 12 was not confirmed: the documentation search found
        # no HubSpot page on it. Check one portal before migrating percent columns.
        return plain_decimal(value)
    if kind == "date":
        return _date_text(value)
    if kind == "datetime":
        return _datetime_text(value)
    if kind == "bool":
        return "true" if bool(value) else "false"
    if kind == "url" and prop.name == DOMAIN_PROPERTY:
        return domain_of(str(value))
    return str(value)


def plain_decimal(value: Any) -> str:
    """Return a number in plain decimal notation: 1e7 -> "10000000", 0.1 -> "0.1".

    Floats go through their shortest round-trip text, so 0.1 stays 0.1 rather
    than its binary expansion. Raises ValueError for NaN and infinity.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        number = Decimal(repr(value))
    else:
        number = Decimal(str(value))
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def domain_of(url: str) -> str:
    """Return the host of a URL or domain in lower case, without "www.": https://www.A.co.jp/x -> a.co.jp."""
    text = url.strip()
    host = urlsplit(text if "//" in text else "//" + text).hostname or text
    host = host.lower()
    return host.removeprefix("www.")


def content_hash(objects: Mapping[str, Mapping[str, str]]) -> str:
    """Return the first 16 hex digits of sha256 over the sorted JSON of ``objects``."""
    text = json.dumps(objects, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def company_id_property(design: Design) -> str:
    """Return the company upsert key: a unique corporate number if the design has one, else domain."""
    for prop in design.properties:
        if prop.object == "company" and prop.type == "corporate_number" and prop.unique:
            return prop.name
    return DOMAIN_PROPERTY


def map_rows(result: ValidationResult, positions: Iterable[int] | None = None) -> list[MappedRow]:
    """Map the non-blank rows with a row key (or only ``positions``) to HubSpot properties."""
    design = result.design
    rows = result.rows
    values = result.values
    wanted = (
        list(values.index) if positions is None else [p for p in positions if p in values.index]
    )
    by_object = _properties_by_object(design, set(values.columns))
    company_key_name = company_id_property(design)
    records = values.loc[wanted].to_dict("index") if wanted else {}

    mapped = []
    for position in wanted:
        row = rows.loc[position]
        row_key = row["row_key"]
        if row_key is None or (isinstance(row_key, float) and math.isnan(row_key)):
            continue
        cells = records[position]
        deal = _object_properties(by_object["deal"], cells)
        deal.update(_pipeline_and_stage(design, row["pipeline"], row["stage"]))
        deal[ROW_KEY_PROPERTY] = str(row_key)
        company = _object_properties(by_object["company"], cells)
        contact = _object_properties(by_object["contact"], cells)
        company_key = _company_key(company, company_key_name)
        contact_key = _contact_key(contact)
        objects = {"deal": deal, "company": company if company_key else {},
                   "contact": contact if contact_key else {}}  # fmt: skip
        mapped.append(
            MappedRow(
                row_key=str(row_key),
                sheet_row=int(row["sheet_row"]),
                position=int(position),
                deal=deal,
                company=objects["company"],
                company_key=company_key,
                contact=objects["contact"],
                contact_key=contact_key,
                content_hash=content_hash(objects),
            )
        )
    return mapped


def merge_objects(
    rows: Iterable[MappedRow], kind: str
) -> dict[tuple[str, str], tuple[ObjectKey, dict[str, str]]]:
    """Merge the companies or contacts (``kind``) of ``rows`` that share a key, later rows winning.

    HubSpot rejects a whole batch that names one record twice, so each company
    and contact is sent once however many rows point to it.
    """
    merged: dict[tuple[str, str], tuple[ObjectKey, dict[str, str]]] = {}
    for row in rows:
        key = row.company_key if kind == "company" else row.contact_key
        if key is None:
            continue
        properties = row.company if kind == "company" else row.contact
        if key.match_key in merged:
            merged[key.match_key][1].update(properties)
        else:
            merged[key.match_key] = (key, dict(properties))
    return merged


def _properties_by_object(design: Design, bound: set[str]) -> dict[str, list[Property]]:
    # Pipeline and stage are sent as HubSpot ids, and the key column is sent
    # as the row-key property; neither goes out under its sheet property.
    roles = design.sheet
    special = {roles.stage_column, roles.pipeline_column, roles.key_column}
    grouped: dict[str, list[Property]] = {"deal": [], "company": [], "contact": []}
    for prop in design.properties:
        if prop.name in bound and prop.name not in special:
            grouped[prop.object].append(prop)
    return grouped


# The owner property leaves here as written in the sheet; ``sync.plan`` swaps
# it for the HubSpot owner id read from the portal before anything is sent.
def _object_properties(props: list[Property], cells: Mapping[str, Any]) -> dict[str, str]:
    properties: dict[str, str] = {}
    for prop in props:
        text = format_value(prop, cells.get(prop.name))
        if text is not None:
            properties[prop.name] = text
    return properties


def _pipeline_and_stage(design: Design, pipeline_id: Any, stage_id: Any) -> dict[str, str]:
    if _is_missing(pipeline_id) or _is_missing(stage_id):
        return {}
    pipeline = design.pipeline(str(pipeline_id))
    stage = pipeline.stage(str(stage_id))
    return {
        DEAL_PIPELINE_PROPERTY: pipeline.hubspot_id or pipeline.id,
        DEAL_STAGE_PROPERTY: stage.hubspot_id or stage.id,
    }


def _company_key(company: dict[str, str], id_property: str) -> ObjectKey | None:
    value = company.get(id_property)
    if not value and id_property != DOMAIN_PROPERTY:
        # NOTE: a row without a corporate number falls back to its domain, so
        # one portal may hold companies keyed both ways.
        id_property, value = DOMAIN_PROPERTY, company.get(DOMAIN_PROPERTY)
    return ObjectKey(id_property, value) if value else None


def _contact_key(contact: dict[str, str]) -> ObjectKey | None:
    email = contact.get(CONTACT_ID_PROPERTY)
    return ObjectKey(CONTACT_ID_PROPERTY, email) if email else None


def _date_text(value: Any) -> str:
    # Normalised dates are naive midnights of the calendar date in the sheet's
    # time zone; only the date part is used, never a UTC conversion.
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date().isoformat()
    return str(value)[:10]


def _datetime_text(value: Any) -> str:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.isoformat(timespec="milliseconds")


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
