"""HubSpot CRM client on ``requests``: batch writes and reads, associations, schema reads.

Public API::

    client = HubSpotClient(token, base_url="https://api.hubapi.com", api_version="2026-03")
    client.batch_upsert("deals", [UpsertInput(id=key, properties={...}, trace_id=key)],
                        id_property="bridge_row_key") -> BatchResult
    client.batch_update("deals", inputs, id_property=None) -> BatchResult
    client.batch_read("deals", ids, id_property=None, properties=()) -> dict[id, RecordResult]
    client.associate_default("deals", "companies", [(deal_id, company_id)]) -> AssociationResult
    client.get_properties("deals") -> list[dict]
    client.create_property("deals", definition) -> dict
    client.get_pipelines("deals") -> list[dict]
    client.get_validation_rules("deals") -> dict[property name, list[rule dict]]
    client.get_owners() -> list[dict]

Object types are HubSpot's plural names (deals, companies, contacts); the
design's singular names (deal, company, contact) are accepted too.

Layers: a public method builds a request, ``_call`` runs it through
``send_with_retries`` (retries, rate limiting) around ``_send_once`` (one HTTP
attempt) and maps the remaining error statuses to ``sync.errors`` in one place
(``_raise_for_status``). Batch writes never raise for one bad record: a 207 or
a 400 validation error becomes ``RecordError`` values per trace id.

``api_version`` is a date version such as "2026-03" (paths like
``/crm/objects/2026-03/deals/batch/upsert``) or "v3" for the legacy paths
(``/crm/v3/objects/deals/batch/upsert``, associations on ``/crm/v4``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import requests

from sync.errors import (
    HubSpotAuthError,
    HubSpotRequestError,
    redact,
)
from sync.hubspot.retry import RateLimiter, RetryPolicy, send_with_retries
from sync.hubspot.types import (
    AssociationResult,
    BatchResult,
    RecordError,
    RecordResult,
    UpsertInput,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.hubapi.com"
DEFAULT_API_VERSION = "2026-03"
MAX_BATCH_SIZE = 100  # inputs per batch read or write call
MAX_ASSOCIATION_BATCH_SIZE = 2000  # pairs per association batch call
DEFAULT_TIMEOUT = (5.0, 30.0)  # seconds: connect, read

OBJECT_TYPES = {"deal": "deals", "company": "companies", "contact": "contacts"}
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3"}
# Unique properties whose values HubSpot compares without case.
CASE_INSENSITIVE_ID_PROPERTIES = frozenset({"email", "domain"})


def object_type_name(object_type: str) -> str:
    """Return HubSpot's plural object type for a design name ("deal" -> "deals")."""
    return OBJECT_TYPES.get(object_type, object_type)


class Paths:
    """URL paths of one API version."""

    def __init__(self, api_version: str) -> None:
        self.version = api_version
        self.legacy = api_version.lower().startswith("v")

    def objects(self, object_type: str, action: str) -> str:
        if self.legacy:
            return f"/crm/v3/objects/{object_type}/batch/{action}"
        return f"/crm/objects/{self.version}/{object_type}/batch/{action}"

    def associate_default(self, from_type: str, to_type: str) -> str:
        if self.legacy:
            return f"/crm/v4/associations/{from_type}/{to_type}/batch/associate/default"
        return f"/crm/associations/{self.version}/{from_type}/{to_type}/batch/associate/default"

    def properties(self, object_type: str) -> str:
        if self.legacy:
            return f"/crm/v3/properties/{object_type}"
        return f"/crm/properties/{self.version}/{object_type}"

    def pipelines(self, object_type: str) -> str:
        if self.legacy:
            return f"/crm/v3/pipelines/{object_type}"
        return f"/crm/pipelines/{self.version}/{object_type}"

    def validation_rules(self, object_type_id: str) -> str:
        if self.legacy:
            return f"/crm/v3/property-validations/{object_type_id}"
        return f"/crm/property-validations/{self.version}/{object_type_id}"

    def owners(self) -> str:
        if self.legacy:
            return "/crm/v3/owners/"
        # NOTE: the date-based owners path is assumed to follow the pattern of the
        # other CRM APIs; it was not confirmed in HubSpot's reference.
        return f"/crm/owners/{self.version}/"


