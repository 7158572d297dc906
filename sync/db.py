"""The bridge's database: one SQLAlchemy engine and one declarative ``Base`` for all tables.

SQLite (the file ``bridge.db`` in the working directory) is the default;
``DATABASE_URL`` selects another database, e.g.
``postgresql+psycopg://user@host:5432/bridge``. Every module that keeps tables
in this database (the run ledger, the design history) declares them on
``Base`` so that ``create_schema`` creates them all.

NOTE: tables are created with ``metadata.create_all``, which adds missing
tables but never alters existing ones. A column added later needs a migration
tool such as Alembic.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase

logger = logging.getLogger(__name__)

DATABASE_URL_VARIABLE = "DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///bridge.db"
POOL_SIZE, POOL_OVERFLOW = 2, 3  # connections per engine of a server database
_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
SQLITE_BUSY_TIMEOUT_SECONDS = 30  # how long a writer waits for another writer's lock

# Constraint names that are the same on every database, so that errors and
# later migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table in the bridge's database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


metadata = Base.metadata


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """Return ``DATABASE_URL`` from ``environ`` (default: the process environment), else SQLite."""
    environ = os.environ if environ is None else environ
    return environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


def engine_from_env(
    url: str | None = None, *, environ: Mapping[str, str] | None = None, schema: str | None = None
) -> Engine:
    """Create an engine for ``url`` (default: ``database_url()``) and create missing tables.

    ``schema`` puts every table into that PostgreSQL schema (tests use one per
    session); it must exist already.
    """
    url = url or database_url(environ)
    engine = create_engine(url, future=True, pool_pre_ping=True, **pool_options(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
    if schema:
        engine = engine.execution_options(schema_translate_map={None: schema})
    create_schema(engine)
    logger.info("Database ready: %s", engine.url.render_as_string(hide_password=True))
    return engine


def pool_options(url: str) -> dict[str, int]:
    """Return the connection pool size for a server database; SQLite keeps its own pool.

    A service worker runs only a few requests and job steps at once, so 2
    connections and 3 more under load are enough. With one shared engine per
    database (``shared_engine``), 20 workers open at most 100 connections.
    """
    if url.startswith("sqlite"):
        return {}
    return {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}


def shared_engine(url: str) -> Engine:
    """Return one engine per server database URL for the process, with its tables created.

    Each history database a job opens would otherwise get its own engine and
    pool. SQLite files get a new engine each time, because a test or a user
    may delete and recreate the file between runs.
    """
    if url.startswith("sqlite"):
        return engine_from_env(url)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = engine_from_env(url)
    return engine


def create_schema(engine: Engine) -> None:
    """Create every table declared on ``Base`` that does not exist yet."""
    with engine.begin() as connection:
        metadata.create_all(connection)


def _configure_sqlite(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Foreign keys are off by default in SQLite, and a second writer should
    # wait for the first one's lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.close()
