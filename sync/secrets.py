"""Secrets for the sync and the service: from the environment, else from Google Secret Manager.

``get_secret(name)`` returns the environment variable ``name`` when it is set
and not empty. Otherwise, when ``GOOGLE_CLOUD_PROJECT`` is set (App Engine
sets it), it reads the latest version of the secret ``name`` in that project
through the Secret Manager REST API v1, with an ``AuthorizedSession`` and
Application Default Credentials, so no client library is needed. The
service account needs the role ``roles/secretmanager.secretAccessor`` on the
secret or the project. The bridge reads the secrets ``HUBSPOT_ACCESS_TOKEN``
and ``DATABASE_URL``.

A value read from Secret Manager is cached per process for ``CACHE_SECONDS``
(5 minutes), so a sync run does not fetch its token for every batch. A 429,
a 5xx, a timeout or a connection error is retried, ``MAX_ATTEMPTS`` requests
in all. A secret that is missing, not readable or malformed makes
``get_secret`` return None, with a log line that names the project and the
secret, never its value. Failures are not cached, so the next call sends a
new request.

``BRIDGE_SECRET_MANAGER_URL`` replaces the API's base URL (tests point it at
a local fake).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import google.auth
import google.auth.credentials
import google.auth.exceptions
import requests
from google.auth.transport.requests import AuthorizedSession
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from sync.errors import MissingTokenError

logger = logging.getLogger(__name__)

TOKEN_NAME = "HUBSPOT_ACCESS_TOKEN"
PROJECT_VARIABLE = "GOOGLE_CLOUD_PROJECT"
ENDPOINT_VARIABLE = "BRIDGE_SECRET_MANAGER_URL"
DEFAULT_ENDPOINT = "https://secretmanager.googleapis.com"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
ACCESSOR_ROLE = "roles/secretmanager.secretAccessor"

CACHE_SECONDS = 300.0
REQUEST_TIMEOUT_SECONDS = 10.0
MAX_ATTEMPTS = 3
RETRY_INITIAL_WAIT_SECONDS = 0.5
RETRY_MAX_WAIT_SECONDS = 4.0
RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

# Secret Manager's rule for secret ids: letters, digits, '-' and '_', at most 255.
_SECRET_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")


def get_secret(name: str) -> str | None:
    """Return the secret ``name`` from the environment or Secret Manager, or None."""
    value = os.environ.get(name)
    if value:
        return value
    reader = shared_reader()
    if reader is None:
        return None
    return reader.read(name)


def get_access_token(name: str = TOKEN_NAME) -> str:
    """Return the HubSpot private-app token or raise ``MissingTokenError``."""
    token = get_secret(name)
    if not token:
        raise MissingTokenError(name)
    return token


def default_credentials() -> google.auth.credentials.Credentials:
    """Return Application Default Credentials (on App Engine, its service account's)."""
    credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
    return credentials


_shared_readers: dict[tuple[str, str], SecretManagerReader] = {}
_shared_lock = threading.Lock()


def shared_reader() -> SecretManagerReader | None:
    """Return the process's reader for ``GOOGLE_CLOUD_PROJECT``, or None when it is not set."""
    project = os.environ.get(PROJECT_VARIABLE)
    if not project:
        return None
    endpoint = os.environ.get(ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT
    with _shared_lock:
        reader = _shared_readers.get((project, endpoint))
        if reader is None:
            reader = SecretManagerReader(project, endpoint=endpoint)
            _shared_readers[(project, endpoint)] = reader
    return reader


def clear_cache() -> None:
    """Forget the shared readers and the values they cached."""
    with _shared_lock:
        _shared_readers.clear()


class SecretManagerError(Exception):
    """A Secret Manager response whose status (429 or 5xx) is worth another attempt."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _is_retriable(error: BaseException) -> bool:
    return isinstance(
        error,
        SecretManagerError
        | requests.ConnectionError
        | requests.Timeout
        | google.auth.exceptions.TransportError,
    )


@dataclass
class _CachedValue:
    value: str = field(repr=False)
    expires_at: float


class SecretManagerReader:
    """Reader of the latest versions of one project's secrets, with a per-name cache.

    ``credentials_factory`` is called once, before the first request. Tests
    pass fake credentials, so that nothing contacts the metadata server.
    ``clock`` and ``sleep`` work in seconds, and tests pass a fake clock whose
    sleep returns at once.
    """

    def __init__(
        self,
        project: str,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        credentials_factory: Callable[[], google.auth.credentials.Credentials] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        cache_seconds: float = CACHE_SECONDS,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.project = project
        self.endpoint = endpoint.rstrip("/")
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self.max_attempts = max_attempts
        self._credentials_factory = credentials_factory
        self._clock = clock
        self._sleep = sleep
        self._session: AuthorizedSession | None = None
        self._cache: dict[str, _CachedValue] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretManagerReader(project={self.project!r}, endpoint={self.endpoint!r})"

    @property
    def session(self) -> AuthorizedSession:
        if self._session is None:
            factory = self._credentials_factory or default_credentials
            self._session = AuthorizedSession(factory())
        return self._session

    def read(self, name: str) -> str | None:
        """Return the latest version of secret ``name`` as text, or None when it cannot be read.

        Surrounding whitespace is removed, such as the newline that
        ``echo TOKEN | gcloud secrets versions add NAME --data-file=-`` stores.
        """
        if not _SECRET_NAME.fullmatch(name):
            raise ValueError(f"invalid secret name {name!r}: use letters, digits, '-' and '_'")
        now = self._clock()
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and now < cached.expires_at:
            return cached.value

        value = self._fetch(name)
        if value is not None:
            with self._lock:
                self._cache[name] = _CachedValue(value, now + self.cache_seconds)
        return value

    def _fetch(self, name: str) -> str | None:
        try:
            response = self._get_with_retry(name)
        except RetryError as error:
            last = error.last_attempt
            logger.warning(
                "Secret %s not read from Secret Manager in project %s: "
                "%d attempts failed, the last with %s",
                name,
                self.project,
                last.attempt_number,
                _describe(last.exception()),
            )
            return None
        except google.auth.exceptions.DefaultCredentialsError as error:
            logger.warning(
                "Secret %s not read from Secret Manager in project %s: "
                "no Application Default Credentials (%s)",
                name,
                self.project,
                type(error).__name__,
            )
            return None
        except (google.auth.exceptions.GoogleAuthError, requests.RequestException) as error:
            # Errors that another attempt cannot fix, such as a RefreshError
            # for revoked credentials or an invalid endpoint URL.
            logger.warning(
                "Secret %s not read from Secret Manager in project %s: %s",
                name,
                self.project,
                _describe(error),
            )
            return None
        return self._value_of(name, response)

    def _get_with_retry(self, name: str) -> requests.Response:
        """Return the final response; raise ``RetryError`` when every attempt failed."""
        url = f"{self.endpoint}/v1/projects/{self.project}/secrets/{name}/versions/latest:access"

        def attempt() -> requests.Response:
            response = self.session.get(url, timeout=self.timeout)
            if response.status_code in RETRIABLE_STATUSES:
                raise SecretManagerError(response.status_code)
            return response

        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            logger.warning(
                "Retrying secret %s in project %s after attempt %d of %d failed: %s",
                name,
                self.project,
                state.attempt_number,
                self.max_attempts,
                _describe(error),
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_random_exponential(
                multiplier=RETRY_INITIAL_WAIT_SECONDS, max=RETRY_MAX_WAIT_SECONDS
            ),
            retry=retry_if_exception(_is_retriable),
            sleep=self._sleep,
            before_sleep=log_retry,
        )
        return retrying(attempt)

    def _value_of(self, name: str, response: requests.Response) -> str | None:
        """Decode the payload of a final response, or log why there is none and return None.

        NOTE: the payload's ``dataCrc32c`` is not checked, because no CRC-32C
        implementation is among the bridge's dependencies (``zlib.crc32`` is
        another polynomial).
        """
        status = response.status_code
        if status == 404:
            logger.debug("Secret %s not found in Secret Manager project %s", name, self.project)
            return None
        if status == 403:
            logger.warning(
                "Permission denied reading secret %s in Secret Manager project %s: "
                "grant the service account the role %s on the secret or the project",
                name,
                self.project,
                ACCESSOR_ROLE,
            )
            return None
        if status != 200:
            logger.warning(
                "Secret %s not read from Secret Manager in project %s: HTTP %d %s",
                name,
                self.project,
                status,
                _error_reason(response),
            )
            return None

        data = _payload_data(response)
        if data is None:
            logger.warning(
                "Secret %s in Secret Manager project %s: the response has no payload data",
                name,
                self.project,
            )
            return None
        try:
            raw = base64.b64decode(data, validate=True)
        except (ValueError, binascii.Error):
            # Not logged: the error's text may quote part of the payload.
            logger.warning(
                "Secret %s in Secret Manager project %s: the payload data is not valid base64",
                name,
                self.project,
            )
            return None
        try:
            value = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            logger.warning(
                "Secret %s in Secret Manager project %s is not UTF-8 text",
                name,
                self.project,
            )
            return None
        if not value:
            logger.warning("Secret %s in Secret Manager project %s is empty", name, self.project)
            return None
        logger.info("Read secret %s from Secret Manager project %s", name, self.project)
        return value


def _payload_data(response: requests.Response) -> str | None:
    """Return ``payload.data`` of an access response ('' when the data is empty), or None."""
    try:
        payload = response.json()["payload"]
    except (ValueError, KeyError, TypeError):
        return None
    data = payload.get("data", "") if isinstance(payload, dict) else None
    return data if isinstance(data, str) else None


def _describe(error: BaseException | None) -> str:
    """Return a short description of a request error that quotes no response body."""
    if isinstance(error, SecretManagerError):
        return str(error)
    return type(error).__name__


def _error_reason(response: requests.Response) -> str:
    """Return Google's error status (``PERMISSION_DENIED`` …) of an error response, or ''."""
    try:
        reason = response.json()["error"]["status"]
    except (ValueError, KeyError, TypeError):
        return ""
    return reason if isinstance(reason, str) else ""
