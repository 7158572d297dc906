"""What ``bridge kpi`` prints and writes: cut lists, "–" reasons, whole yen, the drivers' base."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bridge.cli.app import cli
from bridge.cli.kpi_output import PARTNERS_SHOWN, UPSELL_SHOWN
from bridge.kpi_sheets import KPI_SHEET
from tests.kpi.conftest import ROOT

EXAMPLE = ROOT / "examples" / "deals.xlsx"
SHEET = "案件一覧"
AS_OF = "2026-12-01"
# Aliases of the example design's CS pipeline and its closed stages.
CS_NAMES = {"カスタマーサクセス", "CS", "Customer success"}
WON_NAMES = {"更新済み", "Renewed", "更新"}
LOST_NAMES = {"解約", "Churned", "解約済み"}
MONEY = re.compile(r"^\d{1,3}(,\d{3})*$")


def yen(text: object) -> float:
    """Return an amount cell as a number: "１，２００，０００", "¥1,200,000", "120万円"; NaN else."""
    if not isinstance(text, str):
        return float("nan")
    plain = unicodedata.normalize("NFKC", text).replace(",", "").replace("¥", "").strip()
    plain = plain.removesuffix("円")
    factor = 10_000 if plain.endswith("万") else 1
    try:
        return float(plain.removesuffix("万")) * factor
    except ValueError:
        return float("nan")


def run_kpi(*extra: str, source: Path = EXAMPLE) -> tuple[str, dict]:
    """Run ``bridge kpi`` without writing a result file; return its output and JSON."""
    with CliRunner().isolated_filesystem():
        result = CliRunner().invoke(
            cli,
            ["kpi", str(source), "--as-of", AS_OF, "--no-write", "--no-history",
             "--json", "kpi.json", *extra],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        data = json.loads(Path("kpi.json").read_text(encoding="utf-8"))
    return result.output, data


@pytest.fixture(scope="module")
def example_ja() -> tuple[str, dict]:
    return run_kpi()


@pytest.fixture(scope="module")
def example_en() -> tuple[str, dict]:
    return run_kpi("--lang", "en")


@pytest.fixture(scope="module")
def sheet() -> pd.DataFrame:
    frame = pd.read_excel(EXAMPLE, sheet_name=SHEET, dtype=str)
    return frame.apply(lambda column: column.str.strip())


def section(output: str, title: str) -> list[str]:
    """Return the lines of the section that starts with ``title``, up to the next title."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines)
    )
    return lines[start:end]


def test_upsell_cut_says_how_many_more(example_ja, example_en):
    output, data = example_ja
    hidden = len(data["upsell"]) - UPSELL_SHOWN
    assert hidden > 0
    assert f"  …ほか {hidden} 件（すべては --json FILE）" in output.splitlines()
    english = example_en[0]
    assert f"  … and {hidden} more (all of them with --json FILE)" in english.splitlines()


def test_upsell_lists_shown_rows_only(example_ja):
    output, data = example_ja
    lines = section(output, "アップセル候補")
    listed = [line.split()[0] for line in lines[2:] if line.split()[0].isdigit()]
    assert listed == [str(item["sheet_row"]) for item in data["upsell"][:UPSELL_SHOWN]]


def test_upsell_leaves_out_error_rows(example_ja):
    output, data = example_ja
    report_rows = {item["sheet_row"] for item in data["upsell"]}
    error_rows = {item["row"] for item in data["todo"] if item["severity"] == "error"}
    assert report_rows.isdisjoint(error_rows)
    assert data["upsell_excluded_errors"] > 0
    assert f"載せていない行: {data['upsell_excluded_errors']} 件" in output


def test_upsell_leaves_out_won_without_amount(example_ja, sheet):
    _, data = example_ja
    amount = sheet["契約金額"].map(yen)
    won_without = sheet.index[sheet["ステージ"].isin(WON_NAMES) & (amount.fillna(0) <= 0)] + 2
    faults = json.loads((ROOT / "examples" / "deals.faults.json").read_text(encoding="utf-8"))
    flagged = {
        fault["row"]
        for fault in faults["faults"]
        if fault["code"] == "inconsistent" and fault["column"] == "契約金額"
    }
    assert set(won_without) == flagged
    listed = {item["sheet_row"] for item in data["upsell"]}
    assert listed.isdisjoint(set(won_without))
    assert all(item["revenue"] is not None for item in data["upsell"])


def test_partner_counts_deals_of_cs_only(example_ja, sheet):
    _, data = example_ja
    cs = sheet[sheet["パイプライン"].isin(CS_NAMES) & sheet["パートナー企業"].notna()]
    expected = cs.groupby("パートナー企業").size()
    deals = {entry["partner"]: entry["deals"] for entry in data["partners"]}
    assert deals == expected.to_dict()
    assert deals["千代田ネットワークス"] == 3


