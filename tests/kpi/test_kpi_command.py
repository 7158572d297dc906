"""``bridge kpi`` on the example workbook: terminal tables, JSON, KPI and to-do tabs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bridge.cli.app import cli
from bridge.kpi_sheets import KPI_SHEET, TODO_SHEETS
from tests.kpi.conftest import ROOT, TELCO_CSV, TELCO_DESIGN

EXAMPLE = ROOT / "examples" / "deals.xlsx"
FAULTS = json.loads((ROOT / "examples" / "deals.faults.json").read_text(encoding="utf-8"))
AS_OF = FAULTS["as_of"]


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> tuple[object, Path, Path]:
    folder = tmp_path_factory.mktemp("kpi")
    output, report = folder / "deals.kpi.xlsx", folder / "kpi.json"
    result = CliRunner().invoke(
        cli,
        ["kpi", str(EXAMPLE), "--as-of", AS_OF, "--output", str(output), "--json", str(report)],
    )
    return result, output, report


def test_kpi_command_prints_tables(example_run):
    result, _, _ = example_run
    assert result.exit_code == 0, result.output
    assert "継続率" in result.output
    assert "Traceback" not in result.output


def test_kpi_json_matches_sheet_counts(example_run):
    _, _, report = example_run
    data = json.loads(report.read_text(encoding="utf-8"))
    sheet = pd.read_excel(EXAMPLE, sheet_name=FAULTS["sheet"], dtype=str)
    cells = sheet.apply(lambda column: column.str.strip().replace({"": None, "\u3000": None}))
    assert data["rows"] == int(cells.notna().any(axis=1).sum())
    cs_rows = {stage["label"]: stage["rows"] for stage in data["funnels"][0]["stages"]}
    assert cs_rows["解約"] == int(sheet["ステージ"].isin(["解約", "解約済み", "Churned"]).sum())
    assert data["retention"]["churn_rate"]["value"] is not None


def test_todo_tab_lists_error_rows_with_links(example_run):
    _, output, report = example_run
    workbook = load_workbook(output)
    todo = workbook[TODO_SHEETS["ja"]]
    linked_rows = set()
    for row in todo.iter_rows(min_row=2):
        link = row[1]
        if link.hyperlink is None:
            continue
        row_number = int(re.sub(r"\D", "", link.value))
        assert link.value == f"{row_number} 行目"
        assert link.hyperlink.target == f"#'{FAULTS['sheet']}'!A{row_number}"
        assert link.data_type == "s"  # text with a hyperlink, never a formula
        linked_rows.add(row_number)
    error_rows = {
        fault["row"]
        for fault in FAULTS["faults"]
        if fault["code"]
        in {"invalid_date", "invalid_number", "missing_required", "stage_requirement"}
    }
    assert error_rows <= linked_rows
    data = json.loads(report.read_text(encoding="utf-8"))
    assert {item["row"] for item in data["todo"]} == linked_rows


def test_todo_tab_groups_by_owner(example_run):
    _, output, _ = example_run
    todo = load_workbook(output)[TODO_SHEETS["ja"]]
    owners = [row[0] for row in todo.iter_rows(min_row=2, values_only=True) if row and row[0]]
    blocks = [
        owner for index, owner in enumerate(owners) if index == 0 or owners[index - 1] != owner
    ]
    assert len(blocks) == len(set(blocks))


def test_kpi_tab_has_charts_and_no_nan(example_run):
    _, output, _ = example_run
    kpi = load_workbook(output)[KPI_SHEET]
    kinds = sorted(type(chart).__name__ for chart in kpi._charts)
    assert kinds.count("BarChart") == 3  # two stage funnels and the partner win rates
    assert kinds.count("PieChart") == 1  # grade distribution
    for row in kpi.iter_rows(values_only=True):
        for value in row:
            assert not (isinstance(value, float) and value != value)
            assert value not in ("nan", "NaN")


def test_kpi_english_tab_name_and_csv_source(tmp_path):
    if not TELCO_CSV.exists():
        pytest.skip("telco data set not present")
    output = tmp_path / "telco.xlsx"
    result = CliRunner().invoke(
        cli,
        ["kpi", str(TELCO_CSV), "--design", str(TELCO_DESIGN), "--lang", "en",
         "--as-of", "2024-01-01", "--output", str(output)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Churn rate" in result.output
    workbook = load_workbook(output)
    assert TODO_SHEETS["en"] in workbook.sheetnames
    todo_rows = list(workbook[TODO_SHEETS["en"]].iter_rows(min_row=2, values_only=True))
    assert len(todo_rows) == 11  # the blank TotalCharges of the tenure-0 customers


@pytest.mark.parametrize(
    "period", ["2024-01-01", "2024-13-01..2024-12-31", "2025-01-01..2024-01-01"]
)
def test_kpi_invalid_period_is_a_usage_error(period):
    result = CliRunner().invoke(cli, ["kpi", str(EXAMPLE), "--period", period, "--lang", "en"])
    assert result.exit_code == 2
    assert f"{period} is not a period" in result.output
    assert "Traceback" not in result.output


def test_kpi_missing_lookup_file_is_a_usage_error(tmp_path):
    design = tmp_path / "design.yaml"
    text = (ROOT / "examples" / "maven-crm" / "design.yaml").read_text(encoding="utf-8")
    design.write_text(text, encoding="utf-8")
    sheet = tmp_path / "deals.csv"
    sheet.write_text("opportunity_id,sales_agent,product,deal_stage\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["kpi", str(sheet), "--design", str(design), "--lang", "en"])
    assert result.exit_code == 2
    assert "cannot read the lookup sector" in result.output
    assert "file not found" in result.output
