"""The design kept in a spreadsheet tab: layout, export and import, problems by row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml

from bridge.sheets.design_tab import design_to_rows, rows_to_design
from tests.sheets.conftest import SPREADSHEET_ID, TOKEN
from validators.design_file import load_design_data, load_design_text

ROOT = Path(__file__).resolve().parents[2]
DESIGNS = [ROOT / "examples" / "design.yaml", ROOT / "examples" / "maven-crm" / "design.yaml"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("path", DESIGNS, ids=lambda path: path.parent.name)
def test_rows_round_trip(path):
    text = path.read_text(encoding="utf-8")
    rows = design_to_rows(yaml.safe_load(text))
    data, _ = rows_to_design(rows)
    assert load_design_data(data) == load_design_text(text)


def test_layout_blocks():
    rows = design_to_rows(yaml.safe_load(DESIGNS[0].read_text(encoding="utf-8")))
    markers = [row[0] for row in rows if row and str(row[0]).startswith("[")]
    assert markers == ["[properties]", "[pipelines]", "[stages]", "[settings]"]
    stages_header = rows[rows.index(["[stages]"]) + 1]
    assert stages_header[:3] == ["pipeline", "id", "label"]
    onboarding = next(row for row in rows if len(row) > 1 and row[1] == "onboarding")
    requires = onboarding[stages_header.index("requires")]
    assert requires == "company_name, amount, contract_start_date"


@pytest.fixture
def google_env(fake_sheets):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    spreadsheet.add_sheet("案件一覧", [["案件ID"], [1]])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "GOOGLE_"))}
    env.update(BRIDGE_SHEETS_API_URL=fake_sheets.url, BRIDGE_OAUTH_TOKEN=TOKEN)
    return spreadsheet, env


def test_google_export_import(google_env, tmp_path):
    spreadsheet, env = google_env
    url = f"https://docs.google.com/spreadsheets/d/{SPREADSHEET_ID}/edit"
    exported = run_cli("design", "export", url, "--design", str(DESIGNS[0]), env=env)
    assert exported.returncode == 0, exported.stderr
    assert spreadsheet.sheet("設計").values[(0, 0)] == "[properties]"

    output = tmp_path / "design.yaml"
    imported = run_cli("design", "import", url, "--output", str(output), env=env)
    assert imported.returncode == 0, imported.stderr
    original = load_design_text(DESIGNS[0].read_text(encoding="utf-8"))
    assert load_design_text(output.read_text(encoding="utf-8")) == original
    assert TOKEN not in exported.stdout + exported.stderr + imported.stdout + imported.stderr


def test_google_problem_names_row(google_env, tmp_path):
    spreadsheet, env = google_env
    run_cli("design", "export", f"gsheet:{SPREADSHEET_ID}", "--design", str(DESIGNS[0]), env=env)
    tab = spreadsheet.sheet("設計")
    # The admin types a property that does not exist into a stage's requires.
    header_row = next(r for (r, c), v in tab.values.items() if c == 0 and v == "[stages]") + 1
    header = {v: c for (r, c), v in tab.values.items() if r == header_row}
    tab.values[(header_row + 1, header["requires"])] = "company_name, no_such_property"

    done = run_cli("design", "import", f"gsheet:{SPREADSHEET_ID}", "--lang", "en",
                   "--output", str(tmp_path / "d.yaml"), env=env)  # fmt: skip

    assert done.returncode == 2
    assert "no_such_property" in done.stderr
    assert f"line {header_row + 2}," in done.stderr  # the sheet row the admin edited
    assert not (tmp_path / "d.yaml").exists()


def test_bad_block_marker(google_env, tmp_path):
    spreadsheet, env = google_env
    spreadsheet.add_sheet("Design", [["properties"], ["name", "label"]])
    done = run_cli("design", "import", f"gsheet:{SPREADSHEET_ID}", "--lang", "ja",
                   "--output", str(tmp_path / "d.yaml"), env=env)  # fmt: skip
    assert done.returncode == 2
    assert "[properties]" in done.stderr
    assert "Traceback" not in done.stderr


def test_xlsx_export_import(tmp_path):
    workbook_path = tmp_path / "deals.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "案件一覧"
    workbook.active["A1"] = "案件ID"
    workbook.save(workbook_path)

    exported = run_cli("design", "export", str(workbook_path), "--design", str(DESIGNS[1]))
    assert exported.returncode == 0, exported.stderr
    output = tmp_path / "design.yaml"
    imported = run_cli("design", "import", str(workbook_path), "--output", str(output))
    assert imported.returncode == 0, imported.stderr

    assert openpyxl.load_workbook(workbook_path).sheetnames == ["案件一覧", "設計"]
    original = load_design_text(DESIGNS[1].read_text(encoding="utf-8"))
    assert load_design_text(output.read_text(encoding="utf-8")) == original
