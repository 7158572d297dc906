"""Service settings, read from environment variables (names in ``validation_alias``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
DEFAULT_DATABASE_URL = "sqlite:///bridge.db"  # the sync ledger's default too
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


def _alias(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Configuration of one service instance.

    Every field can also be passed by its Python name to ``create_app``.
    """

    model_config = SettingsConfigDict(populate_by_name=True, extra="forbid")

    # OAuth client id that the add-on's ID tokens are issued for.
    audience: str = Field(validation_alias=_alias("BRIDGE_AUDIENCE", "audience"))
    # Email domains whose users may call the API. Empty: every caller is rejected.
    allowed_domains: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), validation_alias=_alias("BRIDGE_ALLOWED_DOMAINS", "allowed_domains")
    )
    # Spreadsheet ids the service account may open when a request carries no
    # user OAuth token (scheduled jobs).
    service_account_sheets: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias=_alias("BRIDGE_SERVICE_ACCOUNT_SHEETS", "service_account_sheets"),
    )
    max_rows: int = Field(
        default=50_000, ge=1, validation_alias=_alias("BRIDGE_MAX_ROWS", "max_rows")
    )
    max_body_bytes: int = Field(
        default=1_000_000,
        ge=1_024,
        validation_alias=_alias("BRIDGE_MAX_BODY_BYTES", "max_body_bytes"),
    )
    job_backend: Literal["thread", "cloudtasks"] = Field(
        default="thread", validation_alias=_alias("BRIDGE_JOB_BACKEND", "job_backend")
    )
    # Where job state lives: "memory" (one process only) or "database"
    # (DATABASE_URL, shared by every worker and instance). None picks
    # "memory" for the thread backend and "database" for Cloud Tasks.
    job_store: Literal["memory", "database"] | None = Field(
        default=None, validation_alias=_alias("BRIDGE_JOB_STORE", "job_store")
    )
    job_threads: int = Field(
        default=2, ge=1, le=32, validation_alias=_alias("BRIDGE_JOB_THREADS", "job_threads")
    )
    # None: the secret DATABASE_URL from Secret Manager, else DEFAULT_DATABASE_URL.
    database_url: str | None = Field(
        default=None, validation_alias=_alias("DATABASE_URL", "database_url")
    )
    tasks_queue: str = Field(
        default="bridge-jobs", validation_alias=_alias("BRIDGE_TASKS_QUEUE", "tasks_queue")
    )
    tasks_location: str = Field(
        default="asia-northeast1",
        validation_alias=_alias("BRIDGE_TASKS_LOCATION", "tasks_location"),
    )
    tasks_url: str = Field(
        default="https://cloudtasks.googleapis.com",
        validation_alias=_alias("BRIDGE_TASKS_URL", "tasks_url"),
    )
    project: str | None = Field(
        default=None, validation_alias=_alias("GOOGLE_CLOUD_PROJECT", "project")
    )
    certs_url: str = Field(
        default=GOOGLE_CERTS_URL, validation_alias=_alias("BRIDGE_CERTS_URL", "certs_url")
    )
    issuers: Annotated[tuple[str, ...], NoDecode] = Field(
        default=GOOGLE_ISSUERS, validation_alias=_alias("BRIDGE_ISSUERS", "issuers")
    )
    # Seconds a user's OAuth access token is trusted after the request that
    # brought it. Google access tokens live 3,600 s; the margin leaves time
    # for a run to finish its writes.
    token_lifetime_seconds: int = Field(
        default=3_300,
        ge=0,
        validation_alias=_alias("BRIDGE_TOKEN_LIFETIME_SECONDS", "token_lifetime_seconds"),
    )

    @field_validator("allowed_domains", "service_account_sheets", "issuers", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("allowed_domains", mode="after")
    @classmethod
    def _lower_domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(domain.lower().lstrip("@") for domain in value)

    @property
    def uses_database_store(self) -> bool:
        if self.job_store is not None:
            return self.job_store == "database"
        return self.job_backend == "cloudtasks"