class HubSpotClient:
    """A HubSpot private-app client; one instance per run, safe to share between threads."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        api_version: str = DEFAULT_API_VERSION,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] | None = None,
    ) -> None:
        if not token:
            raise ValueError("token must not be empty")
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.paths = Paths(api_version)
        self._session = session or requests.Session()
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._sleep = sleep
        self.limiter = limiter or RateLimiter(sleep=sleep)
        self._random = random

    def __repr__(self) -> str:  # never show the token
        return f"HubSpotClient(base_url={self.base_url!r}, api_version={self.paths.version!r})"

    # -- batch writes ---------------------------------------------------------

    def batch_upsert(
        self, object_type: str, inputs: Sequence[UpsertInput], id_property: str
    ) -> BatchResult:
        """Create or update records by the unique ``id_property``, 100 inputs per call."""
        path = self.paths.objects(object_type_name(object_type), "upsert")
        return self._batch_write(path, inputs, id_property)

    def batch_update(
        self, object_type: str, inputs: Sequence[UpsertInput], id_property: str | None = None
    ) -> BatchResult:
        """Update existing records by HubSpot id (or by ``id_property``); creates nothing."""
        path = self.paths.objects(object_type_name(object_type), "update")
        return self._batch_write(path, inputs, id_property)

    def _batch_write(
        self, path: str, inputs: Sequence[UpsertInput], id_property: str | None
    ) -> BatchResult:
        result = BatchResult()
        groups = merge_duplicates(inputs, id_property)
        for primary, trace_ids in groups:
            for trace_id in trace_ids[1:]:
                result.merged[trace_id] = primary.trace_id
        sent = [primary for primary, _ in groups]

        for start in range(0, len(sent), MAX_BATCH_SIZE):
            chunk = sent[start : start + MAX_BATCH_SIZE]
            body = {"inputs": [_write_input(item, id_property) for item in chunk]}
            response = self._call("POST", path, json=body, batch=True)
            result.requests += 1
            _collect_write_response(response, chunk, result)

        # Every trace id of a merged group shares the outcome of the input sent.
        for extra_id, primary_id in result.merged.items():
            if primary_id in result.results:
                result.results[extra_id] = result.results[primary_id]
            elif primary_id in result.errors:
                result.errors[extra_id] = result.errors[primary_id]
        return result

    # -- batch read -----------------------------------------------------------

    def batch_read(
        self,
        object_type: str,
        ids: Iterable[str],
        id_property: str | None = None,
        properties: Iterable[str] = (),
    ) -> dict[str, RecordResult]:
        """Return the records found, keyed by the requested id; ids not found are absent."""
        path = self.paths.objects(object_type_name(object_type), "read")
        wanted = list(dict.fromkeys(ids))
        names = list(properties)
        if id_property and id_property not in names:
            names.append(id_property)
        found: dict[str, RecordResult] = {}
        for start in range(0, len(wanted), MAX_BATCH_SIZE):
            chunk = wanted[start : start + MAX_BATCH_SIZE]
            body: dict[str, Any] = {
                "inputs": [{"id": value} for value in chunk],
                "properties": names,
                "propertiesWithHistory": [],
            }
            if id_property:
                body["idProperty"] = id_property
            response = self._call("POST", path, json=body, batch=True)
            payload = _json(response)
            for item in payload.get("results", []):
                record = _record(item)
                key = record.properties.get(id_property) if id_property else record.hubspot_id
                if key is not None:
                    found[_match_requested(str(key), chunk, id_property)] = record
        return found

    # -- associations ---------------------------------------------------------

    def associate_default(
        self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]
    ) -> AssociationResult:
        """Associate (from id, to id) pairs with HubSpot's default type, 2,000 per call."""
        path = self.paths.associate_default(object_type_name(from_type), object_type_name(to_type))
        result = AssociationResult()
        unique_pairs = list(dict.fromkeys(pairs))
        for start in range(0, len(unique_pairs), MAX_ASSOCIATION_BATCH_SIZE):
            chunk = unique_pairs[start : start + MAX_ASSOCIATION_BATCH_SIZE]
            body = {"inputs": [{"from": {"id": a}, "to": {"id": b}} for a, b in chunk]}
            response = self._call("POST", path, json=body, batch=True)
            result.requests += 1
            payload = _json(response)
            failed: set[tuple[str, str]] = set()
            for error in payload.get("errors", []) if response.status_code != 400 else [payload]:
                record_error = _record_error(error, response.status_code)
                ids = _context_values(error, "fromObjectId", "fromId")
                matched = [pair for pair in chunk if pair[0] in ids]
                if not matched:
                    result.unassigned_errors.append(record_error)
                for pair in matched:
                    result.errors[pair] = record_error
                    failed.add(pair)
            if response.status_code == 400:
                continue  # the whole batch was rejected
            result.associated.extend(pair for pair in chunk if pair not in failed)
        return result

    # -- schema reads and writes ----------------------------------------------

    def get_properties(self, object_type: str) -> list[dict[str, Any]]:
        """Return every property definition of ``object_type`` (archived ones excluded)."""
        response = self._call("GET", self.paths.properties(object_type_name(object_type)))
        return list(_json(response).get("results", []))

    def create_property(self, object_type: str, definition: dict[str, Any]) -> dict[str, Any]:
        """Create one property (a ``PropertyCreate`` body) and return HubSpot's copy."""
        response = self._call(
            "POST", self.paths.properties(object_type_name(object_type)), json=definition
        )
        return _json(response)

    def get_pipelines(self, object_type: str = "deals") -> list[dict[str, Any]]:
        """Return the pipelines of ``object_type`` with their stages."""
        response = self._call("GET", self.paths.pipelines(object_type_name(object_type)))
        return list(_json(response).get("results", []))

    def get_validation_rules(self, object_type: str) -> dict[str, list[dict[str, Any]]]:
        """Return property name -> validation rules; {} when the portal has no such endpoint."""
        type_id = OBJECT_TYPE_IDS.get(object_type_name(object_type), object_type)
        path = self.paths.validation_rules(type_id)
        try:
            response = self._call("GET", path)
        except HubSpotRequestError as error:
            if error.status != 404:
                raise
            logger.info("HubSpot has no property validation rules endpoint at %s", path)
            return {}
        rules: dict[str, list[dict[str, Any]]] = {}
        for item in _json(response).get("results", []):
            rules[item.get("propertyName", "")] = list(item.get("propertyValidationRules", []))
        return rules

    def get_owners(self) -> list[dict[str, Any]]:
        """Return every active owner of the portal, following the paging cursor."""
        owners: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params = {"limit": "100", **({"after": after} if after else {})}
            payload = _json(self._call("GET", self.paths.owners(), params=params))
            owners.extend(payload.get("results", []))
            after = (payload.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return owners

    # -- transport layers -----------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        batch: bool = False,
    ) -> requests.Response:
        """Send with retries and map error statuses; a batch call returns its 400s."""

        def attempt() -> requests.Response:
            return self._send_once(method, path, json=json, params=params)

        extra = {"random": self._random} if self._random else {}
        response = send_with_retries(
            attempt,
            method=method,
            path=path,
            policy=self.retry,
            limiter=self.limiter,
            sleep=self._sleep,
            **extra,
        )
        if batch and response.status_code == 400:
            return response  # per-input validation errors; the caller files them per row
        if response.status_code >= 400:
            self._raise_for_status(method, path, response)
        return response

    def _send_once(
        self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None
    ) -> requests.Response:
        started = time.monotonic()
        response = self._session.request(
            method,
            self.base_url + path,
            json=json,
            params=params,
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            timeout=self.timeout,
        )
        logger.info(
            "HubSpot %s %s -> %d in %.0f ms",
            method, path, response.status_code, (time.monotonic() - started) * 1000,
        )  # fmt: skip
        logger.debug("HubSpot response body: %s", redact(response.text[:2000], (self._token,)))
        return response

    def _raise_for_status(self, method: str, path: str, response: requests.Response) -> None:
        body = redact(response.text, (self._token,))
        status = response.status_code
        if status in (401, 403):
            raise HubSpotAuthError(status=status, method=method, path=path, body=body)
        detail = ""
        try:
            payload = response.json()
            detail = str(payload.get("message", "")) if isinstance(payload, dict) else ""
        except ValueError:
            detail = body[:200]
        raise HubSpotRequestError(status=status, method=method, path=path, body=body, detail=detail)


