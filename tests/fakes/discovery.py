"""Check Google API requests against the API's discovery document.

The documents ship in google-api-python-client
(``googleapiclient/discovery_cache/documents/``); Sheets v4
(``sheets.v4.json``) is the default, and the Secret Manager fake passes its
own. A request
passes when its method and path match a method of the document, every query
parameter is declared for that method (or globally) with a value of the
declared type, and its JSON body matches the method's request schema
recursively: no unknown field, every value of the declared type and enum.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import googleapiclient

DOCUMENT_PATH = (
    Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "sheets.v4.json"
)

INT32_RANGE = (-(2**31), 2**31 - 1)


class SchemaViolation(ValueError):
    """A request that the discovery document does not allow."""


@dataclass(frozen=True)
class Method:
    """One REST method of the document, with its path as a regular expression."""

    id: str
    http_method: str
    pattern: re.Pattern[str]
    path_parameters: tuple[str, ...]
    parameters: dict[str, Any]
    request_schema: str | None


def load_document() -> dict[str, Any]:
    return json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))


def _path_pattern(flat_path: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names: list[str] = []
    parts = re.split(r"(\{[^}]+\})", flat_path)
    regex = ""
    for part in parts:
        if part.startswith("{"):
            names.append(part[1:-1])
            # A range may hold any character; other parameters are one path segment.
            regex += "(.+?)" if part == "{range}" else "([^/]+?)"
        else:
            regex += re.escape(part)
    return re.compile("/" + regex + "$"), tuple(names)


def _methods(resources: dict[str, Any]) -> list[Method]:
    found: list[Method] = []
    for resource in resources.values():
        for spec in resource.get("methods", {}).values():
            pattern, names = _path_pattern(spec.get("flatPath", spec["path"]))
            request = spec.get("request", {}).get("$ref")
            found.append(
                Method(spec["id"], spec["httpMethod"], pattern, names, spec["parameters"], request)
            )
        found.extend(_methods(resource.get("resources", {})))
    return found


class DiscoveryChecker:
    """Match requests to methods and check their query parameters and bodies."""

    def __init__(self, document: dict[str, Any] | None = None) -> None:
        self.document = document or load_document()
        self.schemas: dict[str, Any] = self.document["schemas"]
        self.global_parameters: dict[str, Any] = self.document["parameters"]
        # Longer literal paths first, so ".../values:batchGet" wins over ".../{spreadsheetId}".
        self.methods = sorted(
            _methods(self.document["resources"]), key=lambda m: -len(m.pattern.pattern)
        )

    def match(self, http_method: str, path: str) -> tuple[Method, dict[str, str]]:
        """Return the method for ``path`` and its path parameters, or raise SchemaViolation."""
        for method in self.methods:
            if method.http_method != http_method.upper():
                continue
            found = method.pattern.match(path)
            if found:
                return method, dict(zip(method.path_parameters, found.groups(), strict=True))
        name = self.document.get("id", "discovery")
        raise SchemaViolation(f"{http_method} {path} is no method of the {name} document")

    def check_query(self, method: Method, query: dict[str, list[str]]) -> None:
        for name, values in query.items():
            spec = method.parameters.get(name) or self.global_parameters.get(name)
            if spec is None or spec.get("location") == "path":
                raise SchemaViolation(f"{method.id}: unknown query parameter {name!r}")
            if len(values) > 1 and not spec.get("repeated"):
                raise SchemaViolation(f"{method.id}: parameter {name!r} given {len(values)} times")
            for value in values:
                self._check_query_value(method.id, name, spec, value)

    def _check_query_value(self, method_id: str, name: str, spec: dict[str, Any], value: str):
        kind = spec.get("type")
        if "enum" in spec and value not in spec["enum"]:
            raise SchemaViolation(f"{method_id}: {name}={value!r} is not one of {spec['enum']}")
        if kind == "boolean" and value not in ("true", "false"):
            raise SchemaViolation(f"{method_id}: {name}={value!r} is not a boolean")
        if kind == "integer" and not re.fullmatch(r"-?\d+", value):
            raise SchemaViolation(f"{method_id}: {name}={value!r} is not an integer")

    def check_body(self, method: Method, body: Any) -> None:
        if method.request_schema is None:
            if body is not None:
                raise SchemaViolation(f"{method.id} takes no request body")
            return
        if body is None:
            raise SchemaViolation(f"{method.id} needs a {method.request_schema} body")
        self.check_value({"$ref": method.request_schema}, body, method.request_schema)

    def check_value(self, schema: dict[str, Any], value: Any, where: str) -> None:
        """Raise SchemaViolation unless ``value`` matches ``schema`` (recursively)."""
        if "$ref" in schema:
            schema = self.schemas[schema["$ref"]]
        kind = schema.get("type")
        if kind == "any":
            return
        if kind == "object":
            self._check_object(schema, value, where)
        elif kind == "array":
            if not isinstance(value, list):
                raise SchemaViolation(f"{where}: expected an array, got {type(value).__name__}")
            for index, item in enumerate(value):
                self.check_value(schema["items"], item, f"{where}[{index}]")
        elif kind == "string":
            self._check_string(schema, value, where)
        elif kind == "integer":
            self._check_integer(schema, value, where)
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SchemaViolation(f"{where}: expected a number, got {value!r}")
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise SchemaViolation(f"{where}: expected a boolean, got {value!r}")
        else:
            raise SchemaViolation(f"{where}: schema type {kind!r} is not supported by the checker")

    def _check_object(self, schema: dict[str, Any], value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise SchemaViolation(f"{where}: expected an object, got {type(value).__name__}")
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        for name, item in value.items():
            if properties and name in properties:
                self.check_value(properties[name], item, f"{where}.{name}")
            elif extra is not None:
                self.check_value(extra, item, f"{where}.{name}")
            else:
                raise SchemaViolation(f"{where}: unknown field {name!r}")

    def _check_string(self, schema: dict[str, Any], value: Any, where: str) -> None:
        if (
            schema.get("format") == "int64"
            and isinstance(value, int)
            and not isinstance(value, bool)
        ):
            return  # JSON encoders may send int64 as a number
        if not isinstance(value, str):
            raise SchemaViolation(f"{where}: expected a string, got {value!r}")
        if "enum" in schema and value not in schema["enum"]:
            raise SchemaViolation(f"{where}: {value!r} is not one of {schema['enum']}")

    def _check_integer(self, schema: dict[str, Any], value: Any, where: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaViolation(f"{where}: expected an integer, got {value!r}")
        if schema.get("format") == "int32" and not INT32_RANGE[0] <= value <= INT32_RANGE[1]:
            raise SchemaViolation(f"{where}: {value} is outside int32")
