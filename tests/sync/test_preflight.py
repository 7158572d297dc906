"""Pre-flight against the fake portal: missing, wrong type, missing option, unmapped stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.hubspot import HubSpotClient
from sync.preflight import (
    ROW_KEY_PROPERTY,
    check_design,
    create_properties,
    plan_property_creation,
    pull_design,
    read_portal,
    stage_mapping,
)
from tests.fakes.hubspot import TOKEN, FakeHubSpot
from validators.design_file import load_design_data, load_design_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "design.yaml"

DESIGN = """
version: 1
sheet: {stage_column: dealstage, pipeline_column: pipeline, key_column: deal_id}
properties:
  - {name: deal_id, label: 案件ID, unique: true}
  - {name: dealname, label: 案件名}
  - {name: pipeline, label: パイプライン}
  - {name: dealstage, label: ステージ}
  - {name: amount, label: 金額, type: currency}
  - {name: closedate, label: 更新予定日, type: date}
  - name: channel
    label: 獲得チャネル
    type: enum
    options:
      - {value: direct, label: 直販}
      - {value: partner, label: パートナー経由}
  - {name: renewal_intent, label: 更新意向, type: bool}
  - {name: email, label: メール, object: contact, type: email}
  - {name: domain, label: ドメイン, object: company, type: url}
pipelines:
  - id: sales
    label: Sales Pipeline
    stages:
      - {id: meeting, label: 商談設定, hubspot_id: appointmentscheduled}
      - {id: won, label: Closed won, closed: won}
      - {id: lost, label: 失注, hubspot_id: closedlost, closed: lost}
