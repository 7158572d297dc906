"""Migration throughput: 10k rows through the staged runner into the fake HubSpot.

The fake HubSpot (``tests.fakes.hubspot``) enforces its rolling limit of 100
requests per 10 s on a ``FakeClock`` that the client's rate limiter and
retries share. The simulated seconds are therefore what the limit would cost
against the real service. The real seconds add the bridge's and the fake's
own work (validation excluded). The sheet is the sync tests' deal sheet:
every row a deal, companies and their contacts shared by several deals.

The floor is what the limit allows at best: the fewest requests that can
carry the records (100 inputs per object batch, 2,000 per association
batch) at 10 requests per second.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sync.db import engine_from_env
from sync.hubspot import HubSpotClient, RateLimiter, RetryPolicy
from sync.ledger import Ledger
from sync.plan import build_plan
from sync.runner import RunOptions, run_sync
from tests.fakes.hubspot import MAX_ASSOCIATION_BATCH, MAX_BATCH, TOKEN, FakeClock, FakeHubSpot
from tests.sync_runs.helpers import SHEET_ID, deal_frame, validate_frame

REQUESTS_PER_SECOND = 10.0  # 100 requests per rolling 10 s


@dataclass
class SyncRun:
    rows: int
    companies: int
    contacts: int
    requests: int  # every request the fake received, 429s included
    too_many_requests: int  # 429 responses
    simulated_seconds: float
    real_seconds: float
    floor_requests: int
    failed_rows: int  # rows the ledger records as not synced
    statuses: dict[str, int]

    @property
    def floor_seconds(self) -> float:
        return self.floor_requests / REQUESTS_PER_SECOND

    @property
    def over_floor(self) -> float:
        """Simulated time over the floor, as a fraction (0.1 = 10% slower)."""
        return self.simulated_seconds / self.floor_seconds - 1


def floor_requests(deals: int, companies: int, contacts: int) -> int:
    """Return the fewest requests that carry the records and their associations."""
    objects = sum(math.ceil(count / MAX_BATCH) for count in (deals, companies, contacts))
    # deal-company, deal-contact and contact-company associations
    associations = 2 * math.ceil(deals / MAX_ASSOCIATION_BATCH)
    associations += math.ceil(contacts / MAX_ASSOCIATION_BATCH)
    return objects + associations


def measure_sync(rows: int = 10_000, companies: int = 2_000) -> SyncRun:
    frame = deal_frame(rows, companies=companies)
    result = validate_frame(frame)
    clock = FakeClock()
    fake = FakeHubSpot(clock=clock).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            engine = engine_from_env(f"sqlite:///{Path(folder) / 'ledger.db'}")
            ledger = Ledger(engine)
            plan = build_plan(result, ledger.row_states(SHEET_ID), sheet_id=SHEET_ID)
            policy = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=10.0, jitter=0.0)
            limiter = RateLimiter(clock=clock, sleep=clock.sleep)
            client = HubSpotClient(TOKEN, base_url=fake.url, retry=policy, sleep=clock.sleep,
                                   limiter=limiter)  # fmt: skip
            simulated_start = clock()
            started = time.perf_counter()
            report = run_sync(result, plan, ledger, client, RunOptions())
            real_seconds = time.perf_counter() - started
            simulated_seconds = clock() - simulated_start
            engine.dispose()
    finally:
        fake.stop()

    statuses = Counter(report.statuses.values())
    answered = fake.calls()
    return SyncRun(
        rows=rows,
        companies=companies,
        contacts=companies,
        requests=len(answered),
        too_many_requests=sum(1 for call in answered if call.status == 429),
        simulated_seconds=simulated_seconds,
        real_seconds=real_seconds,
        floor_requests=floor_requests(rows, companies, companies),
        failed_rows=sum(count for status, count in statuses.items() if status != "synced"),
        statuses=dict(statuses),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure a 10k-row migration to the fake HubSpot.")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=2_000)
    args = parser.parse_args(argv)
    run = measure_sync(args.rows, args.companies)
    print(f"{run.rows} deals, {run.companies} companies, {run.contacts} contacts: "
          f"{run.requests} requests ({run.too_many_requests} x 429), "
          f"simulated {run.simulated_seconds:.1f} s, floor {run.floor_seconds:.1f} s "
          f"({run.floor_requests} requests), over floor {run.over_floor:+.0%}, "
          f"real {run.real_seconds:.1f} s, rows not synced {run.failed_rows} {run.statuses}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
