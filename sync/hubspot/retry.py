"""Retries and client-side rate limiting for HubSpot requests.

Public API (used by ``sync.hubspot.client``; other modules may build their own
``RetryPolicy``):

- ``RetryPolicy``: a frozen value object with the retry limits.
- ``RateLimiter``: counts this client's requests in the rolling windows that
  HubSpot announces in its ``X-HubSpot-RateLimit-*`` headers, and waits BEFORE
  a request would exceed them.
- ``send_with_retries(attempt, ...)``: the retry loop around one attempt. It
  retries 423, 429 (rolling ten-second policy), 477, 502, 503, 504, timeouts
  and connection errors with bounded exponential backoff plus jitter, honours
  ``Retry-After``, raises ``DailyLimitReached`` at once for a 429 of the daily
  policy and ``HubSpotUnavailable`` when the attempts are used up. Every other
  response (2xx, 207, 400 …) is returned to the caller unchanged.

Sleeping, the clock and the random source are injectable so that tests run
without waiting and can assert each wait.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random as random_module
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests

from sync.errors import DailyLimitReached, HubSpotUnavailable

logger = logging.getLogger(__name__)

RETRIABLE_STATUSES = frozenset({423, 429, 477, 502, 503, 504})
LOCKED_STATUS = 423
RATE_LIMITED_STATUS = 429

# HubSpot's documented default for private apps; the headers of the first
# response replace it with the portal's real limit.
DEFAULT_MAX_REQUESTS = 100
DEFAULT_INTERVAL_SECONDS = 10.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a HubSpot request."""

    max_attempts: int = 5
    base_delay: float = 1.0  # seconds before the first retry
    max_delay: float = 30.0  # cap of the exponential backoff, in seconds
    jitter: float = 0.25  # up to this fraction of the delay is added at random
    locked_delay: float = 2.0  # minimum wait after a 423 (record locked)
    rate_limit_delay: float = 10.0  # wait after a 429 that names no interval
    max_retry_after: float = 120.0  # a longer Retry-After ends the retries at once

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("need 0 <= base_delay <= max_delay")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def backoff(self, retry_number: int, random_fraction: float) -> float:
        """Return the wait before retry ``retry_number`` (1-based), jitter included."""
        delay = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return delay * (1 + self.jitter * random_fraction)


class _Window:
    """This client's request times within one rolling window."""

    def __init__(self, max_requests: int, interval: float) -> None:
        self.max_requests = max_requests
        self.interval = interval
        self.sent: deque[float] = deque()

    def drop_expired(self, now: float) -> None:
        while self.sent and self.sent[0] <= now - self.interval:
            self.sent.popleft()

    def wait_needed(self, now: float) -> float:
        self.drop_expired(now)
        if len(self.sent) < self.max_requests:
            return 0.0
        return self.sent[len(self.sent) - self.max_requests] + self.interval - now


