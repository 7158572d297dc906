"""gspread's HTTP client with a configurable API base URL and bounded retries.

gspread builds every URL from the constants in ``gspread.urls``, which name
https://sheets.googleapis.com. ``BridgeHTTPClient`` rewrites that prefix to
``BRIDGE_SHEETS_API_URL`` (for tests: a fake API on 127.0.0.1) instead of
patching gspread, and sends JSON bodies compactly as UTF-8.
"""

from __future__ import annotations

import json as json_module
import logging
import os
from collections.abc import Mapping, MutableMapping
from typing import Any

import requests
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient, ParamsType
from gspread.urls import SPREADSHEETS_API_V4_BASE_URL

from bridge.sheets.retry import RetriableStatusError, RetryPolicy, call_with_retry

logger = logging.getLogger(__name__)

GOOGLE_SHEETS_API_URL = "https://sheets.googleapis.com"
API_URL_VARIABLE = "BRIDGE_SHEETS_API_URL"
DEFAULT_TIMEOUT = (10.0, 60.0)  # connect and read timeouts, seconds
_GSPREAD_PREFIX = SPREADSHEETS_API_V4_BASE_URL.removesuffix("/v4/spreadsheets")


def api_base_url() -> str:
    """Return the Sheets API base URL: BRIDGE_SHEETS_API_URL, else Google's."""
    return (os.environ.get(API_URL_VARIABLE) or GOOGLE_SHEETS_API_URL).rstrip("/")


def encode_json(body: Mapping[str, Any]) -> bytes:
    """Return ``body`` as compact UTF-8 JSON, the bytes that go on the wire."""
    return json_module.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class BridgeHTTPClient(HTTPClient):
    """An ``HTTPClient`` that sends to ``base_url`` and retries per ``policy``."""

    def __init__(
        self,
        auth: Credentials,
        session: requests.Session | None = None,
        *,
        base_url: str | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(auth, session or AuthorizedSession(auth))
        self.base_url = (base_url or api_base_url()).rstrip("/")
        self.policy = policy or RetryPolicy()
        self.timeout = DEFAULT_TIMEOUT

    def request(
        self,
        method: str,
        endpoint: str,
        params: ParamsType | None = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        url = endpoint
        if url.startswith(_GSPREAD_PREFIX):
            url = self.base_url + url.removeprefix(_GSPREAD_PREFIX)
        headers = dict(headers or {})
        if json is not None:
            data = encode_json(json)
            headers["Content-Type"] = "application/json; charset=utf-8"
        # Log the path only: the query may carry ranges but never a token.
        call_name = f"{method.upper()} {url.split('?')[0].removeprefix(self.base_url)}"

        def attempt() -> requests.Response:
            response = self.session.request(
                method=method,
                url=url,
                params=params,
                data=data,
                files=files,
                headers=headers,
                timeout=self.timeout,
            )
            if response.status_code in (429, 500, 502, 503, 504):
                raise RetriableStatusError(response)
            return response

        try:
            response = call_with_retry(attempt, self.policy, call_name)
        except RetriableStatusError as error:
            raise RetriesExhaustedError(error.response, self.policy.max_attempts) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise ConnectionFailedError(str(error), self.policy.max_attempts) from None
        logger.info(
            "Sheets API %s -> %d (%d bytes sent)", call_name, response.status_code, len(data or b"")
        )
        if not response.ok:
            raise APIError(response)
        return response


class RetriesExhaustedError(APIError):
    """The last of several attempts still got a 429 or 5xx response."""

    def __init__(self, response: requests.Response, attempts: int) -> None:
        super().__init__(response)
        self.attempts = attempts


class ConnectionFailedError(Exception):
    """No response at all (connection refused, reset or timed out) after several attempts."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.attempts = attempts
