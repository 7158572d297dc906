"""Helpers the views share: OpenAPI declarations, body parsing, JSON responses, app state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Response, current_app, g, json, request
from pydantic import BaseModel
from werkzeug.exceptions import RequestEntityTooLarge

from bridge.auth import Identity
from bridge.jobs import JobService
from bridge.web.problems import ApiProblem, invalid_json_error
from bridge.web.settings import Settings

ModelT = TypeVar("ModelT", bound=BaseModel)
View = Callable[..., Any]
OPENAPI_ATTRIBUTE = "__openapi__"


@dataclass(frozen=True)
class Operation:
    """The OpenAPI description of one view, read by ``bridge.web.openapi``."""

    summary: str
    tag: str
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None  # fields documented as query parameters
    responses: tuple[tuple[int, type[BaseModel] | None, str], ...] = ()
    problems: tuple[int, ...] = ()
    authenticated: bool = True
    description: str = ""


def documented(
    summary: str,
    *,
    tag: str,
    request: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    responses: dict[int, tuple[type[BaseModel] | None, str]] | None = None,
    problems: tuple[int, ...] = (),
    authenticated: bool = True,
    description: str = "",
) -> Callable[[View], View]:
    """Attach the view's OpenAPI operation; views without one fail the documentation test."""
    operation = Operation(
        summary=summary,
        tag=tag,
        request=request,
        query=query,
        responses=tuple(
            (status, model, text) for status, (model, text) in (responses or {}).items()
        ),
        problems=problems,
        authenticated=authenticated,
        description=description,
    )

    def attach(view: View) -> View:
        setattr(view, OPENAPI_ATTRIBUTE, operation)
        return view

    return attach


def parse_body(model: type[ModelT]) -> ModelT:
    """Parse the JSON body into ``model``; pydantic errors become 422 problems."""
    if not request.is_json:
        raise ApiProblem("unsupported-media-type")
    # Werkzeug cuts a chunked body (no Content-Length) at MAX_CONTENT_LENGTH
    # without an error, and the cut JSON would read as "not valid JSON".
    body = request.get_data(cache=True)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit is not None and len(body) >= limit:
        raise RequestEntityTooLarge()
    data = request.get_json(silent=True)
    if data is None:
        error = invalid_json_error()
        raise ApiProblem("invalid-request", errors=[error], count=1, field=error["field"],
                         message=error["message"])  # fmt: skip
    return model.model_validate(data)


def json_response(model: BaseModel, status: int = 200, **headers: str) -> Response:
    body = json.dumps(model.model_dump(mode="json"), ensure_ascii=False)
    response = Response(body, status=status, mimetype="application/json")
    response.headers.update(headers)
    return response


@dataclass
class ServiceState:
    """Everything the views need beyond the request, kept in ``app.extensions``."""

    settings: Settings
    jobs: JobService
    auth_transport: Any
    runner: Any


def service_state() -> ServiceState:
    return current_app.extensions["bridge"]


def current_identity() -> Identity:
    return g.identity
