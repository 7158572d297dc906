"""Exceptions of the sync package, all rooted at ``SyncError``.

Classes are grouped by what the caller should do. Each keeps its inputs as
attributes and in ``params``, which fill the translated template of its
``code``. ``str()`` is an English fallback that names the value and the next
step. Response bodies are truncated and the access token is redacted before
any text reaches a message::

    SyncError
    ├── ConfigurationError           fix the setup, then run again
    │   └── MissingTokenError            missing_token
    └── HubSpotError                 HubSpot answered with an error
        ├── HubSpotRetriableError        the same request may work later
        │   └── HubSpotUnavailable           hubspot_unavailable (retries used up)
        ├── HubSpotFatalError            stop the run: retrying cannot help
        │   ├── HubSpotAuthError             hubspot_auth (401/403)
        │   ├── DailyLimitReached            daily_limit (429 with the daily policy)
        │   └── HubSpotRequestError          hubspot_request (other 4xx)
        └── RecordRejected               record_rejected (one record's input is invalid)
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

BODY_LIMIT = 500  # characters of a response body kept in an error

# Scopes a private app needs for everything the bridge does.
REQUIRED_SCOPES = (
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.owners.read",
    "crm.schemas.deals.read",
    "crm.schemas.deals.write",
    "crm.schemas.companies.read",
    "crm.schemas.companies.write",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
)

_SECRET_PATTERNS = (
    re.compile(r"(Bearer\s+)[A-Za-z0-9._\-]+", re.IGNORECASE),
    re.compile(r"(hapikey=)[^&\s\"']+", re.IGNORECASE),
    re.compile(r"(access_token=)[^&\s\"']+", re.IGNORECASE),
    re.compile(r"(pat-[a-z0-9]{2,4}-)[A-Za-z0-9\-]+", re.IGNORECASE),
)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Return ``text`` with the given secrets, bearer tokens and ``hapikey`` values masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED]")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1[REDACTED]", text)
    return text


def truncate(text: str, limit: int = BODY_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


class SyncError(Exception):
    """Root of every error the sync package raises."""

    code: ClassVar[str] = "sync_error"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.params: dict[str, Any] = params


class ConfigurationError(SyncError):
    """The HubSpot connection is not set up."""

    code = "sync_configuration"


class MissingTokenError(ConfigurationError):
    code = "missing_token"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"No HubSpot access token: set the environment variable {name} to the private "
            "app's access token, or store it in Secret Manager under that name.",
            name=name,
        )


class HubSpotError(SyncError):
    """HubSpot returned an error status for a request."""

    code = "hubspot_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        body: str = "",
        **params: Any,
    ) -> None:
        self.status = status
        self.method = method
        self.path = redact(path)
        self.body = truncate(redact(body))
        super().__init__(
            redact(message),
            status=status if status is not None else "",
            method=method,
            path=self.path,
            **params,
        )


class HubSpotRetriableError(HubSpotError):
    """The request may succeed later; a new run continues where this one stopped."""

    code = "hubspot_retriable"


class HubSpotFatalError(HubSpotError):
    """Retrying the same request cannot succeed; the run stops."""

    code = "hubspot_fatal"


class HubSpotUnavailable(HubSpotRetriableError):
    code = "hubspot_unavailable"

    def __init__(
        self, *, attempts: int, status: int | None, method: str, path: str, body: str = ""
    ) -> None:
        self.attempts = attempts
        reason = f"status {status}" if status is not None else "timeout or connection error"
        super().__init__(
            f"HubSpot returned no successful response to {method} {redact(path)} after "
            f"{attempts} attempts (last: {reason}). Try again in a few minutes; a new run continues "
            "where this one stopped.",
            status=status,
            method=method,
            path=path,
            body=body,
            attempts=attempts,
            reason=reason,
        )


class HubSpotAuthError(HubSpotFatalError):
    code = "hubspot_auth"

    def __init__(self, *, status: int, method: str, path: str, body: str = "") -> None:
        scopes = ", ".join(REQUIRED_SCOPES)
        reason = "rejected the access token" if status == 401 else "denied access"
        super().__init__(
            f"HubSpot {reason} ({status}) for {method} {redact(path)}. Check the private app's "
            f"access token and give the app these scopes: {scopes}.",
            status=status,
            method=method,
            path=path,
            body=body,
            scopes=scopes,
        )


class DailyLimitReached(HubSpotFatalError):
    code = "daily_limit"

    def __init__(self, *, method: str, path: str, body: str = "") -> None:
        super().__init__(
            "HubSpot's daily API limit for this portal is used up. The run stopped; "
            "run it again after midnight in the portal's time zone to continue.",
            status=429,
            method=method,
            path=path,
            body=body,
        )


class HubSpotRequestError(HubSpotFatalError):
    code = "hubspot_request"

    def __init__(
        self, *, status: int, method: str, path: str, body: str = "", detail: str = ""
    ) -> None:
        self.detail = truncate(redact(detail))
        super().__init__(
            f"HubSpot rejected {method} {redact(path)} with status {status}: "
            f"{self.detail or 'no detail'}.",
            status=status,
            method=method,
            path=path,
            body=body,
            detail=self.detail,
        )


class RecordRejected(HubSpotError):
    """One record of a batch was rejected; the other records of the batch were written.

    Batch methods return these as data in ``BatchResult.errors``; they are raised
    only by callers that choose fail-fast.
    """

    code = "record_rejected"

    def __init__(
        self,
        *,
        trace_id: str,
        error_code: str,
        detail: str,
        property_name: str | None = None,
        status: int | None = None,
    ) -> None:
        self.trace_id = trace_id
        self.error_code = error_code
        self.detail = truncate(redact(detail))
        self.property_name = property_name
        super().__init__(
            f"HubSpot rejected the record {trace_id!r}"
            + (f" (property {property_name})" if property_name else "")
            + f": {self.detail} [{error_code}]. Correct the value in the sheet and run again.",
            status=status,
            trace_id=trace_id,
            error_code=error_code,
            detail=self.detail,
            property=property_name or "",
        )
