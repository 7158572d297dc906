"""Compare a design with a HubSpot portal, plan the missing properties, pull a design.

Public API::

    portal = read_portal(client)                  # properties, deal pipelines, rules, owners
    problems = check_design(design, portal)       # list[PreflightProblem], [] when it matches
    stages = stage_mapping(design, portal)        # (pipeline id, stage id) -> HubSpot stage id
    plan = plan_property_creation(design, portal) # list[PropertyPlan]: what ``design push`` creates
    created = create_properties(client, plan)
    data = pull_design(portal)                    # a design dict that loads as a valid Design

Problems are data (a stable ``code`` plus the object, property, expected and
actual values); ``bridge.hubspot_messages`` renders them in the user's language.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sync.errors import ConfigurationError
from sync.hubspot.client import HubSpotClient, object_type_name
from sync.owners import OwnerDirectory
from validators.design import Design, Pipeline, Property

logger = logging.getLogger(__name__)

# The unique deal property that stores each row's key. Upserts match deals by it.
ROW_KEY_PROPERTY = "bridge_row_key"
ROW_KEY_LABEL = "Bridge row key"

OBJECT_GROUPS = {
    "deals": "dealinformation",
    "companies": "companyinformation",
    "contacts": "contactinformation",
}

# Design type -> HubSpot property types it accepts. A HubSpot "datetime" with
# fieldType "date" (such as the built-in closedate) also accepts plain dates.
COMPATIBLE_TYPES: dict[str, tuple[str, ...]] = {
    "text": ("string",),
    "email": ("string",),
    "phone": ("string",),
    "url": ("string",),
    "postal_code": ("string",),
    "corporate_number": ("string",),
    "number": ("number",),
    "currency": ("number",),
    "percent": ("number",),
    "date": ("date", "datetime"),
    "datetime": ("datetime",),
    "bool": ("bool", "enumeration"),
    "enum": ("enumeration",),
}

# Design type -> (HubSpot type, fieldType) used when ``design push`` creates it.
CREATE_TYPES: dict[str, tuple[str, str]] = {
    "text": ("string", "text"),
    "email": ("string", "text"),
    "phone": ("string", "text"),
    "url": ("string", "text"),
    "postal_code": ("string", "text"),
    "corporate_number": ("string", "text"),
    "number": ("number", "number"),
    "currency": ("number", "number"),
    "percent": ("number", "number"),
    "date": ("date", "date"),
    "datetime": ("datetime", "date"),
    "bool": ("bool", "booleancheckbox"),
    "enum": ("enumeration", "select"),
}


@dataclass(frozen=True)
class PreflightProblem:
    """One difference between the design and the portal that blocks a sync."""

    code: str  # missing_property, wrong_type, missing_option, row_key_not_unique,
    # unmapped_pipeline, unmapped_stage
    object: str  # deal, company or contact
    property: str = ""  # property name, or the design pipeline / stage id
    expected: str = ""
    actual: str = ""
    pipeline: str = ""
    stage: str = ""


@dataclass(frozen=True)
class Portal:
    """Portal settings the bridge reads before any write."""

    properties: dict[str, dict[str, dict[str, Any]]]  # plural object type -> name -> definition
    pipelines: list[dict[str, Any]]  # deal pipelines with their stages
    validation_rules: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    owners: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class PropertyPlan:
    """A property ``design push`` will create: the object type and its PropertyCreate body."""

    object_type: str  # plural, e.g. deals
    definition: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.definition["name"])


def read_portal(
    client: HubSpotClient, object_types: tuple[str, ...] = tuple(OBJECT_GROUPS)
) -> Portal:
    """Read properties, deal pipelines, validation rules and owners (one call each)."""
    properties = {
        object_type: {prop["name"]: prop for prop in client.get_properties(object_type)}
        for object_type in object_types
    }
    rules = {object_type: client.get_validation_rules(object_type) for object_type in object_types}
    return Portal(
        properties=properties,
        pipelines=client.get_pipelines("deals"),
        validation_rules=rules,
        owners=client.get_owners(),
    )


def check_design(design: Design, portal: Portal) -> list[PreflightProblem]:
    """List every missing property, type mismatch, missing option and unmapped stage."""
    problems: list[PreflightProblem] = []
    for prop in design.properties:
        if prop.name == design.sheet.key_column:
            continue  # its values go to HubSpot as the row-key property, checked below
        problems.extend(_check_property(prop, portal))
    problems.extend(_check_row_key(portal))
    for pipeline in design.pipelines:
        problems.extend(_check_pipeline(pipeline, portal))
    return problems


def _check_property(prop: Property, portal: Portal) -> list[PreflightProblem]:
    definition = portal.properties.get(object_type_name(prop.object), {}).get(prop.name)
    if definition is None:
        return [PreflightProblem("missing_property", prop.object, prop.name, expected=prop.type)]
    if definition.get("externalOptions"):
        # Pipelines, stages and owners: their values are checked against their own APIs.
        return []

    actual_type = str(definition.get("type", ""))
    accepted = COMPATIBLE_TYPES[prop.type]
    is_checkbox = actual_type == "enumeration" and definition.get("fieldType") == "booleancheckbox"
    if actual_type not in accepted or (
        prop.type == "bool" and actual_type == "enumeration" and not is_checkbox
    ):
        actual_text = f"{actual_type}/{definition.get('fieldType', '')}".rstrip("/")
        return [
            PreflightProblem(
                "wrong_type", prop.object, prop.name, expected=prop.type, actual=actual_text
            )
        ]

    if prop.type != "enum":
        return []
    values = [str(option.get("value")) for option in definition.get("options", [])]
    return [
        PreflightProblem(
            "missing_option",
            prop.object,
            prop.name,
            expected=option.value,
            actual=", ".join(values),
        )
        for option in prop.options
        if option.value not in values
    ]


def _check_row_key(portal: Portal) -> list[PreflightProblem]:
    definition = portal.properties.get("deals", {}).get(ROW_KEY_PROPERTY)
    if definition is None:
        return [PreflightProblem("missing_property", "deal", ROW_KEY_PROPERTY, expected="text")]
    if not definition.get("hasUniqueValue"):
        return [PreflightProblem("row_key_not_unique", "deal", ROW_KEY_PROPERTY)]
    return []


def _check_pipeline(pipeline: Pipeline, portal: Portal) -> list[PreflightProblem]:
    portal_pipeline = match_pipeline(pipeline, portal)
    if portal_pipeline is None:
        labels = ", ".join(str(p.get("label")) for p in portal.pipelines)
        return [
            PreflightProblem(
                "unmapped_pipeline", "deal", pipeline.id,
                expected=pipeline.hubspot_id or pipeline.label, actual=labels, pipeline=pipeline.label,
            )
        ]  # fmt: skip
    stage_labels = ", ".join(str(stage.get("label")) for stage in _stages(portal_pipeline))
    return [
        PreflightProblem(
            "unmapped_stage",
            "deal",
            stage.id,
            expected=stage.hubspot_id or stage.label,
            actual=stage_labels,
            pipeline=pipeline.label,
            stage=stage.label,
        )  # fmt: skip
        for stage in pipeline.stages
        if _match_stage(stage, portal_pipeline) is None
    ]


def match_pipeline(pipeline: Pipeline, portal: Portal) -> dict[str, Any] | None:
    """Return the portal pipeline for a design pipeline: by hubspot_id, else by label."""
    if pipeline.hubspot_id:
        return next((p for p in portal.pipelines if str(p.get("id")) == pipeline.hubspot_id), None)
    names = {_fold(name) for name in (pipeline.label, pipeline.id, *pipeline.aliases)}
    return next((p for p in portal.pipelines if _fold(str(p.get("label", ""))) in names), None)


def _match_stage(stage: Any, portal_pipeline: dict[str, Any]) -> dict[str, Any] | None:
    stages = _stages(portal_pipeline)
    if stage.hubspot_id:
        return next((s for s in stages if str(s.get("id")) == stage.hubspot_id), None)
    names = {_fold(name) for name in (stage.label, stage.id, *stage.aliases)}
    return next((s for s in stages if _fold(str(s.get("label", ""))) in names), None)


def stage_mapping(design: Design, portal: Portal) -> dict[tuple[str, str], str]:
    """Return (design pipeline id, design stage id) -> HubSpot stage id, for mapped stages."""
    mapping: dict[tuple[str, str], str] = {}
    for pipeline in design.pipelines:
        portal_pipeline = match_pipeline(pipeline, portal)
        if portal_pipeline is None:
            continue
        for stage in pipeline.stages:
            found = _match_stage(stage, portal_pipeline)
            if found is not None:
                mapping[(pipeline.id, stage.id)] = str(found["id"])
    return mapping


def _stages(portal_pipeline: dict[str, Any]) -> list[dict[str, Any]]:
    return [stage for stage in portal_pipeline.get("stages", []) if not stage.get("archived")]


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


class PreflightFailed(ConfigurationError):
    """The portal does not match the design; nothing was sent. ``problems`` lists every difference."""

    code = "preflight_failed"

    def __init__(self, problems: list[PreflightProblem]) -> None:
        self.problems = problems
        listed = "; ".join(f"{p.code} {p.object} {p.property}".strip() for p in problems)
        super().__init__(
            f"HubSpot does not match the design ({len(problems)} problems: {listed}). "
            "Fix them with bridge design check --hubspot and bridge design push, then run again.",
            count=len(problems),
        )


def prepare_sync(client: HubSpotClient, design: Design) -> tuple[Portal, OwnerDirectory]:
    """Read the portal and check it against ``design`` before any write; raise ``PreflightFailed``."""
    portal = read_portal(client)
    problems = check_design(design, portal)
    if problems:
        logger.warning("Pre-flight found %d problems; the sync does not start", len(problems))
        raise PreflightFailed(problems)
    return portal, OwnerDirectory(portal.owners)


def portal_stage_ids(design: Design, portal: Portal) -> dict[tuple[str, str], tuple[str, str]]:
    """Return (design pipeline id, design stage id) -> (HubSpot pipeline id, HubSpot stage id)."""
    pipelines = {
        pipeline.id: str(found["id"])
        for pipeline in design.pipelines
        if (found := match_pipeline(pipeline, portal)) is not None
    }
    return {
        key: (pipelines[key[0]], stage_id)
        for key, stage_id in stage_mapping(design, portal).items()
    }


# -- design push ----------------------------------------------------------------


def plan_property_creation(design: Design, portal: Portal) -> list[PropertyPlan]:
    """Return the properties missing in the portal, the unique row-key property included.

    Properties that exist with another type or lack options are not in the
    plan: HubSpot cannot change them safely, so ``check_design`` reports them.
    """
    plans: list[PropertyPlan] = []
    if ROW_KEY_PROPERTY not in portal.properties.get("deals", {}):
        plans.append(PropertyPlan("deals", _row_key_definition()))
    for prop in design.properties:
        object_type = object_type_name(prop.object)
        if prop.name in portal.properties.get(object_type, {}):
            continue
        plans.append(PropertyPlan(object_type, property_definition(prop)))
    return plans


def property_definition(prop: Property) -> dict[str, Any]:
    """Return the PropertyCreate body for a design property."""
    hubspot_type, field_type = CREATE_TYPES[prop.type]
    definition: dict[str, Any] = {
        "name": prop.name,
        "label": prop.label,
        "type": hubspot_type,
        "fieldType": field_type,
        "groupName": OBJECT_GROUPS[object_type_name(prop.object)],
        "hasUniqueValue": prop.unique,
    }
    if prop.type == "enum":
        definition["options"] = [
            {"label": option.label, "value": option.value, "displayOrder": index, "hidden": False}
            for index, option in enumerate(prop.options)
        ]
    if prop.type == "bool":
        definition["options"] = [
            {"label": "Yes", "value": "true", "displayOrder": 0, "hidden": False},
            {"label": "No", "value": "false", "displayOrder": 1, "hidden": False},
        ]
    return definition


def _row_key_definition() -> dict[str, Any]:
    return {
        "name": ROW_KEY_PROPERTY,
        "label": ROW_KEY_LABEL,
        "description": "Stable key of the sheet row this deal came from, set by the bridge.",
        "type": "string",
        "fieldType": "text",
        "groupName": OBJECT_GROUPS["deals"],
        "hasUniqueValue": True,
        "formField": False,
    }


def create_properties(client: HubSpotClient, plan: list[PropertyPlan]) -> list[dict[str, Any]]:
    """Create each planned property; return HubSpot's copies in plan order."""
    created = []
    for item in plan:
        logger.info("Creating HubSpot property %s on %s", item.name, item.object_type)
        created.append(client.create_property(item.object_type, item.definition))
    return created


