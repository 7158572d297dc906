"""``bridge sync run`` on local files: pre-flight, owner ids and sheets without a key column."""

from __future__ import annotations

import csv

import pandas as pd
from click.testing import CliRunner

from bridge.cli import sync as _sync  # noqa: F401 - registers the commands
from bridge.cli.app import cli
from tests.fakes.hubspot import TOKEN
from tests.sync_runs.helpers import DESIGN_PATH, deal_frame
from tests.sync_runs.test_sync_cli import add_test_owners

COMMON = ["--as-of", "2024-01-15"]


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def keyless_design(tmp_path):
    """Write the test design without its key column, so the bridge assigns row keys."""
    lines = [
        line
        for line in DESIGN_PATH.read_text("utf-8").splitlines()
        if "key_column" not in line and "name: deal_key" not in line
    ]
    path = tmp_path / "design_no_key.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_rows(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_preflight_stops_before_any_write(tmp_path, hubspot_env, monkeypatch, caplog):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    add_test_owners(hubspot_env)
    hubspot_env.properties["deals"] = [
        prop for prop in hubspot_env.properties["deals"] if prop["name"] != "amount"
    ]
    hubspot_env.pipelines["deals"][0]["stages"].pop()  # closedlost: the design's 失注
    sheet = tmp_path / "deals.csv"
    deal_frame(5).to_csv(sheet, index=False)

    result = invoke("sync", "run", str(sheet), "--design", str(DESIGN_PATH), *COMMON,
                    "--limit", "5", "--lang", "ja")  # fmt: skip

    assert result.exit_code == 2
    assert "HubSpot がデザインと一致しない" in result.output
    assert "amount" in result.output
    assert "失注" in result.output
    assert hubspot_env.calls("POST") == []
    assert "Traceback" not in result.output
    assert TOKEN not in result.output + caplog.text


def test_owner_names_sent_as_ids(tmp_path, hubspot_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    add_test_owners(hubspot_env)
    frame = deal_frame(3)
    frame.loc[2, "担当者"] = "田中"
    sheet = tmp_path / "deals.csv"
    frame.to_csv(sheet, index=False)
    ids = {owner["lastName"]: owner["id"] for owner in hubspot_env.owners}

    result = invoke("sync", "run", str(sheet), "--design", str(DESIGN_PATH), *COMMON,
                    "--limit", "5", "--lang", "en")  # fmt: skip

    assert result.exit_code == 0, result.output
    for _, row in frame.iloc[:2].iterrows():
        record = hubspot_env.find("deals", "bridge_row_key", row["案件ID"])
        assert record["properties"]["hubspot_owner_id"] == ids[row["担当者"]]
    assert hubspot_env.find("deals", "bridge_row_key", "D00002") is None
    assert '"田中" matches no HubSpot user' in result.output
    rows = read_rows(tmp_path / "deals.checked.csv")
    assert "田中" in rows[2]["Findings"]
    assert rows[2]["HubSpot ID"] == ""


def test_keyless_original_never_duplicates(tmp_path, hubspot_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    add_test_owners(hubspot_env)
    design = keyless_design(tmp_path)
    frame = deal_frame(12).drop(columns=["案件ID"])
    sheet = tmp_path / "deals.csv"
    frame.to_csv(sheet, index=False)
    result_file = tmp_path / "deals.checked.csv"
    args = ["--design", str(design), *COMMON, "--limit", "5", "--lang", "en"]

    first = invoke("sync", "run", str(sheet), *args)
    second = invoke("sync", "run", str(sheet), *args)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 2
    assert f"Run the sync on {result_file}" in second.output
    assert len(hubspot_env.records["deals"]) == 5

    third = invoke("sync", "run", str(result_file), *args)
    fourth = invoke("sync", "run", str(result_file), *args)

    assert third.exit_code == 0, third.output
    assert fourth.exit_code == 0, fourth.output
    rows = pd.DataFrame(read_rows(result_file))
    keys = [
        record["properties"]["bridge_row_key"] for record in hubspot_env.records["deals"].values()
    ]
    assert len(keys) == 12
    assert sorted(keys) == sorted(rows["Row key"])
    names = sorted(
        record["properties"]["dealname"] for record in hubspot_env.records["deals"].values()
    )
    assert names == sorted(frame["案件名"])
