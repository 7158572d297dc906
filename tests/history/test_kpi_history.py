"""``bridge kpi`` reads the history that validation runs recorded for the same sheet."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
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
    # The two recorded runs, then the sheet as it is on the KPI day.
    assert [point["as_of"] for point in trend["scores"]] == [
        "2026-10-01",
        "2026-11-01",
        "2026-12-01",
    ]
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


def grades_by_key(path: Path) -> dict[str, str]:
    sheet = openpyxl.load_workbook(path)["案件一覧"]
    header = [cell.value for cell in sheet[1]]
    key, grade = header.index("案件ID"), header.index("評価")
    return {
        str(row[key]).strip(): row[grade]
        for row in sheet.iter_rows(min_row=2, values_only=True)
        if row[key] is not None and row[grade]
    }


def test_kpi_compares_todays_sheet_with_last_run(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    output = tmp_path / "deals.checked.xlsx"
    result = runner.invoke(
        cli, ["validate", str(EXAMPLE), "--as-of", "2026-11-01", "--output", str(output)]
    )
    assert result.exit_code == 1, result.output
    before = grades_by_key(output)

    book = openpyxl.load_workbook(output)
    sheet = book["案件一覧"]
    column = [cell.value for cell in sheet[1]].index("満足度") + 1
    for row in range(2, 30):
        sheet.cell(row, column).value = 1
    book.save(output)
    today = tmp_path / "today.xlsx"
    result = runner.invoke(
        cli, ["validate", str(output), "--as-of", "2026-12-01", "--output", str(today),
              "--no-history"],
    )  # fmt: skip
    after = grades_by_key(today)

    order = ["良好", "注意", "危険"]
    shared = set(before) & set(after)
    duplicated = {key for key in shared if list(before).count(key) > 1}
    worse = sum(order.index(after[k]) > order.index(before[k]) for k in shared - duplicated)
    assert worse > 0

    report = tmp_path / "k.json"
    result = runner.invoke(
        cli, ["kpi", str(output), "--as-of", "2026-12-01", "--json", str(report), "--no-write"]
    )
    assert result.exit_code == 0, result.output
    movement = json.loads(report.read_text(encoding="utf-8"))["history"]["grade_movement"]
    assert movement["worsened"] == worse
