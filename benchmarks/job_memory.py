"""Peak memory of one validation job of the service, to size App Engine instances.

A job reads the sheet from Google Sheets, validates it, and writes the
managed columns and highlights back, as ``POST /v1/validations`` does. The
fake Sheets API runs in this process, filled with a generated sheet. The job
runs in a fresh child process, so the child's peak resident set size counts
only the job and the modules a service worker imports (the worker's base). The difference is what each concurrent job adds to a
worker. ``--as-of`` moves the day the day counts are measured from: a late
day makes most open deals stale and overdue, so nearly every row carries
several findings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.generate import AS_OF, generate, parse_size
from benchmarks.memory import peak_rss_mb
from benchmarks.sheets_calls import SPREADSHEET_ID, TOKEN, _as_read_from_google
from benchmarks.validation import example_design
from tests.fakes.sheets import FakeSheetsServer

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class JobMemory:
    rows: int
    as_of: str
    findings: int
    base_mb: float  # the worker's modules loaded, before the job
    after_read_mb: float  # peak once the sheet is read
    peak_mb: float  # peak of the whole job

    @property
    def added_mb(self) -> float:
        return self.peak_mb - self.base_mb


def run_job(url: str, rows: int, as_of: dt.date) -> JobMemory:
    """Run one job against the fake at ``url`` (the child side of ``measure``)."""
    os.environ["BRIDGE_SHEETS_API_URL"] = url
    import bridge.app  # noqa: F401 - what a service worker loads at start
    from bridge.sheets.google import GoogleSheet
    from bridge.sheets.google_auth import user_credentials
    from bridge.validation import build_writeback
    from validators.engine import validate

    design = example_design()
    base = peak_rss_mb()

    adapter = GoogleSheet(SPREADSHEET_ID, credentials=user_credentials(TOKEN))
    table = adapter.read(design)
    after_read = peak_rss_mb()

    result = validate(table, design, as_of)
    adapter.write(table, build_writeback(result, "ja"))
    return JobMemory(rows, as_of.isoformat(), len(result.findings), base, after_read,
                     peak_rss_mb())  # fmt: skip


def measure(rows: int, as_of: dt.date = AS_OF, *, seed: int = 7) -> JobMemory:
    """Serve a generated sheet of ``rows`` rows and measure one job in a child process."""
    sheet = generate(rows, seed=seed)
    design = example_design()
    grid = [sheet.table.headers] + [
        list(map(_as_read_from_google, row)) for row in sheet.table.rows
    ]
    server = FakeSheetsServer().start()
    try:
        spreadsheet = server.api.add_spreadsheet(SPREADSHEET_ID, TOKEN)
        spreadsheet.add_sheet(design.sheet.tab or sheet.table.title, grid)
        del grid, sheet
        command = [sys.executable, "-m", "benchmarks.job_memory", "--child", server.url,
                   "--sizes", str(rows), "--as-of", as_of.isoformat()]  # fmt: skip
        completed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    finally:
        server.stop()
    if server.api.violations:
        raise RuntimeError(
            f"requests outside the Sheets discovery document: {server.api.violations}"
        )
    return JobMemory(**json.loads(completed.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the peak memory of one validation job.")
    parser.add_argument("--sizes", default="10k,50k", help="comma-separated row counts")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF,
                        help=f"day the day counts are measured from (default {AS_OF})")  # fmt: skip
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        job = run_job(args.child, parse_size(args.sizes), args.as_of)
        print(json.dumps(asdict(job)))
        return 0

    for size in args.sizes.split(","):
        job = measure(parse_size(size), args.as_of)
        print(f"{job.rows:>8} rows  as of {job.as_of}  {job.findings:>8} findings  "
              f"worker base {job.base_mb:.0f} MiB  after read {job.after_read_mb:.0f} MiB  "
              f"peak {job.peak_mb:.0f} MiB  job adds {job.added_mb:.0f} MiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
