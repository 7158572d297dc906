"""``bridge sync plan|run|status|verify`` on a local CSV against the fake HubSpot."""

from __future__ import annotations

import csv
import json

import pandas as pd
from click.testing import CliRunner

from bridge.cli import sync as _sync  # noqa: F401 - registers the commands
from bridge.cli.app import cli
from tests.fakes.hubspot import TOKEN
from tests.sync_runs.helpers import DESIGN_PATH, OWNERS, deal_frame


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_sheet(tmp_path, frame: pd.DataFrame):
    path = tmp_path / "deals.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def read_output(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def add_test_owners(fake) -> None:
    """Give the fake portal one owner per owner name of ``deal_frame`` (a last name only)."""
    fake.owners = [
        {"id": str(201 + index), "email": f"owner{index}@example.jp", "firstName": "",
         "lastName": name}
        for index, name in enumerate(OWNERS)
    ]  # fmt: skip


def test_plan_run_status_verify(tmp_path, hubspot_env, monkeypatch, caplog):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    add_test_owners(hubspot_env)
    frame = deal_frame(30)
    frame.loc[5, "金額"] = "不明"
    sheet = write_sheet(tmp_path, frame)
    common = ["--design", str(DESIGN_PATH), "--as-of", "2024-01-15"]

    plan_file = tmp_path / "plan.json"
    result = invoke("sync", "plan", str(sheet), *common, "--lang", "en", "--json", str(plan_file))
    assert result.exit_code == 0, result.output
    assert "Row 7 (D00005) is blocked by: invalid_number" in result.output
    plan = json.loads(plan_file.read_text("utf-8"))
    assert plan["totals"]["deal"] == {"create": 29, "update": 0, "unchanged": 0, "blocked": 1}

    output = tmp_path / "deals.out.csv"
    result = invoke("sync", "run", str(sheet), *common, "--limit", "20", "--output", str(output))
    assert result.exit_code == 0, result.output
    assert len(hubspot_env.records["deals"]) == 20
    rows = read_output(output)
    statuses = [row["同期ステータス"] for row in rows]
    assert statuses.count("同期済み") == 20
    assert statuses[5] == "対象外（エラー）"
    assert statuses.count("未同期") == 9
    synced_ids = {row["HubSpot ID"] for row in rows if row["同期ステータス"] == "同期済み"}
    assert synced_ids == set(hubspot_env.records["deals"])
    assert rows[0]["最終同期日時"].endswith("+09:00")
    assert rows[0]["検証ステータス"] == "OK"

    result = invoke("sync", "status", str(sheet), *common, "--lang", "en")
    assert result.exit_code == 0, result.output
    status_lines = {line.split()[0]: line.split()[-1] for line in result.output.splitlines()[1:]}
    assert status_lines["Synced"] == "20"
    assert status_lines["Blocked"] == "1"
    assert status_lines["Not"] == "9"
    assert status_lines["Removed"] == "0"

    result = invoke("sync", "verify", str(sheet), *common, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Compared 20 synced rows" in result.output

    record = next(iter(hubspot_env.records["deals"].values()))
    record["properties"]["amount"] = "1"
    result = invoke("sync", "verify", str(sheet), *common, "--lang", "en")
    assert result.exit_code == 1
    assert 'HubSpot has "1"' in result.output
    assert TOKEN not in result.output
    assert TOKEN not in caplog.text


def test_second_run_refused_while_active(tmp_path, hubspot_env, monkeypatch):
    from sync.db import engine_from_env
    from sync.ledger import Ledger

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    sheet = write_sheet(tmp_path, deal_frame(3))
    Ledger(engine_from_env(url)).start_run(f"file:{sheet.resolve()}#deals", user="other@example.jp")

    result = invoke("sync", "run", str(sheet), "--design", str(DESIGN_PATH), "--limit", "5",
                    "--lang", "en", "--output", str(tmp_path / "out.csv"))  # fmt: skip
    assert result.exit_code == 2
    assert "already has an active sync run" in result.output
    assert "--resume" in result.output
    assert "Traceback" not in result.output
    assert hubspot_env.records.get("deals", {}) == {}


def test_run_needs_limit_or_wave(tmp_path, hubspot_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    sheet = write_sheet(tmp_path, deal_frame(3))

    result = invoke("sync", "run", str(sheet), "--design", str(DESIGN_PATH), "--lang", "en")

    assert result.exit_code == 2
    assert "give --limit N" in result.output
    assert hubspot_env.records.get("deals", {}) == {}


def test_run_wave_without_limit(tmp_path, hubspot_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ledger.db'}")
    add_test_owners(hubspot_env)
    frame = deal_frame(30)
    sheet = write_sheet(tmp_path, frame)
    common = ["--design", str(DESIGN_PATH), "--as-of", "2024-01-15", "--lang", "en"]
    expected = int((frame["担当者"] == "佐藤").sum())

    dry = invoke("sync", "run", str(sheet), *common, "--wave", "sato", "--dry-run")
    result = invoke("sync", "run", str(sheet), *common, "--wave", "sato",
                    "--output", str(tmp_path / "out.csv"))  # fmt: skip

    assert dry.exit_code == 0, dry.output
    assert f"Dry run: {expected} rows would be sent." in dry.output
    assert "Syncing" not in dry.output  # a dry run sends nothing
    assert result.exit_code == 0, result.output
    assert 0 < expected < len(frame)
    assert len(hubspot_env.records["deals"]) == expected
