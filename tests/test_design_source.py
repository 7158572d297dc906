"""A design kept in a tab of the workbook is found and used without --design."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from bridge.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "deals.xlsx"
DESIGN = ROOT / "examples" / "design.yaml"


def workbook_with_design_tab(tmp_path: Path, design_text: str, first: bool) -> Path:
    design = tmp_path / "design.yaml"
    design.write_text(design_text, encoding="utf-8")
    workbook = tmp_path / "deals.xlsx"
    shutil.copy(EXAMPLE, workbook)
    result = CliRunner().invoke(cli, ["design", "export", str(workbook), "--design", str(design)])
    assert result.exit_code == 0, result.output
    if first:
        book = openpyxl.load_workbook(workbook)
        book.move_sheet("設計", offset=-book.sheetnames.index("設計"))
        book.save(workbook)
    return workbook


def validate_report(tmp_path: Path, *args: str) -> dict:
    report = tmp_path / "r.json"
    result = CliRunner().invoke(
        cli,
        ["validate", *args, "--as-of", "2026-12-01", "--no-write", "--no-history",
         "--report", str(report)],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return json.loads(report.read_text(encoding="utf-8"))


def test_design_tab_used_without_design_option(tmp_path):
    # The tab's design lifts the satisfaction limit, so 満足度 7 is no longer out of range.
    text = DESIGN.read_text(encoding="utf-8").replace(
        "    min: 1\n    max: 5\n", "    min: 1\n    max: 10\n"
    )
    workbook = workbook_with_design_tab(tmp_path, text, first=True)
    with_tab = validate_report(tmp_path, str(workbook))
    bundled = validate_report(tmp_path, str(EXAMPLE))
    codes_tab = with_tab["summary"]["findings_by_code"]
    codes_bundled = bundled["summary"]["findings_by_code"]
    assert codes_tab.get("out_of_range", 0) < codes_bundled["out_of_range"]
    # The design tab came first in the workbook but was not read as data.
    assert with_tab["summary"]["rows_checked"] == bundled["summary"]["rows_checked"]


def test_design_option_wins_over_tab(tmp_path):
    text = DESIGN.read_text(encoding="utf-8").replace(
        "    min: 1\n    max: 5\n", "    min: 1\n    max: 10\n"
    )
    workbook = workbook_with_design_tab(tmp_path, text, first=False)
    report = validate_report(tmp_path, str(workbook), "--design", str(DESIGN))
    bundled = validate_report(tmp_path, str(EXAMPLE))
    assert report["summary"]["findings_by_code"] == bundled["summary"]["findings_by_code"]


def test_named_design_tab_missing_is_input_error(tmp_path):
    result = CliRunner().invoke(
        cli, ["validate", str(EXAMPLE), "--design-tab", "設計", "--no-write", "--lang", "en"]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
