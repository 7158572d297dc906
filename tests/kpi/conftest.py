"""Shared helpers of the KPI tests: the real data sets and a validation run over them."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from bridge.kpi_service import load_lookups
from bridge.sheets.local import read_local
from bridge.validation import load_design
from validators.engine import ValidationResult, validate

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / ".." / "shared" / "datasets"
TELCO_CSV = DATASETS / "telco-churn" / "telco_customer_churn.csv"
MAVEN_DIR = DATASETS / "maven-crm"
TELCO_DESIGN = ROOT / "examples" / "telco-churn" / "design.yaml"
MAVEN_DESIGN = ROOT / "examples" / "maven-crm" / "design.yaml"
AS_OF = dt.date(2018, 1, 1)


def wilson(successes: int, total: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Return the 95% Wilson interval, written out from the textbook formula."""
    p = successes / total
    denominator = 1 + z * z / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return (centre - spread) / denominator, (centre + spread) / denominator


def run_validation(csv: Path, design_path: Path) -> tuple[ValidationResult, dict]:
    if not csv.exists():
        pytest.skip(f"data set not present: {csv}")
    design, _ = load_design(design_path)
    table = read_local(csv, header_row=1, locale="en", time_zone=design.sheet.time_zone)
    result = validate(table, design, AS_OF)
    return result, load_lookups(design, design_path, csv)


@pytest.fixture(scope="session")
def telco_run() -> tuple[ValidationResult, dict]:
    return run_validation(TELCO_CSV, TELCO_DESIGN)


@pytest.fixture(scope="session")
def maven_run() -> tuple[ValidationResult, dict]:
    return run_validation(MAVEN_DIR / "sales_pipeline.csv", MAVEN_DESIGN)
