"""Smoke runs of the benchmark scripts at tiny sizes: they work and measure the right thing.

No timing is asserted; the numbers themselves are checked only for sense.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pandas as pd
import pytest

from benchmarks import compare, job_memory, sheets_calls, sync, validation
from benchmarks.__main__ import main as run_all
from benchmarks.generate import AS_OF, HEADERS, generate, parse_size, write_csv
from validators.engine import validate
from validators.findings import Code

# Codes the generator is built to produce; the rest need sheet-level conditions
# (header, pipeline or column problems) or a sync run.
GENERATED_CODES = {
    "missing_required", "invalid_number", "invalid_date", "invalid_email", "invalid_phone",
    "invalid_url", "invalid_postal_code", "invalid_corporate_number", "invalid_bool",
    "invalid_option", "out_of_range", "unknown_stage", "stage_requirement", "stale_in_stage",
    "contact_overdue", "next_step_overdue", "close_date_passed", "inconsistent",
    "duplicate_key", "duplicate_record", "formula_error", "score_dropped",
}  # fmt: skip


def test_generator_same_seed_same_sheet():
    first, again, other = generate(300, seed=3), generate(300, seed=3), generate(300, seed=4)
    assert first.table.rows == again.table.rows
    assert first.previous == again.previous
    assert first.table.rows != other.table.rows


def test_generator_shape_and_sizes():
    sheet = generate(120)
    assert len(sheet.table.rows) == 120
    assert len(sheet.table.headers) == 30
    assert all(len(row) == 30 for row in sheet.table.rows)
    assert sheet.table.headers == [ja for ja, _en in HEADERS.values()]
    assert parse_size("10k") == 10_000
    assert parse_size("1m") == 1_000_000
    assert parse_size("2500") == 2_500


def test_generator_repeats_companies_not_emails():
    frame = pd.DataFrame(generate(3_000, fault_rate=0.0).table.rows, columns=list(HEADERS))
    assert frame["company_name"].nunique() < len(frame) / 2
    assert frame["hubspot_owner_id"].nunique() <= 20
    assert frame["email"].nunique() == len(frame)
    assert frame["deal_id"].nunique() == len(frame)


def test_generator_produces_every_finding_code(design):
    sheet = generate(2_000, fault_rate=0.05)
    result = validate(sheet.table, design, AS_OF, previous=sheet.previous)
    codes = {finding.code.value for finding in result.findings}
    assert codes >= GENERATED_CODES, GENERATED_CODES - codes


def test_generator_duplicate_keys_match_pandas(design):
    sheet = generate(2_000, fault_rate=0.05)
    frame = pd.DataFrame(sheet.table.rows, columns=list(HEADERS))
    expected = int(frame["deal_id"].duplicated(keep=False).sum())
    result = validate(sheet.table, design, AS_OF)
    found = sum(1 for finding in result.findings if finding.code is Code.DUPLICATE_KEY)
    assert expected > 0
    assert found == expected


def test_generator_without_faults_has_no_cell_errors(design):
    sheet = generate(500, fault_rate=0.0)
    result = validate(sheet.table, design, AS_OF)
    codes = Counter(finding.code.value for finding in result.findings)
    invalid = {code: count for code, count in codes.items() if code.startswith("invalid_")}
    assert invalid == {}
    assert codes["duplicate_key"] == 0


def test_validation_measure_here():
    run = validation.measure_here(200, repeats=2, seed=7, fault_rate=0.02)
    assert run.rows == 200
    assert run.columns == 30
    assert len(run.seconds) == 2
    assert run.findings > 0
    assert run.peak_mb >= run.generate_mb > 0


def test_validation_from_csv_reads_the_same_rows(tmp_path):
    # The .csv path reads back what was generated (as text) and finds the
    # cell faults again; only score_dropped needs the generator's history.
    sheet = generate(300, seed=7, fault_rate=0.05)
    path = write_csv(sheet.table, tmp_path / "sheet.csv")

    run = validation.measure_here(300, repeats=1, seed=7, fault_rate=0.05, csv_path=path)
    generated = validation.measure_here(300, repeats=1, seed=7, fault_rate=0.05)

    assert run.source == "csv"
    assert run.read_seconds is not None
    assert run.rows == 300
    assert run.columns == 30
    assert 0 < run.findings < generated.findings


def test_compare_rows_faults_are_independent_count():
    rows = compare.comparison_rows(1_000, seed=5, fault_rate=0.05)
    frame = pd.DataFrame(rows, columns=compare.HEADERS)
    bad_amounts = ~frame["amount"].str.fullmatch(r"\d+")
    dates = pd.to_datetime(frame["contract_start_date"], format="%Y-%m-%d", errors="coerce")
    expected = int(bad_amounts.sum() + dates.isna().sum())
    ours, _others = compare.run_ours(rows, compare.comparison_design())
    assert expected > 0
    assert ours == expected


def test_compare_tools_agree_on_type_errors():
    pytest.importorskip("pandera")
    pytest.importorskip("frictionless")
    results = compare.compare(400, repeats=1)
    assert [result.tool.split()[0] for result in results] == ["this", "pandera", "frictionless"]
    counts = {result.tool: result.type_errors for result in results}
    assert len(set(counts.values())) == 1, counts
    assert results[0].type_errors > 0


def test_sheets_calls_constant():
    small, larger = sheets_calls.count_calls(20), sheets_calls.count_calls(300)
    for count in (small, larger):
        assert count.first_run <= sheets_calls.MAX_CALLS
        assert count.second_run <= sheets_calls.MAX_CALLS
    assert small.second_run == larger.second_run


def test_job_memory_small_job():
    job = job_memory.measure(200)
    assert job.rows == 200
    assert job.findings > 0
    assert job.base_mb > 0
    assert job.peak_mb >= job.after_read_mb >= job.base_mb


def test_sync_small_run_all_synced():
    run = sync.measure_sync(rows=150, companies=30)
    assert run.statuses == {"synced": 150}
    assert run.failed_rows == 0
    assert run.too_many_requests == 0
    assert run.requests >= run.floor_requests
    assert run.floor_requests == 2 + 1 + 1 + 3  # deals, companies, contacts, 3 association kinds


def test_sync_floor_requests():
    assert sync.floor_requests(10_000, 2_000, 2_000) == 100 + 20 + 20 + 5 + 5 + 1


def test_run_all_prints_one_table(capsys):
    assert run_all(["--sizes", "150", "--sheets-sizes", "30", "--skip-compare", "--skip-sync"]) == 0
    output = capsys.readouterr().out
    assert "| measurement | time | detail | target |" in output
    assert "validate 150 x 30" in output
    assert "Sheets API calls, 30 rows" in output
    assert f"Date: {dt.datetime.now(dt.UTC):%Y-%m-%d}" in output


@pytest.fixture
def design():
    return validation.example_design()
