"""HubSpot CRM access: ``HubSpotClient`` (client.py), retries and rate limiting (retry.py)."""

from sync.hubspot.client import HubSpotClient
from sync.hubspot.retry import RateLimiter, RetryPolicy
from sync.hubspot.types import (
    AssociationResult,
    BatchResult,
    RecordError,
    RecordResult,
    UpsertInput,
)

__all__ = [
    "AssociationResult",
    "BatchResult",
    "HubSpotClient",
    "RateLimiter",
    "RecordError",
    "RecordResult",
    "RetryPolicy",
    "UpsertInput",
]
