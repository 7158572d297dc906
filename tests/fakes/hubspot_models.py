"""Check request bodies against the models of HubSpot's official ``hubspot-api-client``.

Each body is built into the matching generated model with a ``Configuration``
whose ``client_side_validation`` is on (it is off by default), so a missing
required field such as an upsert input's ``id`` raises. Keys the model's
``attribute_map`` does not know are rejected at every level, and primitive
types are checked, so a body the real API might silently accept still fails.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from hubspot.crm.associations.v4.models import BatchInputPublicDefaultAssociationMultiPost
from hubspot.crm.objects.models import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
)
from hubspot.crm.properties.models import PropertyCreate

_VERSION = r"(?:v3|v4|\d{4}-\d{2}(?:-beta)?)"

# (method, path pattern) -> model of the request body
REQUEST_MODELS: list[tuple[str, re.Pattern[str], type]] = [
    ("POST", re.compile(rf"^/crm/(?:objects/{_VERSION}|v3/objects)/[^/]+/batch/upsert$"),
     BatchInputSimplePublicObjectBatchInputUpsert),
    ("POST", re.compile(rf"^/crm/(?:objects/{_VERSION}|v3/objects)/[^/]+/batch/update$"),
     BatchInputSimplePublicObjectBatchInput),
    ("POST", re.compile(rf"^/crm/(?:objects/{_VERSION}|v3/objects)/[^/]+/batch/create$"),
     BatchInputSimplePublicObjectBatchInputForCreate),
    ("POST", re.compile(rf"^/crm/(?:objects/{_VERSION}|v3/objects)/[^/]+/batch/read$"),
     BatchReadInputSimplePublicObjectId),
    ("POST",
     re.compile(rf"^/crm/(?:associations/{_VERSION}|v4/associations)/[^/]+/[^/]+/batch/associate/default$"),
     BatchInputPublicDefaultAssociationMultiPost),
    ("POST", re.compile(rf"^/crm/(?:properties/{_VERSION}|v3/properties)/[^/]+$"), PropertyCreate),
]  # fmt: skip

_PRIMITIVES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


def model_for(method: str, path: str) -> type | None:
    """Return the model class of the body of ``method path``, or None when it takes none."""
    for model_method, pattern, model in REQUEST_MODELS:
        if method == model_method and pattern.match(path):
            return model
    return None


def check_body(model: type, body: Any) -> list[str]:
    """Return every violation of ``body`` against ``model`` ([] when it loads cleanly)."""
    violations: list[str] = []
    _build(model, body, "body", violations)
    return violations


def _configuration(model: type) -> Any:
    package = model.__module__.rsplit(".models", 1)[0]
    configuration = importlib.import_module(f"{package}.configuration").Configuration()
    configuration.client_side_validation = True
    return configuration


def _model_class(model: type, name: str) -> type:
    package = model.__module__.rsplit(".", 1)[0]
    return getattr(importlib.import_module(package), name)


def _build(model: type, data: Any, where: str, violations: list[str]) -> Any:
    if not isinstance(data, dict):
        violations.append(
            f"{where}: expected an object for {model.__name__}, got {type(data).__name__}"
        )
        return None
    json_to_attribute = {key: attr for attr, key in model.attribute_map.items()}
    unknown = sorted(set(data) - set(json_to_attribute))
    if unknown:
        violations.append(f"{where}: {model.__name__} has no field {', '.join(unknown)}")
    kwargs = {}
    for key, value in data.items():
        attribute = json_to_attribute.get(key)
        if attribute is None:
            continue
        kwargs[attribute] = _convert(
            model, model.openapi_types[attribute], value, f"{where}.{key}", violations
        )
    try:
        return model(**kwargs, local_vars_configuration=_configuration(model))
    except (ValueError, TypeError) as error:
        violations.append(f"{where}: {model.__name__}: {error}")
        return None


def _convert(model: type, type_name: str, value: Any, where: str, violations: list[str]) -> Any:
    if value is None:
        return None
    if type_name.startswith("list["):
        if not isinstance(value, list):
            violations.append(f"{where}: expected a list")
            return None
        inner = type_name[5:-1]
        return [
            _convert(model, inner, item, f"{where}[{i}]", violations)
            for i, item in enumerate(value)
        ]
    if type_name.startswith("dict["):
        if not isinstance(value, dict):
            violations.append(f"{where}: expected an object")
            return None
        inner = type_name[5:-1].split(",", 1)[1].strip()
        return {
            key: _convert(model, inner, item, f"{where}.{key}", violations)
            for key, item in value.items()
        }
    if type_name in _PRIMITIVES:
        accepted = _PRIMITIVES[type_name]
        if not isinstance(value, accepted) or (type_name != "bool" and isinstance(value, bool)):
            violations.append(
                f"{where}: expected {type_name}, got {type(value).__name__} {value!r}"
            )
        return value
    if type_name == "object":
        return value
    return _build(_model_class(model, type_name), value, where, violations)
