"""Jobs: work that may outlast an HTTP request, with its state kept in a store.

A job moves ``queued -> running -> done | failed``. A job whose user's OAuth
access token expired moves to ``paused`` (reason ``token_expired``) and goes
back to ``queued`` when the user's next request brings a fresh token.

Stores: ``MemoryJobStore`` keeps jobs in a dict of one process.
``SqlJobStore`` keeps them in the ``jobs`` table of ``DATABASE_URL``, shared
by every process and instance, so Cloud Tasks and several gunicorn workers
need it. Backends: ``ThreadBackend`` runs jobs in a local thread pool,
``CloudTasksBackend`` (bridge.cloud_tasks) creates one task per step.

A job may run in steps: a handler that returns ``PartialResult`` has done
one step and has more to do. The job goes back to ``queued`` with
``steps_done`` counted up and its result so far stored. The thread backend
then runs the next step in the same worker, and the Cloud Tasks backend
creates one task for it.

The OAuth token is never stored: it travels with the dispatch (thread
argument or task header). ``claim`` makes a run idempotent: a delivery for a
job that is done, failed or being run by a live worker does nothing, and so
does a delivery for a step that an earlier delivery already finished.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

import sqlalchemy as sa

from bridge.errors import BridgeError, SheetAuthError
from bridge.logging_setup import log_context
from sync.db import pool_options

logger = logging.getLogger(__name__)

STATES = ("queued", "running", "paused", "done", "failed")
JOB_PATH = "/api/v1/jobs"  # where a job is polled; the instance of its error document
CLAIMABLE = ("queued", "paused")
# A "running" job not updated for this long lost its worker (an App Engine
# request ends at 10 minutes), so a redelivery may run it again.
RUNNING_LEASE = dt.timedelta(minutes=15)
TOKEN_EXPIRED = "token_expired"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Job:
    """One unit of work and its state; ``request`` never contains a token."""

    kind: str
    owner: str
    request: dict[str, Any]
    spreadsheet_id: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: str = "queued"
    progress: float = 0.0
    pause_reason: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    attempts: int = 0
    steps_done: int = 0
    token_expires_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utc_now)
    updated_at: dt.datetime = field(default_factory=utc_now)


class JobFailure(Exception):
    """A job cannot finish for a reason the user can fix; ``code`` is a problem code."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class JobStore(Protocol):
    def create(self, job: Job) -> None: ...

    def get(self, job_id: str) -> Job | None: ...

    def update(self, job_id: str, **changes: Any) -> None: ...

    def claim(self, job_id: str, step: int | None = None) -> Job | None:
        """Move a queued, paused or abandoned running job to running; None if not claimable.

        With ``step``, only a job whose next step is ``step`` is claimed.
        """
        ...


class MemoryJobStore:
    """Jobs in a dict; visible only to the process that created them."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def create(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = replace(job)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return replace(job) if job else None

    def update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs[job_id]
            self._jobs[job_id] = replace(job, updated_at=utc_now(), **changes)

    def claim(self, job_id: str, step: int | None = None) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not _claimable(job.state, job.updated_at):
                return None
            if step is not None and job.steps_done != step - 1:
                return None
            claimed = replace(job, state="running", attempts=job.attempts + 1, updated_at=utc_now())
            self._jobs[job_id] = claimed
            return replace(claimed)


metadata = sa.MetaData()
jobs_table = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("owner", sa.String(320), nullable=False),
    sa.Column("spreadsheet_id", sa.String(200)),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("progress", sa.Float, nullable=False),
    sa.Column("pause_reason", sa.String(64)),
    sa.Column("result", sa.JSON),
    sa.Column("error", sa.JSON),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("steps_done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("token_expires_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


class SqlJobStore:
    """Jobs in the ``jobs`` table of ``DATABASE_URL`` (the sync ledger's database)."""

    def __init__(self, url_or_engine: str | sa.Engine) -> None:
        if isinstance(url_or_engine, str):
            options = pool_options(url_or_engine)
            self.engine = sa.create_engine(url_or_engine, pool_pre_ping=True, **options)
        else:
            self.engine = url_or_engine
        metadata.create_all(self.engine, tables=[jobs_table])
        _add_steps_column(self.engine)

    def create(self, job: Job) -> None:
        with self.engine.begin() as connection:
            connection.execute(jobs_table.insert().values(**asdict(job)))

    def get(self, job_id: str) -> Job | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(jobs_table).where(jobs_table.c.id == job_id)
            ).one_or_none()
        return _job_from_row(row._mapping) if row else None

    def update(self, job_id: str, **changes: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                jobs_table.update()
                .where(jobs_table.c.id == job_id)
                .values(updated_at=utc_now(), **changes)
            )

    def claim(self, job_id: str, step: int | None = None) -> Job | None:
        # One conditional UPDATE: of two concurrent deliveries only one changes the row.
        now = utc_now()
        table = jobs_table
        claimable = sa.or_(
            table.c.state.in_(CLAIMABLE),
            sa.and_(table.c.state == "running", table.c.updated_at < now - RUNNING_LEASE),
        )
        if step is not None:
            claimable = sa.and_(claimable, table.c.steps_done == step - 1)
        with self.engine.begin() as connection:
            changed = connection.execute(
                table.update()
                .where(table.c.id == job_id, claimable)
                .values(state="running", attempts=table.c.attempts + 1, updated_at=now)
            ).rowcount
        return self.get(job_id) if changed == 1 else None


