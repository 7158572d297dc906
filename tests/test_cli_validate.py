"""``bridge validate`` end to end on the bundled examples and the real Maven CRM data.

Expected counts come from the raw files, read here with pandas or from the
example generator's fault list, never from the bridge's own output.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from bridge.cli import cli
from bridge.cli.validate import parse_as_of
from bridge.errors import InvalidOptionError
from bridge.kpi_service import parse_period

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "deals.xlsx"
MAVEN = ROOT.parent / "shared" / "datasets" / "maven-crm"
MAVEN_DESIGN = ROOT / "examples" / "maven-crm" / "design.yaml"
AS_OF = "2026-12-01"


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def maven_report(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("maven")
    code, output = run_cli(
        "validate", str(MAVEN / "sales_pipeline.csv"), "--design", str(MAVEN_DESIGN),
        "--report", str(folder / "r.json"), "--output", str(folder / "out.csv"),
    )  # fmt: skip
    assert code == 1, output
    return json.loads((folder / "r.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def maven_raw() -> pd.DataFrame:
    frame = pd.read_csv(MAVEN / "sales_pipeline.csv", dtype=str, keep_default_na=False)
    frame["sheet_row"] = frame.index + 2  # header is row 1
    return frame


def test_maven_engaging_without_account(maven_report, maven_raw):
    expected = maven_raw[(maven_raw.deal_stage == "Engaging") & (maven_raw.account == "")]
    found = [
        finding["row"]
        for finding in maven_report["findings"]
        if finding["code"] == "stage_requirement" and finding["column"] == "account"
    ]
    assert len(expected) > 0
    assert found == expected.sheet_row.tolist()


def test_maven_gtxpro_suggests_gtx_pro(maven_report, maven_raw):
    expected = maven_raw[maven_raw["product"] == "GTXPro"].sheet_row.tolist()
    findings = [f for f in maven_report["findings"] if f["code"] == "invalid_option"]
    assert [f["row"] for f in findings] == expected
    assert {f["suggestion"] for f in findings} == {"GTX Pro"}
    assert {f["value"] for f in findings} == {"GTXPro"}


def test_maven_closed_deals_need_close_fields(maven_report, maven_raw):
    closed = maven_raw[maven_raw.deal_stage.isin(["Won", "Lost"])]
    missing = int((closed.close_date == "").sum() + (closed.close_value == "").sum())
    flagged = [
        f for f in maven_report["findings"]
        if f["code"] == "stage_requirement" and f["column"] in ("close_date", "close_value")
    ]  # fmt: skip
    assert len(flagged) == missing


def test_maven_summary_counts(maven_report, maven_raw):
    summary = maven_report["summary"]
    assert summary["rows_checked"] == len(maven_raw)
    error_rows = set(
        maven_raw[(maven_raw.deal_stage == "Engaging") & (maven_raw.account == "")].sheet_row
    ) | set(maven_raw[maven_raw["product"] == "GTXPro"].sheet_row)
    assert summary["rows_with_errors"] == len(error_rows)


def test_maven_report_fields(maven_report):
    finding = maven_report["findings"][0]
    assert list(finding) == [
        "row", "column", "column_letter", "code", "severity", "value", "message", "suggestion",
    ]  # fmt: skip
    assert finding["message"].startswith(f"{finding['column_letter']}{finding['row']} ")


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> tuple[dict, Path, str]:
    folder = tmp_path_factory.mktemp("example")
    output = folder / "deals.checked.xlsx"
    code, text = run_cli(
        "validate", str(EXAMPLE), "--as-of", AS_OF,
        "--report", str(folder / "r.json"), "--output", str(output),
    )  # fmt: skip
    assert code == 1, text
    return json.loads((folder / "r.json").read_text(encoding="utf-8")), output, text


def test_example_findings_match_generator_faults(example_run):
    report, _, _ = example_run
    manifest = json.loads((ROOT / "examples" / "deals.faults.json").read_text(encoding="utf-8"))
    expected = Counter((fault["row"], fault["code"]) for fault in manifest["faults"])
    found = Counter((f["row"], f["code"]) for f in report["findings"] if f["row"] > 1)
    for fault in manifest["conditional_faults"]:
        if fault["code"] == "duplicate_record" and (fault["row"], fault["code"]) in found:
            expected[(fault["row"], fault["code"])] += 1
    assert found == expected
    # One flag per duplicated company: the later row of each pair.
    pairs = len(manifest["conditional_faults"]) // 2
    assert report["summary"]["findings_by_code"]["duplicate_record"] == pairs


def test_example_counts_from_raw_sheet(example_run):
    report, _, _ = example_run
    raw = pd.read_excel(EXAMPLE, sheet_name="案件一覧", dtype=object)
    text = raw.fillna("").astype(str).apply(lambda column: column.str.strip())
    blank = (text == "").all(axis=1)
    keys = raw.loc[~blank, "案件ID"].astype(str).str.strip()
    assert report["summary"]["blank_rows"] == int(blank.sum())
    assert report["summary"]["rows_checked"] == int((~blank).sum())
    assert report["summary"]["findings_by_code"]["duplicate_key"] == int(
        keys.duplicated(keep=False).sum()
    )


def test_example_terminal_summary_in_japanese(example_run):
    _, _, text = example_run
    assert "検証した行" in text
    assert "結果を保存しました" in text


def test_example_output_keeps_user_cells(example_run):
    _, output, _ = example_run
    source = openpyxl.load_workbook(EXAMPLE)["案件一覧"]
    result = openpyxl.load_workbook(output)["案件一覧"]
    for row in source.iter_rows():
        for cell in row:
            assert result[cell.coordinate].value == cell.value, cell.coordinate
    headers = [cell.value for cell in result[1]]
    assert headers[source.max_column :][:4] == ["検証ステータス", "検証結果", "スコア", "評価"]


def test_rerun_on_output_is_stable(example_run, tmp_path):
    report, output, _ = example_run
    again = tmp_path / "again.checked.xlsx"
    shutil.copy(output, again)
    code, _ = run_cli(
        "validate", str(again), "--as-of", AS_OF, "--report", str(tmp_path / "r2.json"),
        "--output", str(again),
    )  # fmt: skip
    assert code == 1
    second = json.loads((tmp_path / "r2.json").read_text(encoding="utf-8"))
    assert second["findings"] == report["findings"]
    first_headers = [cell.value for cell in openpyxl.load_workbook(output)["案件一覧"][1]]
    second_headers = [cell.value for cell in openpyxl.load_workbook(again)["案件一覧"][1]]
    assert second_headers == first_headers


def test_english_messages(tmp_path):
    code, text = run_cli(
        "validate", str(EXAMPLE), "--as-of", AS_OF, "--lang", "en", "--no-write", "--no-history",
    )  # fmt: skip
    assert code == 1
    assert "Rows checked" in text
    assert "検証した行" not in text


def test_clean_csv_exits_zero(tmp_path):
    source = tmp_path / "clean.csv"
    source.write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "A1,Moses Frase,GTX Basic,,Prospecting,,,-1\n",
        encoding="utf-8",
    )
    code, text = run_cli("validate", str(source), "--design", str(MAVEN_DESIGN))
    assert code == 0, text
    assert (tmp_path / "clean.checked.csv").exists()


def test_cp932_csv_read(tmp_path):
    source = tmp_path / "sjis.csv"
    header = (
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"
    )
    source.write_bytes(
        (header + "\r\nA1,Moses Frase,GTXPro,株式会社テスト,Engaging,2024/4/1,,-1\r\n").encode(
            "cp932"
        )
    )
    report = tmp_path / "r.json"
    code, _ = run_cli(
        "validate", str(source), "--design", str(MAVEN_DESIGN), "--report", str(report),
        "--no-write",
    )  # fmt: skip
    assert code == 1
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    assert [(f["code"], f["value"]) for f in findings] == [("invalid_option", "GTXPro")]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["missing.xlsx"], "ファイルが見つかりません"),
        (["README.md"], "対応していない形式"),
        ([str(EXAMPLE), "--as-of", "2026/13/01"], "日付ではありません"),
        ([str(EXAMPLE), "--design", "README.md"], "設計ファイル"),
        ([str(EXAMPLE), "--design", str(EXAMPLE)], "代わりに --design-tab タブ名 を指定"),
        ([str(EXAMPLE), "--design", "examples"], "フォルダー"),
        (["README.md", "--design-tab", "設計"], "対応していない形式"),
    ],
)
def test_input_errors_exit_two_without_traceback(args, expected):
    result = CliRunner().invoke(cli, ["validate", *args, "--lang", "ja", "--no-write"])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_fake_xlsx_is_unreadable(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(fake), "--lang", "en"])
    assert result.exit_code == 2
    assert "Cannot read" in result.output or "cannot read" in result.output


def test_read_only_source_folder_falls_back_to_cwd(tmp_path, monkeypatch):
    folder = tmp_path / "readonly"
    folder.mkdir()
    source = folder / "deals.csv"
    source.write_text(
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value\n"
        "A1,Moses Frase,GTX Basic,,Prospecting,,,-1\n",
        encoding="utf-8",
    )
    folder.chmod(0o555)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    try:
        code, text = run_cli("validate", str(source), "--design", str(MAVEN_DESIGN), "--lang", "en")
    finally:
        folder.chmod(0o755)
    assert code == 0, text
    assert (work / "deals.checked.csv").exists()
    assert not (folder / "deals.checked.csv").exists()
    assert "read-only" in text


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["validate", "--no-history"], "--report"),
        (["kpi", "--no-write", "--no-history"], "--json"),
        (["sync", "plan"], "--json"),
    ],
)
@pytest.mark.parametrize("target", ["missing/out.json", "folder"])
def test_json_output_unwritable_stops_first(tmp_path, monkeypatch, command, option, target):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    source = tmp_path / "deals.xlsx"
    shutil.copy(EXAMPLE, source)

    result = CliRunner().invoke(
        cli, [*command, str(source), "--as-of", AS_OF, option, target, "--lang", "ja"]
    )

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{target} に書き込めません" in result.output
    assert not (tmp_path / "deals.checked.xlsx").exists()  # stopped before the sheet was written


def test_summary_names_example_design_and_severity():
    code, text = run_cli(
        "validate", str(EXAMPLE), "--as-of", AS_OF, "--lang", "ja", "--no-write", "--no-history",
    )  # fmt: skip
    assert code == 1
    assert "設計: 同梱の例" in text
    assert "  [エラー] " in text
    assert "[error]" not in text


def test_summary_quiet_about_own_design(tmp_path):
    design = tmp_path / "design.yaml"
    shutil.copy(ROOT / "examples" / "design.yaml", design)
    code, text = run_cli(
        "validate", str(EXAMPLE), "--design", str(design), "--as-of", AS_OF, "--lang", "en",
        "--no-write", "--no-history",
    )  # fmt: skip
    assert code == 1
    assert "bundled example" not in text
    assert "  [error] " in text


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01",
        "2026/12/1",
        "2026/12/01",
        "2026年12月1日",
        "令和8年12月1日",
        "２０２６/１２/１",
    ],
)
def test_as_of_accepts_cell_date_forms(text):
    assert parse_as_of(text) == dt.date(2026, 12, 1)


@pytest.mark.parametrize("text", ["46000", "2026/13/01", "2026-12-01 10:00", "12/1"])
def test_as_of_rejects_other_text(text):
    with pytest.raises(InvalidOptionError):
        parse_as_of(text)


def test_period_accepts_slashes():
    period = parse_period("2024/4/1..2025/3/31")
    assert (period.start, period.end) == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))


def test_design_tab_of_csv_explained(tmp_path):
    source = tmp_path / "deals.csv"
    source.write_text("会社\nA社\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["validate", str(source), "--design-tab", "設計", "--lang", "ja", "--no-write"]
    )
    assert result.exit_code == 2
    assert "タブがないため、--design-tab で設計を読めません" in result.output


@pytest.mark.parametrize("name", ["deals.txt", "deals.tsv"])
def test_text_file_suffix_explained(tmp_path, name):
    source = tmp_path / name
    source.write_text("会社\tメモ\nA社\t\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(source), "--lang", "ja", "--no-write"])
    assert result.exit_code == 2
    assert "拡張子を .csv に変えてください" in result.output