def test_partner_missing_values_have_reasons(example_ja):
    output, data = example_ja
    lines = section(output, "パートナー")
    reasons = {entry["median_days_to_close"]["reason"] for entry in data["partners"]}
    assert reasons == {"single_row", "no_data"}
    # Two reasons in one column: each "–" carries the number of its reason.
    by_partner = {entry["partner"]: entry["median_days_to_close"]["reason"]
                  for entry in data["partners"]}  # fmt: skip
    numbers = {}
    for line in lines:
        cells = line.split()
        if cells and cells[0] in by_partner:
            numbers.setdefault(by_partner[cells[0]], set()).add(cells[5])
    first, second = (numbers[reason] for reason in ("single_row", "no_data"))
    assert len(first) == len(second) == 1
    assert first != second
    single = f"  成約までの日数（中央値）の「{first.pop()}」: 成約日と開始日がそろった成約案件が 1 件だけのため、中央値を出せません。"
    assert single in lines
    none = f"  成約までの日数（中央値）の「{second.pop()}」: 成約日と開始日がそろった成約案件がありません。"
    assert none in lines


def test_partner_revenue_notes_won_without_amount(example_ja, example_en):
    output, data = example_ja
    without = [entry for entry in data["partners"] if entry["won_without_revenue"]]
    assert without
    count = sum(entry["won_without_revenue"] for entry in without)
    names = ", ".join(entry["partner"] for entry in without)
    assert (
        f"  成約売上に含めていない金額のない成約案件: {count} 件（{names}）" in output.splitlines()
    )
    english = example_en[0]
    line = f"  Won deals without an amount, left out of Revenue (won): {count} ({names})"
    assert line in english.splitlines()


def test_driver_interval_without_value_is_one_dash(example_ja, example_en):
    for output, _ in (example_ja, example_en):
        assert "–––" not in output
    output, data = example_ja
    region = next(table for table in data["drivers"] if table["attribute"] == "region")
    single = [value["value"] for value in region["values"] if value["rows"] == 1]
    assert single
    lines = section(output, "成功要因: 地域")
    for value in single:
        row = next(line for line in lines if line.split()[0] == value)
        assert row.split()[1:5] == ["1", "–", "–", "–"]
        assert "1 行だけのため判断できません。" in row


def test_drivers_judge_cs_closed_deals(example_ja, example_en, sheet):
    output, data = example_ja
    cs = sheet[sheet["パイプライン"].isin(CS_NAMES)]
    closed = cs[cs["ステージ"].isin(WON_NAMES | LOST_NAMES)]
    rate = closed["ステージ"].isin(WON_NAMES).mean() * 100
    header = f"全体 {rate:.1f}%（カスタマーサクセスの完了案件 {len(closed)} 件）"
    for table in data["drivers"]:
        assert table["rows"] == len(closed)
        assert f"成功要因: {table['label']}  {header}" in output.splitlines()
    english = f"overall {rate:.1f}% of {len(closed)} closed deals in カスタマーサクセス"
    assert english in example_en[0]


def test_money_prints_whole_yen(example_ja):
    output, _ = example_ja
    assert not re.search(r"\d,\d{3}\.\d", output)
    revenue = dict(line.split(None, 1) for line in section(output, "顧客あたり売上")[1:])
    for label in ("平均売上", "売上の中央値", "重要顧客の平均売上", "重要顧客の売上中央値"):
        assert MONEY.match(revenue[label].strip()), (label, revenue[label])


def test_kpi_tab_money_is_whole_yen(tmp_path):
    output = tmp_path / "deals.kpi.xlsx"
    result = CliRunner().invoke(
        cli,
        ["kpi", str(EXAMPLE), "--as-of", AS_OF, "--no-history", "--output", str(output)],
    )
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(output)[KPI_SHEET].iter_rows(values_only=True))
    by_label = {row[0]: row for row in rows if row and row[0]}
    for label in ("売上合計", "平均売上", "売上の中央値", "重要顧客の平均売上"):
        assert isinstance(by_label[label][1], int), (label, by_label[label][1])
    assert isinstance(by_label["継続率（%）"][1], float)
    assert by_label["継続率（%）"][1] == round(by_label["継続率（%）"][1], 1)
    assert any(row and row[0] == "判定した行数" for row in rows)


def write_many_partners(folder: Path, count: int) -> Path:
    """Write a CSV sheet with one CS deal per partner for ``count`` partners."""
    sheet = pd.read_excel(EXAMPLE, sheet_name=SHEET, dtype=str)
    cs = sheet[sheet["パイプライン"] == "カスタマーサクセス"].head(count).copy()
    cs["パートナー企業"] = [f"パートナー{i:02d}" for i in range(count)]
    path = folder / "deals.csv"
    cs.to_csv(path, index=False, encoding="utf-8")
    return path


def test_long_partner_table_is_cut(tmp_path):
    count = PARTNERS_SHOWN + 7
    output, data = run_kpi("--lang", "en", source=write_many_partners(tmp_path, count))
    assert len(data["partners"]) == count
    lines = section(output, "Partners")
    listed = [line for line in lines if line.startswith("  パートナー")]
    assert len(listed) == PARTNERS_SHOWN
    assert "  … and 7 more (all of them with --json FILE)" in lines


def test_retention_not_set_up_shows_no_counts(tmp_path):
    design = (ROOT / "examples" / "design.yaml").read_text(encoding="utf-8")
    # Drop the kpi section's retention block: its line and the deeper ones below it.
    without = re.sub(r"\n  retention:\n(?:    .*\n|\s*#.*\n)*", "\n", design)
    assert "retention:" not in without
    path = tmp_path / "design.yaml"
    path.write_text(without, encoding="utf-8")

    output, data = run_kpi("--design", str(path))

    assert data["retention"]["retention_rate"]["reason"] == "not_configured"
    assert "継続率" in output
    assert "期首の顧客数" not in output
