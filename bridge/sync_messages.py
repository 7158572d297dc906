"""Translated texts of the sync runner's errors."""

from __future__ import annotations

from bridge.i18n import N_, gettext
from sync.errors import SyncError

RUN_ERROR_TEMPLATES = {
    "run_in_progress": N_(
        "Error: sheet {sheet_id} already has an active sync run (run {run_id}, started "
        "{started_at} by {user}). Wait for it to finish; if its process died, run again "
        "with --resume."
    ),
    "wave_not_found": N_(
        "Error: the design has no wave named {wave}. Waves in the design: {available}."
    ),
}


def run_error_message(error: SyncError, lang: str) -> str:
    """Return a sync error's text in ``lang``."""
    template = RUN_ERROR_TEMPLATES.get(error.code)
    if template is None:
        # TODO: render HubSpot errors (daily limit, token rejected) through the
        # HubSpot error catalog; until then their English text is shown.
        return str(error)
    return gettext(lang, template, **error.params)