def _add_steps_column(engine: sa.Engine) -> None:
    """Add ``steps_done`` to a ``jobs`` table created before jobs ran in steps."""
    columns = {column["name"] for column in sa.inspect(engine).get_columns("jobs")}
    if "steps_done" in columns:
        return
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("ALTER TABLE jobs ADD COLUMN steps_done INTEGER NOT NULL DEFAULT 0")
            )
    except sa.exc.DBAPIError:
        # Another instance added it first.
        columns = {column["name"] for column in sa.inspect(engine).get_columns("jobs")}
        if "steps_done" not in columns:
            raise
    logger.info("added the steps_done column to the jobs table")


def _claimable(state: str, updated_at: dt.datetime) -> bool:
    if state in CLAIMABLE:
        return True
    return state == "running" and updated_at < utc_now() - RUNNING_LEASE


def _job_from_row(row: Any) -> Job:
    values = dict(row)
    for name in ("created_at", "updated_at", "token_expires_at"):
        value = values[name]
        if value is not None and value.tzinfo is None:  # SQLite drops the zone
            values[name] = value.replace(tzinfo=dt.UTC)
    return Job(**values)


@dataclass(frozen=True)
class JobContext:
    """Inputs of a job handler besides the job's request."""

    job: Job
    access_token: str | None = field(repr=False)
    report_progress: Callable[[float], None]

    @property
    def step(self) -> int:
        """The 1-based number of the step this delivery runs."""
        return self.job.steps_done + 1


@dataclass(frozen=True)
class PartialResult:
    """A handler's return value when its job has more steps: the job's result so far."""

    result: dict[str, Any]


JobHandler = Callable[[dict[str, Any], JobContext], "dict[str, Any] | PartialResult"]
# Build the problem document of a failed job: (code, lang, params) -> document.
ProblemBuilder = Callable[..., dict[str, Any]]


