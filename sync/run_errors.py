"""Errors of the run ledger and the staged runner, under the sync package's ``SyncError`` root."""

from __future__ import annotations

import datetime as dt

from sync.errors import SyncError


class RunInProgress(SyncError):
    """Another run of the same sheet is active: wait for it, or resume it if it died."""

    code = "run_in_progress"

    def __init__(
        self, sheet_id: str, run_id: int | None, user: str | None, started_at: dt.datetime | None
    ) -> None:
        self.sheet_id = sheet_id
        self.run_id = run_id
        self.user = user
        self.started_at = started_at
        started = format_started(started_at)
        super().__init__(
            f"Sheet {sheet_id} already has an active sync run (run {run_id}, started "
            f"{started} by {user or 'unknown user'}). Wait for it to finish; if its process "
            "died, run again with --resume.",
            sheet_id=sheet_id,
            run_id=run_id if run_id is not None else "",
            user=user or "",
            started_at=started,
        )


class WaveNotFound(SyncError):
    """``--wave`` names no wave of the design."""

    code = "wave_not_found"

    def __init__(self, wave: str, available: list[str]) -> None:
        self.wave = wave
        self.available = available
        listed = ", ".join(available) or "(none)"
        super().__init__(
            f"The design has no wave named {wave!r}. Waves in the design: {listed}.",
            wave=wave,
            available=listed,
        )


def format_started(started_at: dt.datetime | None) -> str:
    """Return a run's start time for messages, e.g. "2026-12-04 21:03 UTC"."""
    if started_at is None:
        return "unknown"
    if started_at.tzinfo is not None:
        started_at = started_at.astimezone(dt.UTC)
    return started_at.strftime("%Y-%m-%d %H:%M UTC")
