"""Bounded retry with exponential backoff and jitter for Google Sheets calls.

gspread 6.2.1's ``BackOffHTTPClient`` retries without an upper bound, so the
adapter uses this policy instead: 429 and 5xx responses and connection errors
are retried at most ``max_attempts`` times in all, with a random wait between
0 and ``min(max_wait, initial_wait * 2**attempt)`` seconds ("full jitter").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

# Tests replace this with a function that does not wait.
sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; waits in seconds."""

    max_attempts: int = 5
    initial_wait: float = 1.0
    max_wait: float = 32.0


class RetriableStatusError(Exception):
    """A response whose status is worth another attempt; keeps the response."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def is_retriable(error: BaseException) -> bool:
    return isinstance(error, RetriableStatusError | requests.ConnectionError | requests.Timeout)


def call_with_retry(attempt: Callable[[], T], policy: RetryPolicy, call_name: str) -> T:
    """Run ``attempt`` until it returns or fails for good; re-raise its last error.

    ``call_name`` names the call in log lines (method and spreadsheet id, never a token).
    """

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.warning(
            "Retrying %s after attempt %d of %d failed: %s",
            call_name,
            state.attempt_number,
            policy.max_attempts,
            error,
        )

    retrying = Retrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait),
        retry=retry_if_exception(is_retriable),
        sleep=lambda seconds: sleep(seconds),
        before_sleep=log_retry,
        reraise=True,
    )
    return retrying(attempt)
