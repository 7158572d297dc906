"""Translated texts of the Google Sheets access errors.

They are added to ``bridge.error_messages.ERROR_TEMPLATES`` on import, so the
CLI and the HTTP API show them like every other ``BridgeError``.
"""

from __future__ import annotations

from bridge.error_messages import ERROR_TEMPLATES
from bridge.i18n import N_

GOOGLE_ERROR_TEMPLATES: dict[str, str] = {
    "google_credentials_missing": N_(
        "Error: no Google credentials to open spreadsheet {spreadsheet_id}. Set "
        "BRIDGE_OAUTH_TOKEN to an OAuth access token, or GOOGLE_APPLICATION_CREDENTIALS to a "
        "service account key file and list the spreadsheet in BRIDGE_SERVICE_ACCOUNT_SHEETS."
    ),
    "spreadsheet_not_allowed": N_(
        "Error: the service account {account} may not open spreadsheet {spreadsheet_id}. Add "
        "the id to BRIDGE_SERVICE_ACCOUNT_SHEETS to allow it."
    ),
    "sheet_permission_denied": N_(
        "Error: Google denied access to spreadsheet {spreadsheet_id} for {account}. Share the "
        "spreadsheet with {account} as an editor, then run again."
    ),
    "sheet_permission_denied_user": N_(
        "Error: Google denied access to spreadsheet {spreadsheet_id} for your Google account. "
        "Ask the spreadsheet's owner to share it with you as an editor."
    ),
    "sheet_auth_failed": N_(
        "Error: Google rejected the credentials for spreadsheet {spreadsheet_id} because the "
        "access token is invalid or expired. Open the sheet again or get a new token, then "
        "run again."
    ),
    "spreadsheet_not_found": N_(
        "Error: spreadsheet {spreadsheet_id} or its tab {sheet} was not found. Check the URL, "
        "the id and the tab name."
    ),
    "spreadsheet_not_found_no_tab": N_(
        "Error: spreadsheet {spreadsheet_id} was not found. Check the URL and the id, and that "
        "the spreadsheet is shared with you."
    ),
    "sheets_unavailable": N_(
        "Error: Google Sheets did not respond for spreadsheet {spreadsheet_id} after {attempts} "
        "attempts (last status: {status}). Wait a few minutes and run again."
    ),
    "sheets_request_failed": N_(
        "Error: Google Sheets rejected a request for spreadsheet {spreadsheet_id} (status "
        "{status}): {reason}. Report this to the bridge's maintainers."
    ),
    "spreadsheet_cell_limit": N_(
        "Error: spreadsheet {spreadsheet_id} has {cells} cells, and the bridge's result "
        "columns and tabs would take it to {needed}, above Google Sheets' limit of {limit} "
        "cells. Nothing was written. Delete empty rows, columns or tabs, or move closed deals "
        "to another spreadsheet, then run again."
    ),
}

ERROR_TEMPLATES.update(GOOGLE_ERROR_TEMPLATES)
