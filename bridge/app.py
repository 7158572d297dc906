"""The Flask application factory of the bridge's HTTP API.

``create_app()`` reads its settings from the environment (see
``bridge.web.settings.Settings``); ``create_app(config)`` overrides them by
field name, and upper-case keys go to ``app.config``. Injectable through
``config`` (tests use these):

- ``SHEET_OPENER``: callable that opens a spreadsheet tab as a sheet adapter
  (default: Google Sheets as the user, or as the service account);
- ``AUTH_TRANSPORT``: google-auth transport that fetches the ID token certificates;
- ``TASKS_CREDENTIALS``: callable returning credentials for the Cloud Tasks API;
- ``JOB_STORE``: a ready job store.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request

from bridge.auth import CachedCertsRequest
from bridge.i18n import N_
from bridge.jobs import JobBackend, JobRunner, JobService, JobStore, MemoryJobStore, SqlJobStore
from bridge.logging_setup import bind_context, clear_context, configure_logging
from bridge.services import job_handlers, open_google_sheet
from bridge.web import authn, health, openapi, sync_api, tasks
from bridge.web.api import ServiceState
from bridge.web.design_page import blueprint as design_page
from bridge.web.problems import bridge_error_problem, problem_document, register_error_handlers
from bridge.web.settings import DEFAULT_DATABASE_URL, Settings
from sync.db import shared_engine
from sync.secrets import get_secret

logger = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, logging, jobs, blueprints and error handlers."""
    config = dict(config or {})
    overrides = {key: config.pop(key) for key in list(config) if key in Settings.model_fields}
    settings = Settings(**overrides)
    _share_database_url(settings)

    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config.update(config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if not app.config.get("TESTING"):
        configure_logging(project=settings.project)

    # The jobs: store, handlers, runner and the backend that starts runs.
    store = app.config.get("JOB_STORE") or _job_store(settings)
    opener = app.config.get("SHEET_OPENER") or functools.partial(
        open_google_sheet, allowed_sheets=settings.service_account_sheets
    )
    runner = JobRunner(
        store,
        job_handlers(opener, settings.max_rows),
        problem_document,
        bridge_error_problem,
    )
    backend = _job_backend(settings, runner, app.config.get("TASKS_CREDENTIALS"))
    service = JobService(store, backend, dt.timedelta(seconds=settings.token_lifetime_seconds))
    transport = app.config.get("AUTH_TRANSPORT") or CachedCertsRequest()
    app.extensions["bridge"] = ServiceState(settings, service, transport, runner)

    _register_blueprints(app)
    register_error_handlers(app)
    _register_request_logging(app)
    logger.info(
        "service ready: job backend %s, %s job store",
        settings.job_backend,
        "database" if settings.uses_database_store else "memory",
    )
    return app


def _share_database_url(settings: Settings) -> None:
    """Put a Secret Manager ``DATABASE_URL`` into the environment for every component.

    The jobs table, the sync ledger and the run history each read
    ``DATABASE_URL``. Without this step, a URL kept only in Secret Manager
    would reach the jobs table, and the others would fall back to SQLite on
    the instance's disk.
    """
    if settings.database_url or os.environ.get("DATABASE_URL"):
        return
    secret = get_secret("DATABASE_URL")
    if secret:
        os.environ["DATABASE_URL"] = secret
        logger.info("using DATABASE_URL from Secret Manager")


PROJECT_REQUIRED = N_("required when BRIDGE_JOB_BACKEND is cloudtasks")
DATABASE_REQUIRED = N_(
    "required when BRIDGE_JOB_BACKEND is cloudtasks: set it, or store it as the Secret Manager "
    "secret DATABASE_URL that the service account may read"
)


class SettingsError(ValueError):
    """A setting that the chosen configuration needs is missing; ``name`` is its variable."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.detail = detail


def _job_store(settings: Settings) -> JobStore:
    if not settings.uses_database_store:
        return MemoryJobStore()
    url = settings.database_url or get_secret("DATABASE_URL")
    if url is None and settings.job_backend == "cloudtasks":
        # Instances share jobs only through one database; a local SQLite file
        # would split them, and App Engine's disk is read-only outside /tmp.
        raise SettingsError("DATABASE_URL", DATABASE_REQUIRED)
    url = url or DEFAULT_DATABASE_URL
    # A server database shares one engine with the ledger and the history.
    return SqlJobStore(url if url.startswith("sqlite") else shared_engine(url))


def _job_backend(settings: Settings, runner: JobRunner, credentials: Any) -> JobBackend:
    if settings.job_backend == "thread":
        from bridge.jobs import ThreadBackend

        return ThreadBackend(runner, settings.job_threads)

    from bridge.cloud_tasks import CloudTasksBackend, default_credentials

    if not settings.project:
        raise SettingsError("GOOGLE_CLOUD_PROJECT", PROJECT_REQUIRED)
    return CloudTasksBackend(
        project=settings.project,
        location=settings.tasks_location,
        queue=settings.tasks_queue,
        base_url=settings.tasks_url,
        credentials_factory=credentials or default_credentials,
    )


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(authn.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(openapi.blueprint)
    app.register_blueprint(tasks.blueprint)
    app.register_blueprint(design_page)
    sync_api.init_app(app)


def _register_request_logging(app: Flask) -> None:
    """Give each request an id and trace for the logs, and log one line when it ends."""

    @app.before_request
    def start_request() -> None:
        clear_context()
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.started = time.perf_counter()
        trace = request.headers.get("X-Cloud-Trace-Context", "").split("/")[0]
        bind_context(request_id=g.request_id, trace=trace or None)

    @app.after_request
    def finish_request(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        logger.info(
            "%s %s -> %d in %.0f ms", request.method, request.path, response.status_code, elapsed
        )
        return response
