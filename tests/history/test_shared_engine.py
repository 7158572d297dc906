"""One database engine per server URL and process, with a small pool."""

from __future__ import annotations

from sync.db import POOL_OVERFLOW, POOL_SIZE, shared_engine


def test_engine_shared_per_url(database_url):
    first, second = shared_engine(database_url), shared_engine(database_url)
    if database_url.startswith("sqlite"):
        # A SQLite file may be deleted and made again between runs.
        assert first is not second
    else:
        assert first is second
        assert first.pool.size() == POOL_SIZE
        assert first.pool._max_overflow == POOL_OVERFLOW
