"""Fixtures of the sync run tests: a ledger database on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from sync.db import engine_from_env
from sync.ledger import Ledger

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """Create a schema of its own for this test session in the test server; drop it after."""
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is unreachable: {error.orig}")
    schema = f"bridge_test_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


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
