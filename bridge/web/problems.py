"""Errors as ``application/problem+json`` (RFC 9457) in the user's language.

Every error response of the service goes through ``problem_response``. The
``type`` URI is stable per code (``PROBLEM_BASE`` + code), so the add-on and
scripts branch on it; ``title`` and ``detail`` are translated.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

from flask import Flask, Response, g, json, request
from pydantic import BaseModel, Field, ValidationError
from werkzeug.exceptions import HTTPException

from bridge.error_messages import error_message
from bridge.errors import (
    BridgeError,
    GoogleCredentialsMissingError,
    OutputError,
    SheetAuthError,
    SheetNotFoundError,
    SheetPermissionError,
    SheetsRequestError,
    SheetsUnavailableError,
    SourceNotFoundError,
    SpreadsheetNotAllowedError,
    SpreadsheetNotFoundError,
)
from bridge.i18n import LANGUAGES, N_, gettext, normalize_language

with contextlib.suppress(ImportError):
    # Registers the texts of the Google Sheets errors in ERROR_TEMPLATES.
    import bridge.sheets.google_messages  # noqa: F401

logger = logging.getLogger(__name__)

PROBLEM_BASE = "https://bridge.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

# code -> (HTTP status, title, detail template). Details are filled from the
# ``params`` of ``ApiProblem``.
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "token-missing": (
        401,
        N_("Sign-in required"),
        N_("The request has no Google ID token. Open the add-on again from the sheet's menu."),
    ),
    "token-expired": (
        401,
        N_("Sign-in expired"),
        N_("Your Google sign-in has expired. Open the add-on again from the sheet's menu."),
    ),
    "token-invalid": (
        401,
        N_("Sign-in not accepted"),
        N_(
            "The Google ID token could not be verified ({reason}). "
            "Open the add-on again from the sheet's menu."
        ),
    ),
    "domain-not-allowed": (
        403,
        N_("Account not allowed"),
        N_(
            "The account {email} is not in a domain allowed to use this service. "
            "Sign in with your company account or ask your administrator."
        ),
    ),
    "spreadsheet-not-allowed": (
        403,
        N_("Spreadsheet not allowed"),
        N_(
            "The service account may not open spreadsheet {spreadsheet_id}. "
            "Run this from the add-on, or ask your administrator to add the spreadsheet "
            "to the service account's list."
        ),
    ),
    "job-not-found": (
        404,
        N_("Job not found"),
        N_("No job {job_id} exists for your account. Start the validation again."),
    ),
    "not-found": (
        404,
        N_("Not found"),
        N_("There is no resource at {path}. See /openapi.json for the available paths."),
    ),
    "method-not-allowed": (
        405,
        N_("Method not allowed"),
        N_("{method} is not allowed on {path}. Allowed: {allowed}."),
    ),
    "unsupported-media-type": (
        415,
        N_("Unsupported media type"),
        N_("Send the request body as JSON with Content-Type: application/json."),
    ),
    "request-too-large": (
        413,
        N_("Request too large"),
        N_("The request body is larger than {limit} bytes. Send a smaller request."),
    ),
    "invalid-request": (
        422,
        N_("Invalid request"),
        N_("The request has {count} invalid field(s). The first is {field}: {message}"),
    ),
    "too-many-rows": (
        422,
        N_("Too many rows"),
        N_(
            "The sheet {sheet} has {rows} data rows; this service checks at most {limit}. "
            "Split the sheet or validate it with the bridge command line."
        ),
    ),
    "source-not-supported": (
        422,
        N_("Spreadsheet not supported"),
        N_(
            "{source} is not a Google Sheets URL or spreadsheet id. "
            "Copy the address of the spreadsheet from the browser."
        ),
    ),
    "design-invalid": (
        422,
        N_("Design has mistakes"),
        N_("The design has {count} problem(s). The first is: {first}"),
    ),
    "input-invalid": (422, N_("Sheet cannot be used"), "{message}"),
    "sheet-not-found": (404, N_("Sheet not found"), "{message}"),
    "sheet-access-denied": (403, N_("No access to the spreadsheet"), "{message}"),
    "sheets-unavailable": (503, N_("Google Sheets unavailable"), "{message}"),
    "task-headers-missing": (
        403,
        N_("Not a Cloud Tasks request"),
        N_("This endpoint accepts only requests delivered by the Cloud Tasks queue {queue}."),
    ),
    "job-step-running": (
        503,
        N_("Job step still running"),
        N_(
            "Step {step} of job {job_id} is still running, or its worker stopped less than "
            "{lease_minutes} minutes ago. Cloud Tasks delivers this task again later."
        ),
    ),
    "service-unavailable": (
        503,
        N_("Service unavailable"),
        N_("{service} did not respond. Try again in a minute."),
    ),
    "internal-error": (
        500,
        N_("Internal error"),
        N_(
            "The service failed unexpectedly. Try again; if it fails again, "
            "tell your administrator the request id {request_id}."
        ),
    ),
}


class Problem(BaseModel):
    """An error response: ``application/problem+json``."""

    type: str = Field(description="Stable URI of the error code")
    title: str
    status: int
    detail: str
    code: str = Field(description="The last part of `type`, e.g. `token-expired`")
    instance: str | None = Field(default=None, description="Request path")
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Invalid fields (code `invalid-request`)"
    )


def invalid_json_error() -> dict[str, str]:
    """Return the ``errors`` item of a request body that is not valid JSON."""
    message = gettext(request_language(), N_("the body is not valid JSON."))
    return {"field": "(body)", "code": "json_invalid", "message": message}


class ApiProblem(Exception):
    """Raise in a view to respond with the problem ``code``."""

    def __init__(self, code: str, *, errors: list[dict[str, Any]] | None = None, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params
        self.errors = errors


def request_language() -> str:
    """Return the user's language: ``lang`` in the JSON body, else Accept-Language, else ja."""
    cached = g.get("lang")
    if cached:
        return cached
    try:
        body = request.get_json(silent=True, cache=True) if request.is_json else None
    except HTTPException:  # a body over the size limit is never read
        body = None
    lang = body.get("lang") if isinstance(body, dict) else None
    if lang is None:
        lang = request.args.get("lang")
    # A language the service does not have ("fr") falls through to the header.
    if isinstance(lang, str) and lang.split("-")[0].split("_")[0].lower() in LANGUAGES:
        return normalize_language(lang)
    best = request.accept_languages.best_match(LANGUAGES)
    return best or "ja"


