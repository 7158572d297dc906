"""Throughput and peak memory of the full validation at each sheet size.

Each size runs in its own Python process, so that the peak resident set
size (``benchmarks.memory.peak_rss_mb``) belongs to that size
alone. The process generates the sheet, runs ``validators.engine.validate``
(normalisation, rules, scoring, findings) ``repeats`` times and reports every
wall time measured with ``time.perf_counter``. The median is the result, and
the spread between the fastest and slowest repeat shows the noise.

With ``--source csv`` the sheet is first written to a .csv file, and the
measuring process reads it through the bridge's own .csv reader, as
``bridge validate sheet.csv`` does, before validating: the peak then
includes the reader, and the read time is reported apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from benchmarks.generate import AS_OF, DEFAULT_FAULT_RATE, generate, parse_size, write_csv
from benchmarks.memory import peak_rss_mb
from bridge.sheets.local_csv import read_csv_table
from validators.design import Design
from validators.design_file import load_design_text
from validators.engine import validate

DESIGN_PATH = Path(__file__).resolve().parent.parent / "examples" / "design.yaml"
TARGET_100K_SECONDS = 2.0
TARGET_1M_PEAK_MB = 2e9 / 2**20  # 2 GB in MiB, the unit of peak_mb: the stricter reading


@cache
def example_design() -> Design:
    return load_design_text(DESIGN_PATH.read_text(encoding="utf-8"), str(DESIGN_PATH))


@dataclass
class ValidationRun:
    """Measurements of one sheet size."""

    rows: int
    columns: int
    repeats: int
    seconds: list[float]  # wall time of each repeat
    cpu_seconds: list[float]  # CPU time of each repeat: less disturbed by other load
    findings: int
    generate_mb: float  # peak RSS in MiB after generating or reading the sheet, before validating
    peak_mb: float  # peak RSS of the whole process, in MiB
    source: str = "generated"  # or "csv": read from a .csv file by the bridge's reader
    read_seconds: float | None = None  # time to read the .csv file into the table

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_seconds)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.median

    @property
    def cells_per_second(self) -> float:
        return self.rows * self.columns / self.median

    @property
    def microseconds_per_row(self) -> float:
        return self.median / self.rows * 1e6

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median: the noise of this measurement."""
        return (max(self.seconds) - min(self.seconds)) / self.median


def measure_here(
    rows: int, repeats: int, seed: int, fault_rate: float, csv_path: Path | None = None
) -> ValidationRun:
    """Generate (or read) and validate in this process (the child side of ``measure``)."""
    design = example_design()
    read_seconds = None
    if csv_path is None:
        sheet = generate(rows, seed=seed, fault_rate=fault_rate)
        table, previous = sheet.table, sheet.previous
    else:
        started = time.perf_counter()
        table = read_csv_table(csv_path, header_row=1, locale="ja", time_zone="Asia/Tokyo")
        read_seconds = time.perf_counter() - started
        previous = None
    generate_mb = peak_rss_mb()
    seconds: list[float] = []
    cpu_seconds: list[float] = []
    findings = 0
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = validate(table, design, AS_OF, previous=previous)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
        findings = len(result.findings)
        del result
    columns = len(table.headers)
    source = "generated" if csv_path is None else "csv"
    return ValidationRun(rows, columns, repeats, seconds, cpu_seconds, findings, generate_mb,
                         peak_rss_mb(), source, read_seconds)  # fmt: skip


def measure(
    rows: int,
    repeats: int,
    *,
    seed: int = 7,
    fault_rate: float = DEFAULT_FAULT_RATE,
    source: str = "generated",
) -> ValidationRun:
    """Measure one size in a fresh Python process."""
    if source == "csv":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "sheet.csv"
            write_csv(generate(rows, seed=seed, fault_rate=fault_rate).table, path)
            return _measure_child(rows, repeats, seed, fault_rate, ["--csv", str(path)])
    return _measure_child(rows, repeats, seed, fault_rate, [])


def _measure_child(
    rows: int, repeats: int, seed: int, fault_rate: float, extra: list[str]
) -> ValidationRun:
    command = [sys.executable, "-m", "benchmarks.validation", "--child", str(rows),
               "--repeats", str(repeats), "--seed", str(seed), "--fault-rate", str(fault_rate),
               *extra]  # fmt: skip
    completed = subprocess.run(
        command, capture_output=True, text=True, check=True, cwd=DESIGN_PATH.parent.parent
    )
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    return ValidationRun(**data)


def default_repeats(rows: int) -> int:
    return 2 if rows >= 1_000_000 else 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure validation throughput and memory.")
    parser.add_argument("--sizes", default="1k,10k,100k", help="comma-separated, e.g. 10k,1m")
    parser.add_argument("--repeats", type=int, help="runs per size (default 5, 2 at 1m)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fault-rate", type=float, default=DEFAULT_FAULT_RATE)
    parser.add_argument("--source", choices=["generated", "csv"], default="generated",
                        help="csv: write the sheet to a .csv file and read it with the bridge's reader")  # fmt: skip
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        run = measure_here(args.child, args.repeats or 1, args.seed, args.fault_rate, args.csv)
        print(json.dumps(asdict(run)))
        return 0

    for size in args.sizes.split(","):
        rows = parse_size(size)
        run = measure(rows, args.repeats or default_repeats(rows), seed=args.seed,
                      fault_rate=args.fault_rate, source=args.source)  # fmt: skip
        read = "" if run.read_seconds is None else f"  read .csv {run.read_seconds:.2f} s"
        print(
            f"{rows:>9} rows  median {run.median:7.3f} s  CPU {run.cpu_median:7.3f} s  spread {run.spread:5.1%}  "
            f"{run.rows_per_second:10.0f} rows/s  {run.cells_per_second:11.0f} cells/s  "
            f"{run.microseconds_per_row:6.1f} µs/row  peak {run.peak_mb:7.0f} MiB  "
            f"findings {run.findings}{read}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