"""


def portal_property(name, type_, field_type, **extra):
    return {"name": name, "label": name, "type": type_, "fieldType": field_type,
            "groupName": "dealinformation", "options": [], **extra}  # fmt: skip


@pytest.fixture
def design():
    return load_design_text(DESIGN, "test")


@pytest.fixture
def client(fake_hubspot: FakeHubSpot) -> HubSpotClient:
    return HubSpotClient(TOKEN, base_url=fake_hubspot.url)


def complete_portal(fake: FakeHubSpot) -> None:
    """Give the fake every property the test design needs, with matching types."""
    fake.properties["deals"] += [
        portal_property("deal_id", "string", "text", hasUniqueValue=True),
        portal_property("channel", "enumeration", "select", options=[
            {"value": "direct", "label": "直販"}, {"value": "partner", "label": "パートナー"},
        ]),
        portal_property("renewal_intent", "bool", "booleancheckbox"),
    ]  # fmt: skip


def codes(problems):
    return sorted((p.code, p.property) for p in problems)


def test_matching_portal_has_no_problems(fake_hubspot, client, design):
    complete_portal(fake_hubspot)

    assert check_design(design, read_portal(client)) == []


def test_missing_property_reported(fake_hubspot, client, design):
    complete_portal(fake_hubspot)
    fake_hubspot.properties["deals"] = [
        p for p in fake_hubspot.properties["deals"] if p["name"] != "channel"
    ]

    problems = check_design(design, read_portal(client))

    assert codes(problems) == [("missing_property", "channel")]
    assert problems[0].object == "deal"
    assert problems[0].expected == "enum"


def test_wrong_type_reported(fake_hubspot, client, design):
    complete_portal(fake_hubspot)
    amount = next(p for p in fake_hubspot.properties["deals"] if p["name"] == "amount")
    amount.update(type="string", fieldType="text")

    problems = check_design(design, read_portal(client))

    assert codes(problems) == [("wrong_type", "amount")]
    assert problems[0].expected == "currency"
    assert problems[0].actual == "string/text"


def test_bool_accepts_checkbox_enumeration_only(fake_hubspot, client, design):
    complete_portal(fake_hubspot)
    intent = next(p for p in fake_hubspot.properties["deals"] if p["name"] == "renewal_intent")
    intent.update(type="enumeration", fieldType="booleancheckbox")
    assert check_design(design, read_portal(client)) == []

    intent.update(fieldType="select")
    assert codes(check_design(design, read_portal(client))) == [("wrong_type", "renewal_intent")]


def test_missing_option_reported(fake_hubspot, client, design):
    complete_portal(fake_hubspot)
    channel = next(p for p in fake_hubspot.properties["deals"] if p["name"] == "channel")
    channel["options"] = [{"value": "direct", "label": "直販"}]

    problems = check_design(design, read_portal(client))

    assert codes(problems) == [("missing_option", "channel")]
    assert problems[0].expected == "partner"
    assert problems[0].actual == "direct"


def test_unmapped_stage_reported(fake_hubspot, client, design):
    complete_portal(fake_hubspot)
    stages = fake_hubspot.pipelines["deals"][0]["stages"]
    stages[:] = [s for s in stages if s["id"] != "closedlost"]

    problems = check_design(design, read_portal(client))

    assert codes(problems) == [("unmapped_stage", "lost")]
    assert problems[0].pipeline == "Sales Pipeline"
    assert problems[0].actual == "Appointment scheduled, Closed won"


def test_stage_mapping_by_id_and_label(fake_hubspot, client, design):
    complete_portal(fake_hubspot)

    mapping = stage_mapping(design, read_portal(client))

    assert mapping == {
        ("sales", "meeting"): "appointmentscheduled",
        ("sales", "won"): "closedwon",  # matched by label
        ("sales", "lost"): "closedlost",
    }


def test_unmapped_pipeline_reported(fake_hubspot, client, design):
    complete_portal(fake_hubspot)
    fake_hubspot.pipelines["deals"][0]["label"] = "営業パイプライン"

    problems = check_design(design, read_portal(client))

    assert codes(problems) == [("unmapped_pipeline", "sales")]


def test_row_key_must_exist_and_be_unique(fake_hubspot, client, design):
    complete_portal(fake_hubspot)
    row_key = next(p for p in fake_hubspot.properties["deals"] if p["name"] == ROW_KEY_PROPERTY)
    row_key["hasUniqueValue"] = False
    assert codes(check_design(design, read_portal(client))) == [
        ("row_key_not_unique", ROW_KEY_PROPERTY)
    ]

    fake_hubspot.properties["deals"].remove(row_key)
    assert codes(check_design(design, read_portal(client))) == [
        ("missing_property", ROW_KEY_PROPERTY)
    ]


def test_push_creates_exactly_the_missing_ones(fake_hubspot, client, design):
    fake_hubspot.properties["deals"] = [
        p for p in fake_hubspot.properties["deals"] if p["name"] != ROW_KEY_PROPERTY
    ]
    before = {t: fake_hubspot.property_names(t) for t in ("deals", "companies", "contacts")}
    expected = {
        ("deals", ROW_KEY_PROPERTY),
        *{(f"{p.object}s".replace("companys", "companies"), p.name) for p in design.properties},
    } - {(t, name) for t, names in before.items() for name in names}

    plan = plan_property_creation(design, read_portal(client))
    create_properties(client, plan)

    assert {(item.object_type, item.name) for item in plan} == expected
    created = {
        (t, name)
        for t in before
        for name in fake_hubspot.property_names(t) - before[t]
    }  # fmt: skip
    assert created == expected
    row_key = next(p for p in fake_hubspot.properties["deals"] if p["name"] == ROW_KEY_PROPERTY)
    assert row_key["hasUniqueValue"] is True
    channel = next(p for p in fake_hubspot.properties["deals"] if p["name"] == "channel")
    assert [o["value"] for o in channel["options"]] == ["direct", "partner"]
    assert check_design(design, read_portal(client)) == []
    assert plan_property_creation(design, read_portal(client)) == []


def test_pull_output_loads_as_design(fake_hubspot, client):
    complete_portal(fake_hubspot)

    data = pull_design(read_portal(client))
    pulled = load_design_data(data, "pulled")

    assert [p.id for p in pulled.pipelines] == ["default"]
    stages = pulled.pipelines[0].stages
    assert [(s.hubspot_id, s.closed) for s in stages] == [
        ("appointmentscheduled", None),
        ("closedwon", "won"),
        ("closedlost", "lost"),
    ]
    names = {p.name: p for p in pulled.properties}
    assert ROW_KEY_PROPERTY not in names
    assert names["channel"].type == "enum"
    assert [o.value for o in names["channel"].options] == ["direct", "partner"]
    assert names["renewal_intent"].type == "bool"
    assert names["amount"].type == "number"
    assert names["closedate"].type == "date"
    assert names["email"].object == "contact"
    assert pulled.sheet.stage_column == "dealstage"


def test_example_design_checks_against_pulled_portal(fake_hubspot, client):
    example = load_design_text(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))

    problems = check_design(example, read_portal(client))

    missing = {p.property for p in problems if p.code == "missing_property"}
    assert "industry" in missing
    assert "dealname" not in missing