def merge_duplicates(
    inputs: Sequence[UpsertInput], id_property: str | None
) -> list[tuple[UpsertInput, list[str]]]:
    """Merge inputs that share an id into one, because one duplicate rejects a whole batch.

    Returns each input to send with the trace ids it stands for (its own first).
    Properties are combined in input order, so a later input's value wins.
    """
    groups: dict[str, list[UpsertInput]] = {}
    for item in inputs:
        groups.setdefault(_id_key(item.id, id_property), []).append(item)
    merged: list[tuple[UpsertInput, list[str]]] = []
    for members in groups.values():
        first = members[0]
        if len(members) == 1:
            merged.append((first, [first.trace_id]))
            continue
        properties: dict[str, str] = {}
        for member in members:
            properties.update(member.properties)
        combined = UpsertInput(id=first.id, properties=properties, trace_id=first.trace_id)
        merged.append((combined, list(dict.fromkeys(member.trace_id for member in members))))
    return merged


def _id_key(value: str, id_property: str | None) -> str:
    value = value.strip()
    return value.casefold() if id_property in CASE_INSENSITIVE_ID_PROPERTIES else value


def _match_requested(key: str, requested: list[str], id_property: str | None) -> str:
    """Return the requested spelling of ``key`` (HubSpot may return an email lower-cased)."""
    wanted = _id_key(key, id_property)
    return next((value for value in requested if _id_key(value, id_property) == wanted), key)


