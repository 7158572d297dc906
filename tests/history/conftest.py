"""Fixtures of the history tests: a database URL on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import POSTGRES_URL, session_schema


@pytest.fixture(scope="session")
def history_schema() -> Iterator[str]:
    """Create a schema of its own for this test session in the test server; drop it after."""
    with session_schema("history_test") as schema:
        yield schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """A DATABASE_URL: a new SQLite file, or the session's PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    schema = request.getfixturevalue("history_schema")
    # libpq's options parameter sets the search path, so unqualified tables land in the schema.
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
