"""``bridge validate`` with history: three runs on different days, and a same-day re-run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from bridge.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DESIGN = ROOT / "examples" / "design.yaml"
STAGE_ENTERED_HEADER = "Stage entered (auto)"  # the managed column's header with --lang en

HEADERS = ["案件ID", "案件名", "パイプライン", "ステージ", "担当者", "顧客名", "パートナー企業",
           "契約金額", "契約開始日", "顧客満足度", "運用状況", "利用率", "更新意向", "最終連絡日",
           "更新予定日", "次回アクション日"]  # fmt: skip

# Per key: pipeline, stage, satisfaction (1-5), usage status, usage rate, renewal intent.
DAY_1 = {
    "1001": ("CS", "活用促進", 5, "活発", "90%", "はい"),
    "1002": ("CS", "オンボーディング", 4, "普通", "60%", "はい"),
    "1003": ("PS", "パートナー候補", 3, "普通", "50%", "はい"),
}
DAY_2 = {
    "1001": ("CS", "活用促進", 2, "低調", "30%", "いいえ"),  # the score falls sharply
    "1002": ("CS", "活用促進", 4, "普通", "60%", "はい"),  # moves on to the next stage
}  # 1003 leaves the sheet
DAYS = ("2026-04-01", "2026-04-15", "2026-04-20")


def write_sheet(path: Path, rows: dict, day: str) -> None:
    lines = []
    for key, (pipeline, stage, satisfaction, usage, rate, intent) in rows.items():
        lines.append(
            [key, f"案件{key}", pipeline, stage, "佐藤 健", f"顧客{key}", "パートナー社", "600000",
             "2026-01-10", str(satisfaction), usage, rate, intent, day, "2026-12-31", "2026-05-01"]
        )  # fmt: skip
    pd.DataFrame(lines, columns=HEADERS).to_csv(path, index=False, encoding="utf-8")


def expected_score(raw_design: dict, values: tuple) -> float:
    """Compute the weighted score from the raw design and cell values, as the design file defines it."""
    _, _, satisfaction, usage, rate, intent = values
    usage_values = {"活発": "active", "普通": "normal", "低調": "low", "未利用": "unused"}
    cells = {
        "cs_satisfaction": float(satisfaction),
        "usage_status": usage_values[usage],
        "usage_rate": float(rate.rstrip("%")) / 100,
        "renewal_intent": "true" if intent == "はい" else "false",
    }
    weighted = total = 0.0
    for measure in raw_design["scoring"]["measures"]:
        value = cells[measure["property"]]
        if "points" in measure:
            points = measure["points"][value]
        else:
            share = (value - measure["low"]) / (measure["high"] - measure["low"])
            points = min(max(share, 0.0), 1.0) * 100
        weighted += points * measure["weight"]
        total += measure["weight"]
    return round(weighted / total, 1)


@pytest.fixture
def design_without_stage_column(tmp_path) -> tuple[Path, dict]:
    """The example design without a stage-entered column, so the bridge keeps the date."""
    text_ = EXAMPLE_DESIGN.read_text(encoding="utf-8")
    text_ = text_.replace("  stage_entered_column: stage_entered_date\n", "")
    path = tmp_path / "design.yaml"
    path.write_text(text_, encoding="utf-8")
    return path, yaml.safe_load(text_)


def run_day(runner, sheet, design, day, folder, *extra):
    output = folder / f"out-{day}.csv"
    report = folder / f"report-{day}.json"
    result = runner.invoke(
        cli,
        ["validate", str(sheet), "--design", str(design), "--as-of", day, "--lang", "en",
         "--output", str(output), "--report", str(report), *extra],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return result, json.loads(report.read_text(encoding="utf-8")), output


def history_records(url: str) -> pd.DataFrame:
    engine = create_engine(url)
    with engine.connect() as connection:
        frame = pd.read_sql(text("SELECT * FROM history ORDER BY row_key, as_of"), connection)
    engine.dispose()
    return frame


def stage_entered(output: Path) -> dict[str, str]:
    frame = pd.read_csv(output, dtype=str)
    return dict(zip(frame["案件ID"], frame[STAGE_ENTERED_HEADER], strict=True))


def test_three_runs_with_history(tmp_path, monkeypatch, database_url, design_without_stage_column):
    design, raw = design_without_stage_column
    monkeypatch.setenv("DATABASE_URL", database_url)
    sheet = tmp_path / "deals.csv"
    runner = CliRunner()

    write_sheet(sheet, DAY_1, DAYS[0])
    _, first, output = run_day(runner, sheet, design, DAYS[0], tmp_path)
    assert first["summary"]["history"]["recorded"] == 3
    assert not [f for f in first["findings"] if f["code"] == "score_dropped"]
    assert stage_entered(output) == {"1001": DAYS[0], "1002": DAYS[0], "1003": DAYS[0]}

    write_sheet(sheet, DAY_2, DAYS[1])
    _, second, output = run_day(runner, sheet, design, DAYS[1], tmp_path)
    dropped = [f for f in second["findings"] if f["code"] == "score_dropped"]
    before, after = expected_score(raw, DAY_1["1001"]), expected_score(raw, DAY_2["1001"])
    assert before - after > raw["scoring"]["drop_threshold"]
    assert [f["row"] for f in dropped] == [2]
    assert dropped[0]["severity"] == "warning"
    assert f"from {before:.1f} to {after:.1f}" in dropped[0]["message"]
    assert stage_entered(output) == {"1001": DAYS[0], "1002": DAYS[1]}
    assert second["summary"]["history"]["missing_row_keys"] == ["1003"]
    assert second["summary"]["history"]["missing_row_count"] == 1

    _, third, output = run_day(runner, sheet, design, DAYS[2], tmp_path)
    assert not [f for f in third["findings"] if f["code"] == "score_dropped"]
    assert stage_entered(output) == {"1001": DAYS[0], "1002": DAYS[1]}
    records = history_records(database_url)
    assert len(records) == 3 + 2 + 2
    assert sorted(records.loc[records["row_key"] == "1003", "as_of"].astype(str)) == [DAYS[0]]

    cli_output, rerun, output = run_day(runner, sheet, design, DAYS[2], tmp_path)
    again = history_records(database_url)
    assert len(again) == len(records)
    assert rerun["findings"] == third["findings"]
    assert stage_entered(output) == {"1001": DAYS[0], "1002": DAYS[1]}
    latest = again[again["as_of"].astype(str) == DAYS[2]]
    assert set(latest["run_id"]) == {rerun["summary"]["history"]["run_id"]}
    assert "1 row keys of earlier runs are no longer in the sheet" in cli_output.output

    scores = again[again["row_key"] == "1001"].sort_values("as_of")["score"].tolist()
    assert scores == [before, after, after]
    grades = again[again["row_key"] == "1001"].sort_values("as_of")["grade"].tolist()
    assert grades == ["良好", "危険", "危険"]


def test_no_history_leaves_database_untouched(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    # Local sheets are keyed by file name, and other tests share this database.
    sheet = tmp_path / "untouched-deals.csv"
    write_sheet(sheet, DAY_1, DAYS[0])
    runner = CliRunner()
    run_day(runner, sheet, EXAMPLE_DESIGN, DAYS[0], tmp_path)
    before = history_records(database_url)
    sheet_id = "file:" + sheet.stem
    assert (before["sheet_id"] == sheet_id).sum() == 3

    write_sheet(sheet, DAY_2, DAYS[1])
    result, report, _ = run_day(runner, sheet, EXAMPLE_DESIGN, DAYS[1], tmp_path, "--no-history")
    after = history_records(database_url)
    pd.testing.assert_frame_equal(before, after)
    assert "history" not in report["summary"]
    assert "History:" not in result.output


def test_default_database_beside_output(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    sheet = tmp_path / "deals.csv"
    write_sheet(sheet, DAY_1, DAYS[0])
    results = tmp_path / "results"
    results.mkdir()
    run_day(CliRunner(), sheet, EXAMPLE_DESIGN, DAYS[0], results)
    assert (results / "bridge.db").is_file()
    assert not (tmp_path / "bridge.db").exists()


def test_unreachable_database_message_hides_password(tmp_path, monkeypatch, caplog):
    # Port 9 on the loopback address has no server, so the connection is refused.
    url = "postgresql+psycopg://bridge:s3cret-pass@127.0.0.1:9/test?connect_timeout=3"
    monkeypatch.setenv("DATABASE_URL", url)
    sheet = tmp_path / "deals.csv"
    write_sheet(sheet, DAY_1, DAYS[0])
    result = CliRunner().invoke(
        cli, ["validate", str(sheet), "--as-of", DAYS[0], "--lang", "ja", "--no-write"]
    )
    assert result.exit_code == 2
    assert "s3cret-pass" not in result.output
    assert "s3cret-pass" not in caplog.text
    assert "Traceback" not in result.output
    assert "履歴データベース" in result.output
    assert "--no-history" in result.output