# -- design pull ----------------------------------------------------------------

# Built-in properties a starting design includes; every custom property is included too.
PULLED_BUILTINS = {
    "deals": ("dealname", "pipeline", "dealstage", "hubspot_owner_id", "amount", "closedate"),
    "companies": ("name", "domain"),
    "contacts": ("email", "firstname", "lastname", "phone"),
}
OBJECT_SINGULAR = {"deals": "deal", "companies": "company", "contacts": "contact"}


def pull_design(portal: Portal) -> dict[str, Any]:
    """Return a starting design (as YAML-ready data) from the portal's deal pipelines and properties.

    It includes the built-in properties above and every custom, visible one.
    A property name used on two objects is kept once (deals first), because
    design property names are unique.
    """
    properties: list[dict[str, Any]] = []
    seen: set[str] = set()
    for object_type in ("deals", "companies", "contacts"):
        for name, definition in portal.properties.get(object_type, {}).items():
            if name in seen or name == ROW_KEY_PROPERTY or not _pulled(object_type, definition):
                continue
            seen.add(name)
            properties.append(_pulled_property(object_type, definition))

    pipelines = [_pulled_pipeline(pipeline) for pipeline in portal.pipelines if _stages(pipeline)]
    names = {prop["name"] for prop in properties}
    sheet: dict[str, Any] = {"header_row": 1, "stage_column": "dealstage"}
    for role, name in (
        ("pipeline_column", "pipeline"),
        ("owner_column", "hubspot_owner_id"),
        ("close_date_column", "closedate"),
        ("amount_column", "amount"),
    ):
        if name in names:
            sheet[role] = name
    if "dealstage" not in names:
        properties.insert(0, {"name": "dealstage", "label": "Deal stage", "object": "deal"})
    return {
        "version": 1,
        "name": "HubSpot",
        "properties": properties,
        "pipelines": pipelines,
        "sheet": sheet,
    }