class RateLimiter:
    """Keep this client under HubSpot's rolling limits by waiting before a request.

    The limits come from the ``X-HubSpot-RateLimit-Max`` /
    ``-Interval-Milliseconds`` (rolling window, ten seconds for private apps)
    and ``-Secondly`` headers. ``-Remaining`` also counts requests of other
    apps on the same portal: when it reaches zero the limiter waits until this
    client's oldest request leaves the window, or a whole interval when it has
    none in the window.
    """

    def __init__(
        self,
        *,
        max_requests: int = DEFAULT_MAX_REQUESTS,
        interval: float = DEFAULT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        margin: float = 0.05,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        # Server and client clocks start a request's window at slightly different
        # moments; the margin keeps the client on the safe side.
        self._margin = margin
        self._rolling = _Window(max_requests, interval)
        self._secondly: _Window | None = None
        self._remaining: int | None = None
        self._remaining_at = 0.0
        self._lock = threading.Lock()

    @property
    def max_requests(self) -> int:
        return self._rolling.max_requests

    @property
    def interval(self) -> float:
        return self._rolling.interval

    def acquire(self) -> None:
        """Wait until one more request fits every known window, then count it."""
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    self._rolling.sent.append(now)
                    if self._secondly is not None:
                        self._secondly.sent.append(now)
                    if self._remaining is not None:
                        self._remaining -= 1
                    return
            logger.debug("Rate limiter waits %.2f s before the next HubSpot request", wait)
            self._sleep(wait)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adopt the limits and the remaining budget a response announced."""
        with self._lock:
            maximum = _int_header(headers, "X-HubSpot-RateLimit-Max")
            interval_ms = _int_header(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
            if maximum and maximum > 0:
                self._rolling.max_requests = maximum
            if interval_ms and interval_ms > 0:
                self._rolling.interval = interval_ms / 1000
            secondly = _int_header(headers, "X-HubSpot-RateLimit-Secondly")
            if secondly and secondly > 0:
                if self._secondly is None:
                    self._secondly = _Window(secondly, 1.0)
                self._secondly.max_requests = secondly
            remaining = _int_header(headers, "X-HubSpot-RateLimit-Remaining")
            if remaining is not None:
                self._remaining = remaining
                self._remaining_at = self._clock()

    def _wait_needed(self, now: float) -> float:
        waits = [self._rolling.wait_needed(now)]
        if self._secondly is not None:
            waits.append(self._secondly.wait_needed(now))
        if self._remaining is not None and self._remaining <= 0:
            if self._rolling.sent:
                waits.append(self._rolling.sent[0] + self._rolling.interval - now)
            else:
                waits.append(self._remaining_at + self._rolling.interval - now)
        wait = max(waits)
        if wait <= 0:
            if self._remaining is not None and self._remaining <= 0:
                self._remaining = None  # the window has moved on; the next response reports it
            return 0.0
        return wait + self._margin


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Return the wait a ``Retry-After`` header requests (seconds or HTTP date), or None."""
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    reference = time.time() if now is None else now
    return max(0.0, moment.timestamp() - reference)


def policy_name(response: requests.Response) -> str:
    """Return the ``policyName`` of a HubSpot error body, or "" when it has none."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        return ""
    return str(body.get("policyName", "")) if isinstance(body, dict) else ""


def minimum_wait(response: requests.Response, policy: RetryPolicy, limiter: RateLimiter) -> float:
    """Return the shortest wait HubSpot requests before this response may be retried."""
    asked = retry_after_seconds(response.headers) or 0.0
    if response.status_code == LOCKED_STATUS:
        return max(asked, policy.locked_delay)
    if response.status_code == RATE_LIMITED_STATUS and not asked:
        interval_ms = _int_header(response.headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        if policy_name(response).upper() == "SECONDLY":
            return 1.0
        return interval_ms / 1000 if interval_ms else policy.rate_limit_delay
    return asked


def send_with_retries(
    attempt: Callable[[], requests.Response],
    *,
    method: str,
    path: str,
    policy: RetryPolicy,
    limiter: RateLimiter,
    sleep: Callable[[float], None] = time.sleep,
    random: Callable[[], float] = random_module.random,
) -> requests.Response:
    """Run ``attempt`` until it returns a non-retriable response or the attempts run out."""
    last_status: int | None = None
    last_body = ""
    for number in range(1, policy.max_attempts + 1):
        limiter.acquire()
        try:
            response = attempt()
        except (requests.Timeout, requests.ConnectionError) as error:
            last_status, last_body, floor = None, "", 0.0
            reason = type(error).__name__
        else:
            limiter.observe(response.headers)
            if response.status_code not in RETRIABLE_STATUSES:
                return response
            if (
                response.status_code == RATE_LIMITED_STATUS
                and policy_name(response).upper() == "DAILY"
            ):
                raise DailyLimitReached(method=method, path=path, body=response.text)
            last_status, last_body = response.status_code, response.text
            floor = minimum_wait(response, policy, limiter)
            reason = f"status {response.status_code}"

        if number == policy.max_attempts:
            break
        delay = max(policy.backoff(number, random()), floor)
        if delay > policy.max_retry_after:
            logger.warning(
                "HubSpot asks to wait %.0f s before retrying %s %s; giving up", delay, method, path
            )
            break
        logger.warning(
            "HubSpot %s %s failed (%s), attempt %d of %d; retrying in %.1f s",
            method, path, reason, number, policy.max_attempts, delay,
        )  # fmt: skip
        sleep(delay)
    raise HubSpotUnavailable(
        attempts=number, status=last_status, method=method, path=path, body=last_body
    )
