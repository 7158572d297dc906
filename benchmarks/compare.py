"""The same rule set in this project, pandera and frictionless, on the same data.

The rules are the ones all three tools express identically: a required,
unique deal id; a required deal name; an integer amount; an ISO 8601 date;
an enumeration of exact labels. The data is cut down to match, so that a
value one tool reads and another rejects cannot skew the comparison: amounts
are plain digits, dates are YYYY-MM-DD, options are written as their labels,
and the faults are values that no tool accepts ("abc", "2024-02-30", "展示会").

All three run in one process on the same rows, several times each, and the
median wall time counts. The type errors (amount and date) each tool reports
must be the same number, else the run says so; other counts are shown for
reference because the tools count duplicates differently (this project and
pandera flag every row of a duplicated id, frictionless all but the first).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.generate import AS_OF
from validators.design import Design
from validators.design_file import load_design_data
from validators.engine import validate
from validators.findings import Code
from validators.table import SheetTable

HEADERS = ["deal_id", "dealname", "amount", "contract_start_date", "channel"]
CHANNELS = ["直販", "パートナー経由", "インバウンド"]
AMOUNT_FAULTS = ["abc", "未定額", "12x"]
DATE_FAULTS = ["2024-13-45", "2024-02-30", "来週"]
CHANNEL_FAULTS = ["展示会", "Referral"]
TYPE_CODES = (Code.INVALID_NUMBER, Code.INVALID_DATE)


def comparison_design() -> Design:
    """Return a design holding only the five compared properties."""
    channel_options = [
        {"value": f"c{number}", "label": label} for number, label in enumerate(CHANNELS)
    ]
    data = {
        "version": 1,
        "properties": [
            {"name": "deal_id", "label": "deal_id", "required": True, "unique": True},
            {"name": "dealname", "label": "dealname", "required": True},
            {"name": "amount", "label": "amount", "type": "number"},
            {"name": "contract_start_date", "label": "contract_start_date", "type": "date"},
            {"name": "channel", "label": "channel", "type": "enum", "options": channel_options},
            {"name": "dealstage", "label": "dealstage"},
        ],
        "pipelines": [{"id": "p", "label": "p", "stages": [{"id": "s", "label": "s"}]}],
        "sheet": {"stage_column": "dealstage", "key_column": "deal_id"},
    }
    return load_design_data(data, "benchmarks/compare.py")


def comparison_rows(rows: int, *, seed: int = 7, fault_rate: float = 0.02) -> list[list[Any]]:
    """Return rows of text cells ("" for blank) with faults that every tool rejects."""
    rng = np.random.default_rng(seed)
    ids = [f"D-{number:07d}" for number in range(rows)]
    for target in np.flatnonzero(rng.random(rows) < fault_rate / 2).tolist():
        if target:
            ids[target] = ids[int(rng.integers(0, target))]
    names = [f"案件 {number}" for number in range(rows)]
    for target in np.flatnonzero(rng.random(rows) < fault_rate / 2).tolist():
        names[target] = ""
    amounts = [str(value) for value in rng.integers(0, 50_000_000, rows).tolist()]
    _inject(amounts, AMOUNT_FAULTS, rng, fault_rate)
    days = (np.datetime64("2023-01-01") + rng.integers(0, 900, rows)).astype(str).tolist()
    _inject(days, DATE_FAULTS, rng, fault_rate)
    channels = np.array(CHANNELS, dtype=object)[rng.integers(0, len(CHANNELS), rows)].tolist()
    _inject(channels, CHANNEL_FAULTS, rng, fault_rate)
    return [list(row) for row in zip(ids, names, amounts, days, channels, strict=True)]


def _inject(cells: list[Any], faults: list[str], rng: np.random.Generator, rate: float) -> None:
    for target in np.flatnonzero(rng.random(len(cells)) < rate).tolist():
        cells[target] = faults[int(rng.integers(0, len(faults)))]


@dataclass
class ToolResult:
    tool: str
    seconds: list[float]
    type_errors: int
    other_errors: dict[str, int]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run_ours(rows: list[list[Any]], design: Design) -> tuple[int, dict[str, int]]:
    table = SheetTable.from_rows("compare", HEADERS, rows)
    result = validate(table, design, AS_OF)
    codes: dict[str, int] = {}
    for finding in result.findings:
        codes[finding.code.value] = codes.get(finding.code.value, 0) + 1
    type_errors = sum(codes.pop(code.value, 0) for code in TYPE_CODES)
    codes.pop(Code.MISSING_COLUMN.value, None)  # the absent stage column
    return type_errors, codes


def pandera_schema() -> Any:
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            "deal_id": pa.Column(str, nullable=False, unique=True),
            "dealname": pa.Column(str, nullable=False),
            "amount": pa.Column("Int64", coerce=True, nullable=True),
            "contract_start_date": pa.Column(
                "datetime64[ns]",
                checks=None,
                coerce=True,
                nullable=True,
            ),
            "channel": pa.Column(str, pa.Check.isin(CHANNELS), nullable=True),
        }
    )


def run_pandera(rows: list[list[Any]], schema: Any) -> tuple[int, dict[str, int]]:
    import pandas as pd
    import pandera.errors

    frame = pd.DataFrame(rows, columns=HEADERS, dtype=object).replace("", None)
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return 0, {}
    coerce = cases["check"].astype(str).str.startswith("coerce_dtype")
    type_errors = int((coerce & cases["index"].notna()).sum())
    others = cases[~coerce].groupby("check").size().to_dict()
    return type_errors, {str(check): int(count) for check, count in others.items()}


def frictionless_schema() -> Any:
    from frictionless import Schema, fields

    return Schema(
        fields=[
            fields.StringField(name="deal_id", constraints={"required": True, "unique": True}),
            fields.StringField(name="dealname", constraints={"required": True}),
            fields.IntegerField(name="amount"),
            fields.DateField(name="contract_start_date"),
            fields.StringField(name="channel", constraints={"enum": CHANNELS}),
        ]
    )


def run_frictionless(rows: list[list[Any]], schema: Any) -> tuple[int, dict[str, int]]:
    from frictionless import Resource

    resource = Resource(data=[list(HEADERS), *rows], schema=schema)
    report = resource.validate(limit_errors=10 * len(rows) + 10)
    counts: dict[str, int] = {}
    for (error_type,) in report.flatten(["type"]):
        counts[error_type] = counts.get(error_type, 0) + 1
    return counts.pop("type-error", 0), counts


def _timed(
    function: Callable[[], tuple[int, dict[str, int]]], repeats: int, tool: str
) -> ToolResult:
    seconds = []
    outcome: tuple[int, dict[str, int]] = (0, {})
    for _ in range(repeats):
        started = time.perf_counter()
        outcome = function()
        seconds.append(time.perf_counter() - started)
    return ToolResult(tool, seconds, outcome[0], outcome[1])


def compare(rows: int, *, repeats: int = 3, seed: int = 7) -> list[ToolResult]:
    """Run the three tools on the same rows; this project's result comes first."""
    data = comparison_rows(rows, seed=seed)
    design, pandera, friction = comparison_design(), pandera_schema(), frictionless_schema()
    return [
        _timed(lambda: run_ours(data, design), repeats, "this project"),
        _timed(lambda: run_pandera(data, pandera), repeats, "pandera 0.35.0"),
        _timed(lambda: run_frictionless(data, friction), repeats, "frictionless 5.21.0"),
    ]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.generate import parse_size

    parser = argparse.ArgumentParser(
        description="Compare validation time with pandera and frictionless."
    )
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated row counts")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    logging.getLogger("frictionless").setLevel(logging.ERROR)
    for size in args.sizes.split(","):
        rows = parse_size(size)
        results = compare(rows, repeats=args.repeats)
        ours = results[0]
        for result in results:
            ratio = result.median / ours.median
            print(f"{rows:>8} rows  {result.tool:<20} median {result.median:8.3f} s  "
                  f"x{ratio:6.1f}  type errors {result.type_errors}  other {result.other_errors}")  # fmt: skip
        if len({result.type_errors for result in results}) != 1:
            print("  MISMATCH: the tools report different numbers of type errors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