def _write_input(item: UpsertInput, id_property: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": item.id,
        "properties": dict(item.properties),
        "objectWriteTraceId": item.trace_id,
    }
    if id_property:
        body["idProperty"] = id_property
    return body


def _collect_write_response(
    response: requests.Response, chunk: list[UpsertInput], result: BatchResult
) -> None:
    """File the results and errors of one batch call under their trace ids."""
    payload = _json(response)
    by_trace = {item.trace_id: item for item in chunk}
    by_id = {_id_key(item.id, None): item.trace_id for item in chunk}

    if response.status_code == 400:
        # The whole batch was rejected: the inputs the error names get its
        # message, the others are marked as not sent so that a later run retries them.
        error = _record_error(payload, 400)
        named = _error_trace_ids(payload, by_trace, by_id)
        for item in chunk:
            if item.trace_id in named:
                result.errors[item.trace_id] = error
            else:
                result.errors[item.trace_id] = RecordError(
                    code="BATCH_REJECTED",
                    message=f"Not written because HubSpot rejected the batch: {error.message}",
                    status=400,
                )
        return

    for item in payload.get("results", []):
        trace_id = item.get("objectWriteTraceId")
        record = _record(item)
        if trace_id not in by_trace:
            trace_id = by_id.get(str(record.properties.get("hs_object_id", "")), trace_id)
        if trace_id in by_trace:
            result.results[trace_id] = record
    for error in payload.get("errors", []):
        record_error = _record_error(error, response.status_code)
        named = _error_trace_ids(error, by_trace, by_id)
        if not named:
            logger.warning("HubSpot batch error names no input: %s", record_error.message)
            result.unassigned_errors.append(record_error)
        for trace_id in named:
            result.errors[trace_id] = record_error
            result.results.pop(trace_id, None)


def _error_trace_ids(
    error: dict[str, Any], by_trace: dict[str, UpsertInput], by_id: dict[str, str]
) -> list[str]:
    # NOTE: HubSpot's reference does not show where a batch error names its input.
    # The trace id is looked for in context.objectWriteTraceId, then the record
    # id in context.ids / context.id, and in the same keys of the nested errors.
    names = _context_values(error, "objectWriteTraceId")
    traced = [name for name in names if name in by_trace]
    if traced:
        return traced
    ids = _context_values(error, "ids", "id")
    return [by_id[value] for value in ids if value in by_id]


def _context_values(error: dict[str, Any], *keys: str) -> list[str]:
    values: list[str] = []
    contexts = [error.get("context") or {}]
    contexts += [(detail or {}).get("context") or {} for detail in error.get("errors") or []]
    for context in contexts:
        if not isinstance(context, dict):
            continue
        for key in keys:
            value = context.get(key)
            if isinstance(value, list):
                values.extend(str(item) for item in value)
            elif value is not None:
                values.append(str(value))
    return values


def _record_error(error: dict[str, Any], status: int) -> RecordError:
    details = error.get("errors") or []
    first = details[0] if details and isinstance(details[0], dict) else {}
    code = first.get("code") or error.get("subCategory") or error.get("category") or "ERROR"
    property_values = _context_values(error, "propertyName")
    property_name = property_values[0] if property_values else first.get("in")
    return RecordError(
        code=str(code),
        message=redact(str(first.get("message") or error.get("message") or "")),
        status=status,
        property_name=property_name,
        category=error.get("category"),
    )


def _record(item: dict[str, Any]) -> RecordResult:
    return RecordResult(
        hubspot_id=str(item.get("id", "")),
        properties=dict(item.get("properties") or {}),
        is_new=item.get("new"),
        updated_at=item.get("updatedAt"),
    )


def _json(response: requests.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