ERROR_PREFIX = re.compile(r"^(Error|エラー): ")

# Parameters whose values are message ids (a reason, a service name), not user data.
TRANSLATED_PARAMS = ("reason", "service")


def problem_document(
    code: str,
    lang: str,
    *,
    instance: str | None = None,
    request_id: str | None = None,
    **params: Any,
) -> dict[str, Any]:
    """Return the problem document of ``code`` with texts in ``lang`` (no request needed)."""
    status, title, detail = PROBLEMS[code]
    params.setdefault("request_id", request_id or "")
    for name in TRANSLATED_PARAMS:
        if isinstance(params.get(name), str):
            params[name] = gettext(lang, params[name])
    # Details "{message}" carry a text translated where it was made. The CLI's
    # "Error: " prefix of such a text would repeat the problem's title.
    text = ERROR_PREFIX.sub("", gettext(lang, detail, **params), count=1)
    problem = Problem(
        type=PROBLEM_BASE + code,
        title=gettext(lang, title),
        status=status,
        detail=text,
        code=code,
        instance=instance,
        request_id=request_id,
    )
    return problem.model_dump(exclude_none=True)


def build_problem(code: str, lang: str, **params: Any) -> dict[str, Any]:
    """Return the problem document of ``code`` for the current request."""
    return problem_document(
        code, lang, instance=request.path, request_id=g.get("request_id"), **params
    )


def problem_response(
    code: str, *, errors: list[dict[str, Any]] | None = None, **params: Any
) -> Response:
    lang = request_language()
    document = build_problem(code, lang, **params)
    if errors:
        document["errors"] = errors
    response = Response(
        json.dumps(document, ensure_ascii=False),
        status=document["status"],
        mimetype=PROBLEM_MEDIA_TYPE,
    )
    response.headers["Content-Language"] = lang
    if document["status"] == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="bridge"'
    return response


