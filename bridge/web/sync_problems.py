"""Problem codes of the sync endpoints and jobs, and which sync error maps to which.

``bridge.web.sync_api.init_app`` adds these to ``bridge.web.problems.PROBLEMS``.
Details are the sync error's text, already translated by ``bridge.sync_messages``.
"""

from __future__ import annotations

from bridge.i18n import N_
from sync.errors import (
    ConfigurationError,
    DailyLimitReached,
    HubSpotAuthError,
    HubSpotRetriableError,
    SyncError,
)
from sync.preflight import PreflightFailed
from sync.run_errors import RunInProgress, WaveNotFound

SYNC_PROBLEMS: dict[str, tuple[int, str, str]] = {
    "sync-run-in-progress": (
        409,
        N_("Sync already running"),
        N_(
            "This tab already has a sync run in progress (run {run_id}, started {started_at}). "
            "Wait for it to finish, then start the next one."
        ),
    ),
    "sync-conflict": (409, N_("Sync already running"), "{message}"),
    "sync-preflight-failed": (422, N_("HubSpot does not match the design"), "{message}"),
    "sync-invalid": (422, N_("Sync cannot start"), "{message}"),
    "hubspot-daily-limit": (429, N_("HubSpot daily limit reached"), "{message}"),
    "hubspot-unavailable": (503, N_("HubSpot unavailable"), "{message}"),
    "hubspot-not-configured": (503, N_("HubSpot connection not set up"), "{message}"),
}

SYNC_STATUS_TEXT = {
    409: "A sync run of this tab is already in progress",
    429: "HubSpot's daily API limit is used up",
}


def sync_problem(error: SyncError) -> tuple[str, str]:
    """Return the problem code for a sync error, and the error's English text for logs."""
    if isinstance(error, RunInProgress):
        return "sync-conflict", str(error)
    if isinstance(error, PreflightFailed):
        return "sync-preflight-failed", str(error)
    if isinstance(error, WaveNotFound):
        return "sync-invalid", str(error)
    if isinstance(error, DailyLimitReached):
        return "hubspot-daily-limit", str(error)
    if isinstance(error, ConfigurationError | HubSpotAuthError):
        return "hubspot-not-configured", str(error)
    if isinstance(error, HubSpotRetriableError):
        return "hubspot-unavailable", str(error)
    return "hubspot-unavailable", str(error)
