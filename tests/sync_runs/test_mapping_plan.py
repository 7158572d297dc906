"""Row mapping to HubSpot values and the sync plan, without HubSpot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sync.ledger import SyncedState
from sync.mapping import content_hash, domain_of, map_rows, merge_objects, plain_decimal
from sync.plan import BLOCKED, CREATE, UNCHANGED, UPDATE, build_plan
from tests.sync_runs.helpers import deal_frame, load_test_design, validate_frame
from validators.design_file import load_design_text
from validators.engine import validate
from validators.table import SheetTable


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1e7, "10000000"), (10000000.0, "10000000"), (0.1, "0.1"), (1.5e-7, "0.00000015"),
     (-0.0, "0"), (123456789012.5, "123456789012.5"), (42, "42")],
)  # fmt: skip
def test_plain_decimal(value, expected):
    assert plain_decimal(value) == expected


def test_plain_decimal_rejects_nan():
    with pytest.raises(ValueError, match="finite"):
        plain_decimal(float("nan"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://www.Example.co.jp/about", "example.co.jp"), ("example.jp", "example.jp"),
     ("http://sub.example.jp:8080", "sub.example.jp")],
)  # fmt: skip
def test_domain_of(url, expected):
    assert domain_of(url) == expected


def test_date_not_shifted_by_utc():
    frame = deal_frame(3)
    frame["更新予定日"] = [dt.datetime(2024, 4, 1), "2024/4/1", "令和6年4月1日"]
    result = validate_frame(frame)
    assert result.table.time_zone == "Asia/Tokyo"
    assert [row.deal["closedate"] for row in map_rows(result)] == ["2024-04-01"] * 3


def test_large_amount_plain_decimal():
    frame = deal_frame(2)
    frame["金額"] = [1e7, "１，０００万円"]
    result = validate_frame(frame)
    assert [row.deal["amount"] for row in map_rows(result)] == ["10000000", "10000000"]


def test_stage_and_pipeline_by_hubspot_id():
    [row] = map_rows(validate_frame(deal_frame(2).iloc[1:]))
    assert row.deal["pipeline"] == "default"
    assert row.deal["dealstage"] == "closedwon"
    assert row.deal["bridge_row_key"] == "D00001"
    assert "deal_key" not in row.deal


def test_example_design_enum_bool_and_corporate_number():
    root = Path(__file__).resolve().parents[2]
    design = load_design_text((root / "examples" / "design.yaml").read_text("utf-8"))
    headers = ["案件ID", "案件名", "パイプライン", "ステージ", "担当者", "顧客名", "法人番号",
               "業種", "更新意向", "利用率"]  # fmt: skip
    cells = ["D1", "A", "CS", "オンボーディング", "佐藤", "株式会社A", "8000012010038",
             "IT", "はい", "12%"]  # fmt: skip
    result = validate(SheetTable.from_rows("s", headers, [cells]), design, dt.date(2024, 1, 1))
    [row] = map_rows(result)
    assert row.company_key.id_property == "corporate_number"
    assert row.company_key.value == "8000012010038"
    assert row.company["industry"] == "it"
    assert row.deal["renewal_intent"] == "true"
    assert row.deal["usage_rate"] == "0.12"


def test_companies_and_contacts_merged():
    rows = map_rows(validate_frame(deal_frame(12, companies=4)))
    companies = merge_objects(rows, "company")
    contacts = merge_objects(rows, "contact")
    assert len(companies) == 4
    assert len(contacts) == 4
    assert {key.value for key, _ in companies.values()} == {
        f"company{n}.example.jp" for n in range(4)
    }


def test_content_hash_stable_and_sensitive():
    first = content_hash({"deal": {"a": "1", "b": "2"}})
    assert first == content_hash({"deal": {"b": "2", "a": "1"}})
    assert first != content_hash({"deal": {"a": "1", "b": "3"}})
    assert len(first) == 16


def synced_states(frame: pd.DataFrame) -> dict[str, SyncedState]:
    rows = map_rows(validate_frame(frame))
    return {row.row_key: SyncedState(row.row_key, deal_id=str(1000 + n), content_hash=row.content_hash,
                                     last_status="synced") for n, row in enumerate(rows)}  # fmt: skip


def test_plan_actions_and_blocking_codes():
    frame = deal_frame(6)
    states = synced_states(frame.iloc[:3])
    frame.loc[1, "案件名"] = "変更"
    frame.loc[4, "金額"] = "たくさん"
    plan = build_plan(validate_frame(frame), states, sheet_id="s")
    assert [row.action for row in plan.rows] == [
        UNCHANGED,
        UPDATE,
        UNCHANGED,
        CREATE,
        BLOCKED,
        CREATE,
    ]
    assert plan.rows[4].blocking_codes == ("invalid_number",)
    assert plan.totals["deal"] == {CREATE: 2, UPDATE: 1, UNCHANGED: 2, BLOCKED: 1}


def test_sorting_changes_nothing_in_plan():
    frame = deal_frame(40, companies=10)
    states = synced_states(frame.iloc[:15])
    frame.loc[[2, 20], "案件名"] = ["変更 2", "変更 20"]
    plan = build_plan(validate_frame(frame), states, sheet_id="s")
    shuffled = frame.sample(frac=1, random_state=7).sort_values("担当者", kind="stable")
    shuffled_plan = build_plan(
        validate_frame(shuffled.reset_index(drop=True)), states, sheet_id="s"
    )

    def actions(p):
        return {row.row_key: (row.action, row.mapped.content_hash) for row in p.rows}

    assert actions(plan) == actions(shuffled_plan)
    assert plan.totals == shuffled_plan.totals
    assert shuffled_plan.rows[0].sheet_row == 2


def test_wave_filters_rows():
    frame = deal_frame(9)
    plan = build_plan(validate_frame(frame), {}, sheet_id="s", wave="won-deals")
    assert [row.row_key for row in plan.rows] == list(
        frame.loc[frame["ステージ"] == "受注", "案件ID"]
    )


def test_unknown_wave_raises():
    from sync.run_errors import WaveNotFound

    with pytest.raises(WaveNotFound, match="sato, won-deals"):
        build_plan(validate_frame(deal_frame(2)), {}, sheet_id="s", wave="nope")


def test_removed_rows_listed():
    frame = deal_frame(5)
    states = synced_states(frame)
    plan = build_plan(validate_frame(frame.iloc[[0, 2, 4]]), states, sheet_id="s")
    assert plan.removed == ["D00001", "D00003"]


def test_design_loads():
    assert [wave.name for wave in load_test_design().waves] == ["sato", "won-deals"]
