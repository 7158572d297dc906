"""Fixtures of the sync run tests: a ledger database on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from sync.db import engine_from_env
from sync.ledger import Ledger
from tests.postgres import POSTGRES_URL, session_schema


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """Create a schema of its own for this test session in the test server; drop it after."""
    with session_schema("bridge_test") as schema:
        yield schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_engine(request, tmp_path):
    """An engine with the bridge's tables, on a new SQLite file or a clean PostgreSQL schema."""
    if request.param == "sqlite":
        engine = engine_from_env(f"sqlite:///{tmp_path / 'bridge.db'}")
        yield engine
        engine.dispose()
        return
    schema = request.getfixturevalue("postgres_schema")
    engine = engine_from_env(POSTGRES_URL, schema=schema)
    yield engine
    # Each test starts from empty tables in the session's schema.
    with engine.begin() as connection:
        connection.execute(
            text(
                f'TRUNCATE "{schema}".row_outcomes, "{schema}".batches, '
                f'"{schema}".runs, "{schema}".row_state RESTART IDENTITY CASCADE'
            )
        )
    engine.dispose()


@pytest.fixture
def ledger(database_engine) -> Ledger:
    return Ledger(database_engine)


from tests.fakes.fixtures import fake_clock, fake_hubspot, hubspot_env  # noqa: E402, F401
