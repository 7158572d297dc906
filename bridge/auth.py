"""Caller identity: Google ID token, email-domain allow-list, the user's OAuth token.

Every ``/api/v1`` request carries

- ``Authorization: Bearer <ID token>``: from ``ScriptApp.getIdentityToken()``,
  verified with google-auth against the configured audience and issuers;
- ``X-Goog-OAuth-Token: <access token>``: the user's OAuth access token
  (scope ``https://www.googleapis.com/auth/spreadsheets``). The service reads
  and writes the sheet as that user. Without it the request runs in
  service-account mode, which may open only the allow-listed spreadsheets.

Tokens are never logged, stored in the job table or put into an error.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import requests
from google.oauth2 import id_token

from bridge.i18n import N_
from bridge.web.problems import ApiProblem
from bridge.web.settings import Settings

logger = logging.getLogger(__name__)

ACCESS_TOKEN_HEADER = "X-Goog-OAuth-Token"
CERTS_TIMEOUT_SECONDS = 10
DEFAULT_CERTS_MAX_AGE = 300
_MAX_AGE = re.compile(r"max-age=(\d+)")


@dataclass(frozen=True)
class Identity:
    """A verified caller."""

    email: str
    domain: str
    subject: str
    # The user's OAuth access token, or None in service-account mode.
    access_token: str | None = field(default=None, repr=False)

    @property
    def service_account_mode(self) -> bool:
        return self.access_token is None


class CachedCertsRequest(google.auth.transport.Request):
    """A google-auth transport that keeps GET responses for their Cache-Control max-age.

    ``id_token.verify_token`` downloads the certificates on every call.
    Google's certificates endpoint sends a ``max-age``, so the cache saves
    one HTTP request per API call while the certificates stay valid.
    """

    def __init__(self, session: requests.Session | None = None) -> None:
        self._inner = google.auth.transport.requests.Request(session or requests.Session())
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        if method != "GET":
            return self._inner(url, method, body, headers, timeout or CERTS_TIMEOUT_SECONDS)
        with self._lock:
            cached = self._cache.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        response = self._inner(url, method, body, headers, timeout or CERTS_TIMEOUT_SECONDS)
        if response.status == 200:
            with self._lock:
                self._cache[url] = (time.monotonic() + _max_age(response.headers), response)
        return response


def _max_age(headers: Any) -> int:
    match = _MAX_AGE.search(headers.get("Cache-Control", "") or "")
    return int(match.group(1)) if match else DEFAULT_CERTS_MAX_AGE


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def verify_identity(
    authorization: str | None,
    access_token: str | None,
    settings: Settings,
    transport: google.auth.transport.Request,
) -> Identity:
    """Verify the ID token and the caller's domain; raise ``ApiProblem`` (401/403/503)."""
    token = bearer_token(authorization)
    if token is None:
        raise ApiProblem("token-missing")
    claims = _verify_token(token, settings, transport)

    email = str(claims.get("email") or "")
    if not email or claims.get("email_verified") is False:
        raise ApiProblem("token-invalid", reason=N_("no verified e-mail address"))
    domain = str(claims.get("hd") or email.rpartition("@")[2]).lower()
    if domain not in settings.allowed_domains:
        logger.warning("rejected user of domain %s", domain)
        raise ApiProblem("domain-not-allowed", email=email)
    return Identity(
        email=email,
        domain=domain,
        subject=str(claims.get("sub", "")),
        access_token=(access_token or "").strip() or None,
    )


def _verify_token(
    token: str, settings: Settings, transport: google.auth.transport.Request
) -> dict[str, Any]:
    try:
        # The audience is always passed: without it verify_token checks no audience.
        claims = id_token.verify_token(
            token, transport, audience=settings.audience, certs_url=settings.certs_url
        )
    except google.auth.exceptions.TransportError:
        logger.error("could not fetch the ID token certificates from %s", settings.certs_url)
        raise ApiProblem("service-unavailable", service=N_("Google sign-in")) from None
    except (ValueError, google.auth.exceptions.GoogleAuthError) as error:
        reason = _rejection_reason(str(error))
        logger.info("rejected ID token: %s", reason)
        if reason == "expired":
            raise ApiProblem("token-expired") from None
        raise ApiProblem("token-invalid", reason=reason) from None
    if claims.get("iss") not in settings.issuers:
        logger.info("rejected ID token: issuer %s", claims.get("iss"))
        raise ApiProblem("token-invalid", reason=N_("not issued by Google"))
    return dict(claims)


def _rejection_reason(message: str) -> str:
    """Return a short reason for a google-auth rejection, without any token text."""
    lowered = message.lower()
    for needle, reason in (
        ("expired", "expired"),
        ("audience", N_("wrong audience")),
        ("signature", N_("invalid signature")),
        ("too early", N_("not yet valid")),
        ("certificate for key id", N_("unknown signing key")),
    ):
        if needle in lowered:
            return reason
    return N_("malformed token")


def check_spreadsheet_access(identity: Identity, spreadsheet_id: str, settings: Settings) -> None:
    """Allow service-account mode only for the allow-listed spreadsheets (403 otherwise)."""
    if identity.service_account_mode and spreadsheet_id not in settings.service_account_sheets:
        logger.warning("service-account mode rejected for spreadsheet %s", spreadsheet_id)
        raise ApiProblem("spreadsheet-not-allowed", spreadsheet_id=spreadsheet_id)
