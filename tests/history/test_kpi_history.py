"""``bridge kpi`` reads the history that validation runs recorded for the same sheet."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bridge.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "deals.xlsx"


def test_kpi_json_has_history_of_result_file(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    output = tmp_path / "deals.checked.xlsx"
    runner = CliRunner()
    for day in ("2026-10-01", "2026-11-01"):
        result = runner.invoke(
            cli, ["validate", str(EXAMPLE), "--as-of", day, "--output", str(output)]
        )
        assert result.exit_code == 1, result.output

    report = tmp_path / "k.json"
    result = runner.invoke(
        cli, ["kpi", str(output), "--as-of", "2026-12-01", "--json", str(report), "--no-write"]
    )
    assert result.exit_code == 0, result.output
    history = json.loads(report.read_text(encoding="utf-8"))["history"]
    trend = history["score_trends"][0]
    assert [point["as_of"] for point in trend["scores"]] == ["2026-10-01", "2026-11-01"]
    assert history["grade_movement"]["end"] == "2026-12-01"
    assert len(history["support_calendar"]) == 12


def test_kpi_without_history_has_none(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    report = tmp_path / "k.json"
    result = CliRunner().invoke(
        cli,
        ["kpi", str(EXAMPLE), "--as-of", "2026-12-01", "--json", str(report), "--no-write",
         "--no-history"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(report.read_text(encoding="utf-8"))["history"] is None