class JobRunner:
    """Runs a claimed job's handler and records the outcome in the store."""

    def __init__(
        self,
        store: JobStore,
        handlers: dict[str, JobHandler],
        problem_builder: ProblemBuilder,
        error_problem: Callable[[BridgeError, str], tuple[str, dict[str, Any]]],
    ) -> None:
        self.store = store
        self.handlers = handlers
        self.problem_builder = problem_builder
        self.error_problem = error_problem

    def run(
        self, job_id: str, access_token: str | None, step: int | None = None
    ) -> tuple[Job | None, bool]:
        """Run the job's next step unless the job is finished or taken; return it and whether it ran.

        With ``step``, a job whose next step is another one is left alone.
        """
        job = self.store.claim(job_id, step)
        if job is None:
            logger.info("job %s not claimable, delivery ignored", job_id)
            return self.store.get(job_id), False
        with log_context(job_id=job.id, user=job.owner, spreadsheet_id=job.spreadsheet_id):
            self._execute(job, access_token)
        return self.store.get(job_id), True

    def _execute(self, job: Job, access_token: str | None) -> None:
        lang = job.request.get("lang") or "ja"
        if access_token and job.token_expires_at and job.token_expires_at <= utc_now():
            self._pause(job)
            return
        context = JobContext(job, access_token, lambda value: self._progress(job.id, value))
        logger.info(
            "job %s (%s) step %d started, attempt %d",
            job.id, job.kind, context.step, job.attempts,
        )  # fmt: skip
        try:
            result = self.handlers[job.kind](job.request, context)
        except SheetAuthError as error:
            if (
                access_token is None
            ):  # A service account gets no new token, so pausing would wait forever.
                code, params = self.error_problem(error, lang)
                self._fail(job, code, lang, **params)
                return
            self._pause(job)
            return
        except JobFailure as failure:
            self._fail(job, failure.code, lang, **failure.params)
            return
        except BridgeError as error:
            code, params = self.error_problem(error, lang)
            self._fail(job, code, lang, **params)
            return
        except Exception:
            logger.exception("job %s failed unexpectedly", job.id)
            self._fail(job, "internal-error", lang)
            return
        if isinstance(result, PartialResult):
            self.store.update(
                job.id, state="queued", steps_done=context.step, result=result.result,
                pause_reason=None,
            )  # fmt: skip
            logger.info("job %s step %d done, more steps to run", job.id, context.step)
            return
        self.store.update(
            job.id, state="done", progress=1.0, result=result, steps_done=context.step,
            pause_reason=None,
        )  # fmt: skip
        logger.info("job %s done", job.id)

    def _progress(self, job_id: str, value: float) -> None:
        self.store.update(job_id, progress=max(0.0, min(1.0, value)))

    def _pause(self, job: Job) -> None:
        logger.info("job %s paused: the user's OAuth token expired", job.id)
        self.store.update(job.id, state="paused", pause_reason=TOKEN_EXPIRED)

    def _fail(self, job: Job, code: str, lang: str, **params: Any) -> None:
        logger.warning("job %s failed: %s", job.id, code)
        # The job id stands for the request id: logs of every step name it.
        document = self.problem_builder(
            code, lang, instance=f"{JOB_PATH}/{job.id}", request_id=job.id, **params
        )
        self.store.update(job.id, state="failed", error=document)


class JobBackend(Protocol):
    def dispatch(self, job: Job, access_token: str | None) -> None: ...


class ThreadBackend:
    """Runs jobs in a pool of worker threads of this process."""

    def __init__(self, runner: JobRunner, threads: int) -> None:
        self.runner = runner
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bridge-job")

    def dispatch(self, job: Job, access_token: str | None) -> None:
        self.executor.submit(self._run, job.id, access_token)

    def _run(self, job_id: str, access_token: str | None) -> None:
        """Run the job's steps one after another until it is done, failed or paused."""
        step = None
        try:
            while True:
                job, ran = self.runner.run(job_id, access_token, step)
                if not ran or job is None or job.state != "queued":
                    return
                step = job.steps_done + 1
        except Exception:  # the pool would swallow it silently
            logger.exception("job %s could not be run", job_id)


class JobService:
    """Creates, dispatches, resumes and reads jobs: what the views call."""

    def __init__(self, store: JobStore, backend: JobBackend, token_lifetime: dt.timedelta):
        self.store = store
        self.backend = backend
        self.token_lifetime = token_lifetime

    def start(self, job: Job, access_token: str | None) -> Job:
        job.token_expires_at = self._expiry(access_token)
        self.store.create(job)
        logger.info("job %s (%s) queued for %s", job.id, job.kind, job.spreadsheet_id)
        try:
            self.backend.dispatch(job, access_token)
        except Exception:
            self.store.update(job.id, state="failed")
            raise
        return job

    def get_for(self, job_id: str, owner: str) -> Job | None:
        """Return the job if ``owner`` started it (others get None, as for an unknown id)."""
        job = self.store.get(job_id)
        return job if job and job.owner == owner else None

    def resume(self, job: Job, access_token: str | None) -> Job:
        """Queue a paused job again when the user's request brings a new token."""
        if job.state != "paused" or not access_token:
            return job
        expires = self._expiry(access_token)
        self.store.update(job.id, state="queued", pause_reason=None, token_expires_at=expires)
        logger.info("job %s resumed with a new token", job.id)
        self.backend.dispatch(job, access_token)
        return self.store.get(job.id) or job

    def _expiry(self, access_token: str | None) -> dt.datetime | None:
        return utc_now() + self.token_lifetime if access_token else None
