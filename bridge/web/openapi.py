"""``/openapi.json``: the OpenAPI 3.1 document, generated from the views and their models.

Each view declares its operation with ``bridge.web.api.documented``; request
and response schemas come from the pydantic models' ``model_json_schema``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel

from bridge.auth import ACCESS_TOKEN_HEADER
from bridge.web.api import OPENAPI_ATTRIBUTE, Operation, documented
from bridge.web.health import package_version
from bridge.web.problems import PROBLEM_MEDIA_TYPE, Problem

blueprint = Blueprint("openapi", __name__)

REF = "#/components/schemas/{model}"
_PATH_ARGUMENT = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
STATUS_TEXT = {
    400: "Bad request",
    401: "Missing, expired or invalid Google ID token",
    403: "Account, spreadsheet or caller not allowed",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Body is not JSON",
    422: "Invalid request or unusable sheet",
    500: "Internal error",
    501: "Not implemented yet",
    503: "A service the request needs did not respond",
}


def undocumented_rules(app: Flask) -> list[str]:
    """Return the URL rules whose view has no OpenAPI operation (static files excepted)."""
    return [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not hasattr(app.view_functions[rule.endpoint], OPENAPI_ATTRIBUTE)
    ]


def build_document(app: Flask) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    _add_schema(Problem, "serialization", schemas)

    for rule in sorted(app.url_map.iter_rules(), key=lambda item: item.rule):
        operation: Operation | None = getattr(
            app.view_functions[rule.endpoint], OPENAPI_ATTRIBUTE, None
        )
        if operation is None:
            continue
        path = _PATH_ARGUMENT.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                operation, rule, method, schemas
            )

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sheets to HubSpot bridge",
            "version": package_version(),
            "description": (
                "Validates deal sheets against a pipeline design. Errors are "
                "application/problem+json; `type` is stable per error code."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "googleIdToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Google ID token (ScriptApp.getIdentityToken())",
                },
                "userAccessToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": ACCESS_TOKEN_HEADER,
                    "description": "The user's OAuth access token (spreadsheets scope)",
                },
            },
        },
    }


def _operation(
    operation: Operation, rule: Any, method: str, schemas: dict[str, Any]
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": rule.endpoint.replace(".", "_") + "_" + method.lower(),
        "summary": operation.summary,
        "tags": [operation.tag],
        "responses": {},
    }
    if operation.description:
        document["description"] = operation.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in sorted(rule.arguments)
    ]
    if operation.query is not None:
        parameters += _query_parameters(operation.query)
    if parameters:
        document["parameters"] = parameters
    if operation.request is not None:
        _add_schema(operation.request, "validation", schemas)
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _ref(operation.request)}}},
        }
    if operation.authenticated:
        document["security"] = [{"googleIdToken": [], "userAccessToken": []}, {"googleIdToken": []}]
    else:
        document["security"] = []

    for status, model, text in operation.responses:
        response: dict[str, Any] = {"description": text}
        if model is not None:
            _add_schema(model, "serialization", schemas)
            response["content"] = {"application/json": {"schema": {"$ref": _ref(model)}}}
        document["responses"][str(status)] = response
    statuses = set(operation.problems) | {500}
    if operation.request is not None:
        # A body that is not valid JSON gets 422 invalid-request, never 400.
        statuses |= {413, 415, 422}
    if operation.authenticated:
        statuses.add(503)  # Google's token certificates could not be fetched
    statuses.add(405)
    for status in sorted(statuses):
        document["responses"][str(status)] = {
            "description": STATUS_TEXT[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _ref(Problem)}}},
        }
    return document


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Return one query parameter per field of ``model``, with the field's schema."""
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", []))
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        value_schema = {key: value for key, value in field_schema.items()
                        if key not in ("description", "title", "default")}  # fmt: skip
        # A query parameter is absent, never null: keep the non-null choice.
        choices = [choice for choice in value_schema.pop("anyOf", [])
                   if choice != {"type": "null"}]  # fmt: skip
        if len(choices) == 1:
            value_schema.update(choices[0])
        elif choices:
            value_schema["anyOf"] = choices
        parameter = {"name": name, "in": "query", "required": name in required,
                     "schema": value_schema}  # fmt: skip
        if "description" in field_schema:
            parameter["description"] = field_schema["description"]
        parameters.append(parameter)
    return parameters


def _ref(model: type[BaseModel]) -> str:
    return REF.format(model=model.__name__)


def _add_schema(model: type[BaseModel], mode: str, schemas: dict[str, Any]) -> None:
    if model.__name__ in schemas:
        return
    schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas[model.__name__] = schema


@blueprint.get("/openapi.json")
@documented(
    "Get this OpenAPI document",
    tag="openapi",
    responses={200: (None, "The OpenAPI 3.1 document")},
    authenticated=False,
)
def openapi_document():
    document = current_app.extensions.get("bridge.openapi")
    if document is None:
        document = build_document(current_app)
        current_app.extensions["bridge.openapi"] = document
    return jsonify(document)
