"""Structured logs for the service: one JSON object per line on stdout.

App Engine's logging agent reads ``severity``, ``message`` and
``logging.googleapis.com/trace`` from each line. The request id, user,
spreadsheet id and job id come from ``log_context``, which the request
handling and the job workers fill. ``RedactTokens`` removes anything that
looks like a bearer token, ID token or OAuth access token from every record.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOG_FIELDS = ("request_id", "user", "spreadsheet_id", "job_id", "run")
TRACE_KEY = "logging.googleapis.com/trace"

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "bridge_log_context", default=None
)

# JWTs (ID tokens: three base64url parts starting with eyJ), Google OAuth access
# tokens (ya29.…), and anything after "Bearer ".
TOKEN_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    re.compile(r"ya29\.[A-Za-z0-9_.-]+"),
    re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Return ``text`` with every token-like substring replaced by ``[redacted]``."""
    for pattern in TOKEN_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def current_context() -> dict[str, Any]:
    return dict(_context.get() or {})


def bind_context(**fields: Any) -> None:
    """Add fields to the log context of the current request or job thread."""
    context = current_context()
    context.update({key: value for key, value in fields.items() if value is not None})
    _context.set(context)


def clear_context() -> None:
    _context.set(None)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Use ``fields`` in every log line inside the block, then restore the outer context."""
    token = _context.set({**current_context(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class RedactTokens(logging.Filter):
    """Rewrite each record's message with tokens removed (also in exception text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line in Cloud Logging's structured format."""

    def __init__(self, project: str | None = None) -> None:
        super().__init__()
        self.project = project

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "logger": record.name,
        }
        context = current_context()
        for key in LOG_FIELDS:
            if context.get(key) is not None:
                entry[key] = context[key]
        trace = context.get("trace")
        if trace:
            entry[TRACE_KEY] = f"projects/{self.project}/traces/{trace}" if self.project else trace
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.INFO, project: str | None = None) -> None:
    """Send the root logger's records to stdout as redacted JSON lines.

    Runs once per process; a second call only adjusts the level.
    """
    root = logging.getLogger()
    root.setLevel(level)
    if any(isinstance(handler.formatter, JsonFormatter) for handler in root.handlers):
        return
    # A plain stderr handler (``bridge serve`` runs under the CLI's basicConfig)
    # would repeat every record unredacted beside the JSON line.
    for plain in [h for h in root.handlers if type(h) is logging.StreamHandler]:
        if plain.stream is sys.stderr:
            root.removeHandler(plain)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(project))
    handler.addFilter(RedactTokens())
    root.addHandler(handler)
