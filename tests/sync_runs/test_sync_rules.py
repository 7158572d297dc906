"""Owners, association failures and company/contact conflicts against the fake HubSpot."""

from __future__ import annotations

import pytest

from sync.batch import ASSOCIATION_FAILED, SYNCED
from sync.owners import OwnerDirectory
from sync.plan import BLOCKED, UPDATE, PortalIds, build_plan
from tests.sync_runs.helpers import SHEET_ID, deal_frame, sync_frame, validate_frame
from validators.findings import Code

OWNERS = [
    {"id": "101", "email": "Sato@Example.jp", "firstName": "花子", "lastName": "佐藤"},
    {"id": "102", "email": "suzuki@example.jp", "firstName": "Ichiro", "lastName": "Suzuki"},
    {"id": "103", "email": "k1@example.jp", "firstName": "健", "lastName": "高橋"},
    {"id": "104", "email": "k2@example.jp", "firstName": "健", "lastName": "高橋"},
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("sato@example.jp", "101"),  # email without case
        ("佐藤 花子", "101"),  # Japanese order: last name first
        ("佐藤　花子", "101"),  # full-width space
        ("花子佐藤", "101"),  # Western order
        ("Ichiro Suzuki", "102"),
        ("ＳＵＺＵＫＩ ＩＣＨＩＲＯ", "102"),  # full-width letters, Japanese order
        ("102", "102"),  # already an owner id
        ("高橋 健", None),  # two owners share the name: neither is guessed
        ("佐藤", None),  # a last name alone is not a name
        ("nobody@example.jp", None),
    ],
)
def test_owner_directory_matches(value, expected):
    assert OwnerDirectory(OWNERS).owner_id(value) == expected


def test_unknown_owner_blocks_row(ledger):
    frame = deal_frame(3)
    frame["担当者"] = ["sato@example.jp", "Ichiro Suzuki", "田中 一郎"]
    result = validate_frame(frame)
    portal = PortalIds(owners=OwnerDirectory(OWNERS))

    plan = build_plan(result, ledger.row_states(SHEET_ID), sheet_id=SHEET_ID, portal=portal)

    owners = [row.mapped.deal.get("hubspot_owner_id") for row in plan.rows]
    assert owners[:2] == ["101", "102"]
    assert plan.rows[2].action == BLOCKED
    assert plan.rows[2].blocking_codes == ("unknown_owner",)
    [finding] = plan.findings
    assert finding.code is Code.UNKNOWN_OWNER
    assert finding.row == 4
    assert finding.column == "担当者"
    assert finding.value == "田中 一郎"


def test_failed_association_retried(ledger, fake_hubspot):
    frame = deal_frame(3)

    def delete_company_of_row_1(progress):
        # The company vanishes after the deals are written and before the
        # links are made, so HubSpot rejects the links to it.
        if progress.step == "deals":
            company = fake_hubspot.find("companies", "domain", "company1.example.jp")
            del fake_hubspot.records["companies"][company["id"]]

    _, report = sync_frame(frame, ledger, fake_hubspot, progress=delete_company_of_row_1)

    assert report.statuses == {"D00000": SYNCED, "D00001": ASSOCIATION_FAILED, "D00002": SYNCED}
    state = ledger.row_states(SHEET_ID)["D00001"]
    assert state.last_status == ASSOCIATION_FAILED
    assert "companies" in state.last_message
    outcomes = [o for o in ledger.outcomes(report.run_id) if o.status == ASSOCIATION_FAILED]
    assert [o.row_key for o in outcomes] == ["D00001"]
    assert {f.code for f in report.findings} == {Code.ASSOCIATION_FAILED}

    plan, again = sync_frame(frame, ledger, fake_hubspot)

    assert [row.row_key for row in plan.rows if row.action == UPDATE] == ["D00001"]
    assert again.statuses == {"D00001": SYNCED}
    deal = fake_hubspot.find("deals", "bridge_row_key", "D00001")
    company = fake_hubspot.find("companies", "domain", "company1.example.jp")
    assert ("deals", deal["id"], "companies", company["id"]) in fake_hubspot.associations
    assert len(fake_hubspot.records["deals"]) == 3


def test_company_conflict_not_overwritten(ledger, fake_hubspot):
    frame = deal_frame(4)
    sync_frame(frame, ledger, fake_hubspot)
    company = fake_hubspot.find("companies", "domain", "company1.example.jp")
    company["properties"]["name"] = "HubSpotで変更した社名"
    edited = frame.copy()
    edited.loc[1, "会社名"] = "シートで変更した社名"
    edited.loc[2, "会社名"] = "別の変更"

    _, report = sync_frame(edited, ledger, fake_hubspot)

    assert report.statuses == {"D00001": "conflict", "D00002": SYNCED}
    assert company["properties"]["name"] == "HubSpotで変更した社名"
    [finding] = report.findings
    assert finding.code is Code.SYNC_CONFLICT
    assert finding.row == 3
    assert finding.column == "会社名"
    assert finding.params["hubspot_value"] == "HubSpotで変更した社名"
    other = fake_hubspot.find("companies", "domain", "company2.example.jp")
    assert other["properties"]["name"] == "別の変更"


def test_contact_conflict_and_emptied_cell(ledger, fake_hubspot):
    frame = deal_frame(3)
    sync_frame(frame, ledger, fake_hubspot)
    contact = fake_hubspot.find("contacts", "email", "contact0@company0.example.jp")
    contact["properties"]["firstname"] = "HubSpot側の名前"
    edited = frame.copy()
    edited.loc[0, "先方担当者"] = "シート側の名前"
    edited.loc[1, "先方担当者"] = None  # emptied in the sheet

    _, report = sync_frame(edited, ledger, fake_hubspot)

    assert report.statuses == {"D00000": "conflict", "D00001": SYNCED}
    assert contact["properties"]["firstname"] == "HubSpot側の名前"
    emptied = fake_hubspot.find("contacts", "email", "contact1@company1.example.jp")
    assert emptied["properties"]["firstname"] == ""
