"""Sheets, validation and runs for the sync tests, built from plain pandas frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from sync.hubspot import HubSpotClient, RateLimiter, RetryPolicy
from sync.ledger import Ledger
from sync.plan import SyncPlan, build_plan
from sync.runner import RunOptions, RunReport, run_sync
from tests.fakes.hubspot import TOKEN, FakeClock, FakeHubSpot
from validators.design import Design
from validators.design_file import load_design_text
from validators.engine import ValidationResult, validate
from validators.table import SheetTable

DESIGN_PATH = Path(__file__).with_name("design.yaml")
AS_OF = dt.date(2024, 1, 15)
SHEET_ID = "sheet-test"
HEADERS = ["案件ID", "案件名", "パイプライン", "ステージ", "担当者", "金額", "更新予定日",
           "会社名", "ドメイン", "メール", "先方担当者"]  # fmt: skip
OWNERS = ["佐藤", "鈴木", "高橋"]
STAGES = ["商談設定", "受注", "失注"]


def load_test_design() -> Design:
    return load_design_text(DESIGN_PATH.read_text("utf-8"), str(DESIGN_PATH))


def deal_frame(count: int, companies: int | None = None) -> pd.DataFrame:
    """Return ``count`` clean deal rows as a user types them; ``companies`` rows share a company."""
    companies = companies or count
    rows = []
    for n in range(count):
        company = n % companies
        rows.append({
            "案件ID": f"D{n:05d}",
            "案件名": f"案件 {n}",
            "パイプライン": "営業",
            "ステージ": STAGES[n % 3],
            "担当者": OWNERS[n % 3],
            "金額": str(100_000 * (n + 1)),
            "更新予定日": f"2024/{(n % 12) + 1}/{(n % 28) + 1}",
            "会社名": f"株式会社テスト{company}",
            "ドメイン": f"company{company}.example.jp",
            "メール": f"contact{company}@company{company}.example.jp",
            "先方担当者": f"担当{company}",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=HEADERS, dtype=object)


def table_of(frame: pd.DataFrame) -> SheetTable:
    rows = [
        [None if pd.isna(value) else value for value in row]
        for row in frame.itertuples(index=False)
    ]
    return SheetTable.from_rows("案件一覧", list(frame.columns), rows)


def validate_frame(frame: pd.DataFrame, design: Design | None = None) -> ValidationResult:
    return validate(table_of(frame), design or load_test_design(), AS_OF)


def plan_for(
    frame: pd.DataFrame, ledger: Ledger, wave: str | None = None
) -> tuple[ValidationResult, SyncPlan]:
    result = validate_frame(frame)
    return result, build_plan(result, ledger.row_states(SHEET_ID), sheet_id=SHEET_ID, wave=wave)


def make_client(fake: FakeHubSpot) -> HubSpotClient:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, jitter=0.0)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    return HubSpotClient(TOKEN, base_url=fake.url, retry=policy, sleep=clock.sleep, limiter=limiter)


def sync_frame(
    frame: pd.DataFrame, ledger: Ledger, fake: FakeHubSpot, **options
) -> tuple[SyncPlan, RunReport]:
    progress = options.pop("progress", None)
    result, plan = plan_for(frame, ledger, options.get("wave"))
    report = run_sync(
        result, plan, ledger, make_client(fake), RunOptions(**options), progress=progress
    )
    return plan, report
