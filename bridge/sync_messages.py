"""Translated texts of every error a sync meets: runner, ledger, pre-flight and HubSpot.

``sync_error_lines`` is the one function the CLI and the HTTP API call. The
HubSpot templates (token, daily limit, unavailable, rejected request) live in
``bridge.hubspot_messages`` beside the pre-flight problems; the runner's own
errors are here. Importing this module also registers the text of
``RowKeysNotStored`` in ``bridge.error_messages``.
"""

from __future__ import annotations

from bridge.error_messages import ERROR_TEMPLATES
from bridge.hubspot_messages import SYNC_ERROR_TEMPLATES, preflight_message
from bridge.i18n import N_, gettext
from sync.errors import SyncError
from sync.preflight import PreflightFailed

RUN_ERROR_TEMPLATES = {
    "run_in_progress": N_(
        "Error: sheet {sheet_id} already has an active sync run (run {run_id}, started "
        "{started_at} by {user}). Wait for it to finish; if its process died, run again "
        "with --resume."
    ),
    "wave_not_found": N_(
        "Error: the design has no wave named {wave}. Waves in the design: {available}."
    ),
    "preflight_failed": N_(
        "Error: HubSpot does not match the design ({count} problems), so nothing was sent. "
        "Fix these problems, then run again:"
    ),
}

ERROR_TEMPLATES["row_keys_not_stored"] = N_(
    "Error: {path} has no row keys, but its rows were synced before with keys stored in "
    "{result_path}. Syncing {path} again would create every deal a second time. Run the "
    "sync on {result_path} and keep editing that file, or add a key column to the design."
)


def run_error_message(error: SyncError, lang: str) -> str:
    """Return the first line of a sync error's text in ``lang``."""
    return sync_error_lines(error, lang)[0]


def sync_error_lines(error: SyncError, lang: str) -> list[str]:
    """Return a sync error's text in ``lang``: one line, or a heading and one line per problem.

    Codes without a template fall back to the error's English text, which
    names the value and the next step.
    """
    template = RUN_ERROR_TEMPLATES.get(error.code) or SYNC_ERROR_TEMPLATES.get(error.code)
    if template is None:
        return [str(error)]
    lines = [gettext(lang, template, **error.params)]
    if isinstance(error, PreflightFailed):
        lines.extend("  " + preflight_message(problem, lang) for problem in error.problems)
    return lines
