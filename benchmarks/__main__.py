"""Run every benchmark and print one Markdown table: ``python -m benchmarks``.

Sizes are row counts of generated 30-column sheets (1k, 10k, 100k, 1m).
Each result line names its target and whether this run met it. Timings
on a shared machine are noisy, so the validation rows also give CPU time
and the spread between the fastest and slowest repeat.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import sys

from benchmarks import compare, sheets_calls, sync, validation
from benchmarks.generate import parse_size


def machine_description() -> str:
    """Return cores, CPU model and memory of this machine, read from /proc on Linux."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next(
                line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    memory = "unknown memory"
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kilobytes = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
        memory = f"{kilobytes / 1024**2:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores, {model}, {memory}, Python {platform.python_version()}"


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def validation_rows(sizes: list[int], csv_sizes: list[int] = ()) -> list[list[str]]:
    rows = []
    runs = {}
    for size in sizes:
        run = validation.measure(size, validation.default_repeats(size))
        runs[size] = run
        rows.append(_validation_row(run))
    for size in csv_sizes:
        run = validation.measure(size, validation.default_repeats(size), source="csv")
        rows.append(_validation_row(run))
    if 10_000 in runs and len(runs) > 1:
        largest = max(runs)
        growth = runs[largest].microseconds_per_row / runs[10_000].microseconds_per_row
        rows.append([f"time per row, {largest:,} vs 10,000", f"x{growth:.2f}", "", "flat"])
    return rows


def _validation_row(run: validation.ValidationRun) -> list[str]:
    target = ""
    if run.rows == 100_000 and run.source == "generated":
        target = f"< 2 s: {_verdict(run.median < validation.TARGET_100K_SECONDS)}"
    if run.rows == 1_000_000:
        target = f"peak < 2 GB: {_verdict(run.peak_mb < validation.TARGET_1M_PEAK_MB)}"
    if run.source == "csv":
        title = f"read .csv and validate {run.rows:,} x {run.columns}"
        before = f"reading the .csv file: {run.read_seconds:.1f} s, {run.generate_mb:,.0f} MiB"
    else:
        title = f"validate {run.rows:,} x {run.columns}"
        before = f"generating the sheet: {run.generate_mb:,.0f} MiB"
    return [
        title,
        f"{run.median:.3f} s wall (CPU {run.cpu_median:.3f} s, spread {run.spread:.0%}, "
        f"{run.repeats} runs)",
        f"{run.rows_per_second:,.0f} rows/s, {run.cells_per_second:,.0f} cells/s, "
        f"{run.microseconds_per_row:.1f} µs/row, peak {run.peak_mb:,.0f} MiB ({before}), "
        f"{run.findings:,} findings",
        target,
    ]


def compare_rows(size: int) -> list[list[str]]:
    logging.getLogger("frictionless").setLevel(logging.ERROR)
    results = compare.compare(size, repeats=3)
    ours = results[0]
    agree = len({result.type_errors for result in results}) == 1
    rows = []
    for result in results:
        ratio = result.median / ours.median
        target = ""
        if "frictionless" in result.tool:
            target = f"ours >= 10x faster: {_verdict(ratio >= 10)}"
        elif "pandera" in result.tool:
            target = f"ours faster: {_verdict(ratio > 1)}"
        rows.append([
            f"compare {size:,} rows: {result.tool}",
            f"{result.median:.3f} s",
            f"x{ratio:.1f} of ours, {result.type_errors} type errors"
            + ("" if agree else " (tools DISAGREE)"),
            target,
        ])  # fmt: skip
    return rows


def sheets_rows(sizes: list[int]) -> list[list[str]]:
    rows = []
    for size in sizes:
        count = sheets_calls.count_calls(size)
        met = max(count.first_run, count.second_run) <= sheets_calls.MAX_CALLS
        rows.append([
            f"Sheets API calls, {size:,} rows",
            f"{count.first_run} / {count.second_run}",
            "first run / second run",
            f"<= 4, constant: {_verdict(met)}",
        ])  # fmt: skip
    return rows


def sync_rows() -> list[list[str]]:
    run = sync.measure_sync()
    met = run.over_floor <= 0.10 and run.failed_rows == 0
    return [[
        f"sync {run.rows:,} deals ({run.companies:,} companies, {run.contacts:,} contacts)",
        f"{run.simulated_seconds:.1f} s simulated, {run.real_seconds:.1f} s real",
        f"{run.requests} requests, {run.too_many_requests} x 429, floor "
        f"{run.floor_seconds:.1f} s ({run.floor_requests} requests), "
        f"{run.over_floor:+.0%} over floor, {run.failed_rows} rows not synced",
        f"within 10% of floor, no failed rows: {_verdict(met)}",
    ]]  # fmt: skip


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| measurement | time | detail | target |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", default="1k,10k,100k",
                        help="validation sizes, comma-separated: 1k, 10k, 100k, 1m")  # fmt: skip
    parser.add_argument("--csv-sizes", default="",
                        help="sizes also read from a .csv file by the bridge's reader, e.g. 1m")  # fmt: skip
    parser.add_argument("--compare-size", default="10k", help="rows for the tool comparison")
    parser.add_argument(
        "--sheets-sizes", default="1k,10k,100k", help="sizes for the Sheets call count"
    )
    parser.add_argument("--skip-compare", action="store_true", help="skip pandera and frictionless")
    parser.add_argument("--skip-sync", action="store_true", help="skip the HubSpot migration")
    args = parser.parse_args(argv)

    sizes = [parse_size(size) for size in args.sizes.split(",")]
    csv_sizes = [parse_size(size) for size in args.csv_sizes.split(",") if size]
    rows = validation_rows(sizes, csv_sizes)
    if not args.skip_compare:
        rows += compare_rows(parse_size(args.compare_size))
    rows += sheets_rows([parse_size(size) for size in args.sheets_sizes.split(",")])
    if not args.skip_sync:
        rows += sync_rows()

    command = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
    print(f"Machine: {machine_description()}")
    print(f"Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"Command: {command}\n")
    print(markdown_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