def _pulled(object_type: str, definition: dict[str, Any]) -> bool:
    if definition.get("hidden") or definition.get("archived"):
        return False
    if definition.get("name") in PULLED_BUILTINS[object_type]:
        return True
    return not definition.get("hubspotDefined", False) and not str(
        definition.get("name", "")
    ).startswith("hs_")


def _pulled_property(object_type: str, definition: dict[str, Any]) -> dict[str, Any]:
    name = str(definition["name"])
    prop: dict[str, Any] = {
        "name": name,
        "label": str(definition.get("label") or name),
        "object": OBJECT_SINGULAR[object_type],
        "type": _design_type(definition),
    }
    if prop["type"] == "enum":
        prop["options"] = [
            {"value": str(option["value"]), "label": str(option.get("label") or option["value"])}
            for option in definition.get("options", [])
            if not option.get("hidden")
        ]
    if definition.get("hasUniqueValue"):
        prop["unique"] = True
    return prop


def _design_type(definition: dict[str, Any]) -> str:
    hubspot_type = definition.get("type")
    field_type = definition.get("fieldType")
    if hubspot_type == "number":
        return "number"
    if hubspot_type == "date" or (hubspot_type == "datetime" and field_type == "date"):
        return "date"
    if hubspot_type == "datetime":
        return "datetime"
    if hubspot_type == "bool" or field_type == "booleancheckbox":
        return "bool"
    if hubspot_type == "enumeration" and not definition.get("externalOptions"):
        visible = [option for option in definition.get("options", []) if not option.get("hidden")]
        return "enum" if visible else "text"
    if definition.get("name") == "email":
        return "email"
    if field_type == "phonenumber" or definition.get("name") == "phone":
        return "phone"
    return "text"


def _pulled_pipeline(pipeline: dict[str, Any]) -> dict[str, Any]:
    stages = []
    for stage in sorted(_stages(pipeline), key=lambda item: item.get("displayOrder", 0)):
        entry: dict[str, Any] = {
            "id": str(stage["id"]),
            "label": str(stage.get("label") or stage["id"]),
            "hubspot_id": str(stage["id"]),
        }
        metadata = stage.get("metadata") or {}
        if str(metadata.get("isClosed", "")).lower() == "true":
            probability = str(metadata.get("probability", ""))
            entry["closed"] = "won" if probability in ("1", "1.0") else "lost"
        stages.append(entry)
    return {
        "id": str(pipeline["id"]),
        "label": str(pipeline.get("label") or pipeline["id"]),
        "hubspot_id": str(pipeline["id"]),
        "stages": stages,
    }