def bridge_error_problem(error: BridgeError, lang: str) -> tuple[str, dict[str, Any]]:
    """Return the problem code and params for a bridge error met while serving a request."""
    message = error_message(error, lang)
    if isinstance(error, SheetNotFoundError | SourceNotFoundError | SpreadsheetNotFoundError):
        return "sheet-not-found", {"message": message}
    if isinstance(error, SheetPermissionError | SpreadsheetNotAllowedError | SheetAuthError):
        return "sheet-access-denied", {"message": message}
    if isinstance(error, SheetsUnavailableError):
        return "sheets-unavailable", {"message": message}
    if isinstance(error, GoogleCredentialsMissingError | SheetsRequestError | OutputError):
        logger.error("service cannot reach or write the sheet: %s", error)
        return "internal-error", {}
    return "input-invalid", {"message": message}


def validation_errors(error: ValidationError, lang: str) -> list[dict[str, Any]]:
    """Return pydantic's errors as ``{field, code, message}`` items in ``lang``."""
    items = []
    for item in error.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in item["loc"]) or "(body)"
        items.append({"field": field, "code": item["type"], "message": field_message(item, lang)})
    return items


FIELD_TEMPLATES = {
    "missing": N_("the field is required."),
    "extra_forbidden": N_("the field is not part of this request; check its spelling."),
    "date_from_datetime_parsing": N_("write the date as 2024-04-01."),
    "date_parsing": N_("write the date as 2024-04-01."),
    "date_type": N_("write the date as 2024-04-01."),
    "string_type": N_("the value must be text."),
    "literal_error": N_("the value must be one of: {expected}."),
    "string_too_long": N_("the text is longer than {max_length} characters."),
    "string_too_short": N_("the text must not be empty."),
    "model_type": N_("the request body must be a JSON object."),
    "greater_than_equal": N_("the value must be {ge} or more."),
    "greater_than": N_("the value must be more than {gt}."),
    "less_than_equal": N_("the value must be {le} or less."),
    "less_than": N_("the value must be less than {lt}."),
    "int_parsing": N_("the value must be a whole number."),
    "int_type": N_("the value must be a whole number."),
    "bool_parsing": N_("the value must be true or false."),
    "bool_type": N_("the value must be true or false."),
}


def field_message(item: dict[str, Any], lang: str) -> str:
    template = FIELD_TEMPLATES.get(item["type"])
    context = item.get("ctx") or {}
    if template is None:
        return gettext(lang, N_("invalid value ({reason})."), reason=item["msg"])
    return gettext(lang, template, reason=item["msg"], **{k: str(v) for k, v in context.items()})


def register_error_handlers(app: Flask) -> None:
    """Turn every error into problem+json: API problems, HTTP errors, bridge errors, crashes."""

    @app.errorhandler(ApiProblem)
    def handle_api_problem(error: ApiProblem) -> Response:
        return problem_response(error.code, errors=error.errors, **error.params)

    @app.errorhandler(ValidationError)
    def handle_validation_error(error: ValidationError) -> Response:
        lang = request_language()
        errors = validation_errors(error, lang)
        first = errors[0]
        return problem_response(
            "invalid-request",
            errors=errors,
            count=len(errors),
            field=first["field"],
            message=first["message"],
        )

    @app.errorhandler(BridgeError)
    def handle_bridge_error(error: BridgeError) -> Response:
        code, params = bridge_error_problem(error, request_language())
        return problem_response(code, **params)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 404:
            return problem_response("not-found", path=request.path)
        if status == 405:
            allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or []))
            response = problem_response(
                "method-not-allowed", method=request.method, path=request.path, allowed=allowed
            )
            response.headers["Allow"] = allowed
            return response
        if status == 413:
            return problem_response("request-too-large", limit=app.config["MAX_CONTENT_LENGTH"])
        if status == 415:
            return problem_response("unsupported-media-type")
        if status == 400:
            error = invalid_json_error()
            return problem_response("invalid-request", errors=[error], count=1,
                                    field=error["field"], message=error["message"])  # fmt: skip
        logger.error("unexpected HTTP error %s on %s %s", status, request.method, request.path)
        return problem_response("internal-error")

    @app.errorhandler(Exception)
    def handle_crash(error: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response("internal-error")
