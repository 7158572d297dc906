"""Credentials for the Sheets API: a user's OAuth access token or a service account.

A user token (passed by the add-on, or BRIDGE_OAUTH_TOKEN for the CLI) reads
and writes as that user, so it reaches only sheets the user can open. A
service account (key file in GOOGLE_APPLICATION_CREDENTIALS, or Application
Default Credentials) may open only the spreadsheet ids listed in
BRIDGE_SERVICE_ACCOUNT_SHEETS. Tokens are never logged or put in messages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

import google.auth
from google.auth.credentials import Credentials
from google.auth.exceptions import DefaultCredentialsError
from google.oauth2 import credentials as user_oauth
from google.oauth2 import service_account

from bridge.errors import GoogleCredentialsMissingError, SpreadsheetNotAllowedError

logger = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
TOKEN_VARIABLE = "BRIDGE_OAUTH_TOKEN"
KEY_FILE_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS"
ALLOW_LIST_VARIABLE = "BRIDGE_SERVICE_ACCOUNT_SHEETS"


@dataclass(frozen=True)
class SheetCredentials:
    """Credentials plus the account that a spreadsheet must be shared with."""

    credentials: Credentials = field(repr=False)
    kind: Literal["user", "service_account"]
    account: str = ""  # e-mail address; "" when a user token does not name its user

    def __repr__(self) -> str:
        return f"SheetCredentials(kind={self.kind!r}, account={self.account!r})"


def user_credentials(token: str, account: str = "") -> SheetCredentials:
    """Wrap a user's OAuth access token, which cannot be refreshed."""
    return SheetCredentials(user_oauth.Credentials(token), "user", account)


def allowed_spreadsheets(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """Return the ids in BRIDGE_SERVICE_ACCOUNT_SHEETS (comma-separated)."""
    text = (environ if environ is not None else os.environ).get(ALLOW_LIST_VARIABLE, "")
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def service_account_credentials(
    spreadsheet_id: str,
    allowed: Collection[str],
    key_file: str | None = None,
) -> SheetCredentials:
    """Load the service account from ``key_file``, else Application Default Credentials.

    Raises SpreadsheetNotAllowedError when ``spreadsheet_id`` is not in
    ``allowed``, and GoogleCredentialsMissingError when no account is found.
    """
    if key_file:
        credentials = service_account.Credentials.from_service_account_file(
            key_file, scopes=list(SCOPES)
        )
    else:
        try:
            credentials, _ = google.auth.default(scopes=list(SCOPES))
        except DefaultCredentialsError:
            raise GoogleCredentialsMissingError(spreadsheet_id) from None
    account = getattr(credentials, "service_account_email", "") or "service account"
    if spreadsheet_id not in allowed:
        raise SpreadsheetNotAllowedError(spreadsheet_id, account)
    logger.info("Using service account %s for spreadsheet %s", account, spreadsheet_id)
    return SheetCredentials(credentials, "service_account", account)


def credentials_from_environment(
    spreadsheet_id: str, environ: Mapping[str, str] | None = None
) -> SheetCredentials:
    """Pick the CLI's credentials: BRIDGE_OAUTH_TOKEN, else a service account.

    The service account is tried only when a key file or the allow-list is
    configured, so that a machine without credentials never contacts
    Google's metadata server.
    """
    environ = environ if environ is not None else os.environ
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if token:
        return user_credentials(token)
    key_file = environ.get(KEY_FILE_VARIABLE, "").strip() or None
    allowed = allowed_spreadsheets(environ)
    if key_file or allowed:
        return service_account_credentials(spreadsheet_id, allowed, key_file)
    raise GoogleCredentialsMissingError(spreadsheet_id)
