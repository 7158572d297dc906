"""A stateful fake HubSpot served on 127.0.0.1 for tests of the sync.

It serves the date-based (``/crm/objects/2026-03/...``) and the legacy v3/v4
paths the client uses, and behaves like HubSpot where the sync depends on it:

- records per object type with ids, ``hs_lastmodifieddate``, and unique
  indexes (``email`` for contacts, ``domain`` for companies, and every
  property defined with ``hasUniqueValue``, e.g. the deal row key);
- at most 100 inputs per batch (2,000 per association batch), else 400;
- a rolling limit (100 requests per 10 s by default) enforced with HubSpot's
  429 body, ``X-HubSpot-RateLimit-*`` headers on every response, a daily-limit
  mode, and injectable faults (423, 502, 503 or a hang past the client timeout);
- 207 with per-input errors: INVALID_OPTION, INVALID_DATE, INVALID_EMAIL;
- every request body is loaded into the matching model of the official
  ``hubspot-api-client`` (see ``hubspot_models``); a violation gets a
  400 and is recorded in ``violations``, which the ``fake_hubspot`` fixture
  asserts to be empty at teardown.

The clock is injectable: with the same ``FakeClock`` in the client, rate
limiting is tested without waiting.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.hubspot_models import check_body, model_for

TOKEN = "pat-na1-00000000-1111-2222-3333-444444444444"
MAX_BATCH = 100
MAX_ASSOCIATION_BATCH = 2000
OBJECT_TYPE_IDS = {"0-1": "contacts", "0-2": "companies", "0-3": "deals"}
DEFAULT_UNIQUE = {"contacts": {"email"}, "companies": {"domain"}, "deals": set()}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FakeClock:
    """A monotonic clock that moves only when ``sleep`` is called (thread-safe)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)


def default_properties() -> dict[str, list[dict[str, Any]]]:
    def prop(
        name: str, type_: str = "string", field_type: str = "text", **extra: Any
    ) -> dict[str, Any]:
        return {"name": name, "label": name, "type": type_, "fieldType": field_type,
                "groupName": "dealinformation", "options": [], "hasUniqueValue": False, **extra}  # fmt: skip

    return {
        "deals": [
            prop("dealname"),
            prop("amount", "number", "number"),
            prop("closedate", "datetime", "date"),
            prop("pipeline", "enumeration", "select", externalOptions=True),
            prop("dealstage", "enumeration", "radio", externalOptions=True),
            prop("hubspot_owner_id", "enumeration", "select", externalOptions=True),
            prop("bridge_row_key", hasUniqueValue=True),
        ],
        "contacts": [prop("email"), prop("firstname"), prop("lastname"), prop("phone")],
        "companies": [prop("name"), prop("domain")],
    }


def default_pipelines() -> list[dict[str, Any]]:
    stages = [("appointmentscheduled", "Appointment scheduled"), ("closedwon", "Closed won"),
              ("closedlost", "Closed lost")]  # fmt: skip
    return [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "archived": False,
            "stages": [
                {
                    "id": stage_id,
                    "label": label,
                    "displayOrder": index,
                    "archived": False,
                    "metadata": {
                        "isClosed": str("closed" in stage_id).lower(),
                        "probability": "1.0" if stage_id == "closedwon" else "0.2",
                    },
                }
                for index, (stage_id, label) in enumerate(stages)
            ],  # fmt: skip
        }
    ]


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class FakeHubSpot:
    """State and request handling of the fake; ``start()`` serves it on 127.0.0.1."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_requests: int = 100,
        interval: float = 10.0,
        token: str = TOKEN,
    ) -> None:
        self.clock = clock
        self.max_requests = max_requests
        self.interval = interval
        self.token = token
        self.properties = default_properties()
        self.pipelines = {"deals": default_pipelines()}
        self.validation_rules: dict[str, list[dict[str, Any]]] | None = {}
        self.owners: list[dict[str, Any]] = [
            {"id": "101", "email": "sato@example.jp", "firstName": "花子", "lastName": "佐藤"}
        ]
        self.records: dict[str, dict[str, dict[str, Any]]] = {}
        self.associations: set[tuple[str, str, str, str]] = set()
        self.association_status = 200
        self.daily_limit = False
        self.faults: deque[tuple[int | str, float | None]] = deque()
        self.hang_seconds = 1.0
        self.requests: list[LoggedRequest] = []
        self.violations: list[str] = []
        self.count_429 = 0
        self._window: deque[float] = deque()
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- test controls --------------------------------------------------------

    def inject(self, fault: int | str, count: int = 1, retry_after: float | None = None) -> None:
        """Return status ``fault`` (or hang) for the next ``count`` requests."""
        for _ in range(count):
            self.faults.append((fault, retry_after))

    def property_names(self, object_type: str) -> set[str]:
        return {prop["name"] for prop in self.properties.get(object_type, [])}

    def find(self, object_type: str, name: str, value: str) -> dict[str, Any] | None:
        with self._lock:
            for record in self.records.get(object_type, {}).values():
                if _same(name, record["properties"].get(name), value):
                    return record
        return None

    def calls(self, method: str | None = None, contains: str = "") -> list[LoggedRequest]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and contains in r.path
        ]

    # -- server ---------------------------------------------------------------

    def start(self) -> FakeHubSpot:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                fake._serve(self)

            def do_POST(self) -> None:  # noqa: N802
                fake._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        headers = {key: value for key, value in handler.headers.items()}
        status, extra_headers, body = self.handle(
            handler.command, parts.path, parse_qs(parts.query), headers, raw
        )
        if status == "hang":
            time.sleep(self.hang_seconds)
            return
        data = json.dumps(body).encode() if body is not None else b""
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json;charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            for key, value in extra_headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- request handling -----------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        raw: bytes,
    ) -> tuple[Any, dict[str, str], Any]:
        with self._lock:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            entry = LoggedRequest(method, path, query, body, 0, headers)
            self.requests.append(entry)
            status, extra, payload = self._respond(method, path, query, headers, body)
            entry.status = status if isinstance(status, int) else 0
            return status, extra, payload

    def _respond(self, method, path, query, headers, body):  # noqa: ANN001, ANN202
        if headers.get("Authorization") != f"Bearer {self.token}":
            return (
                401,
                {},
                _error(
                    "The OAuth token used to make this call is invalid.", "INVALID_AUTHENTICATION"
                ),
            )

        if self.daily_limit:
            return 429, self._limit_headers(0), _rate_limit_body("DAILY", "daily")
        now = self.clock()
        while self._window and self._window[0] <= now - self.interval:
            self._window.popleft()
        if len(self._window) >= self.max_requests:
            self.count_429 += 1
            return (
                429,
                self._limit_headers(0),
                _rate_limit_body("TEN_SECONDLY_ROLLING", "ten_secondly_rolling"),
            )
        self._window.append(now)
        limit_headers = self._limit_headers(self.max_requests - len(self._window))

        if self.faults:
            fault, retry_after = self.faults.popleft()
            if fault == "hang":
                return "hang", {}, None
            extra = dict(limit_headers)
            if retry_after is not None:
                extra["Retry-After"] = str(retry_after)
            return fault, extra, _error(f"Injected fault {fault}", "FAULT")

        model = model_for(method, path)
        if model is not None:
            violations = check_body(model, body)
            if violations:
                self.violations.extend(f"{method} {path}: {text}" for text in violations)
                return 400, limit_headers, _error("; ".join(violations), "VALIDATION_ERROR")

        status, payload = self._route(method, path, query, body)
        return status, limit_headers, payload

    def _limit_headers(self, remaining: int) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Max": str(self.max_requests),
            "X-HubSpot-RateLimit-Remaining": str(max(0, remaining)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.interval * 1000)),
            "X-HubSpot-RateLimit-Daily": "250000",
            "X-HubSpot-RateLimit-Daily-Remaining": "0" if self.daily_limit else "249000",
        }

    def _route(self, method, path, query, body):  # noqa: ANN001, ANN202
        version = r"(?:v3|v4|\d{4}-\d{2}(?:-beta)?)"
        routes = [
            ("POST", rf"^/crm/(?:objects/{version}|v3/objects)/(?P<type>[^/]+)/batch/(?P<action>upsert|update|read)$",
             self._batch_objects),
            ("POST", rf"^/crm/(?:associations/{version}|v4/associations)/(?P<from_type>[^/]+)/(?P<to_type>[^/]+)"
                     r"/batch/associate/default$", self._associate),
            ("GET", rf"^/crm/(?:properties/{version}|v3/properties)/(?P<type>[^/]+)$", self._get_properties),
            ("POST", rf"^/crm/(?:properties/{version}|v3/properties)/(?P<type>[^/]+)$", self._create_property),
            ("GET", rf"^/crm/(?:pipelines/{version}|v3/pipelines)/(?P<type>[^/]+)$", self._get_pipelines),
            ("GET", rf"^/crm/(?:property-validations/{version}|v3/property-validations)/(?P<type>[^/]+)$",
             self._get_rules),
            ("GET", rf"^/crm/(?:owners/{version}|v3/owners)/?$", self._get_owners),
        ]  # fmt: skip
        for route_method, pattern, view in routes:
            match = re.match(pattern, path)
            if match and method == route_method:
                return view(body=body, query=query, **match.groupdict())
        return 404, _error(f"No route {method} {path}", "NOT_FOUND")

    # -- views ----------------------------------------------------------------

    def _batch_objects(self, *, type: str, action: str, body: Any, query: Any) -> tuple[int, Any]:
        inputs = body.get("inputs", [])
        if len(inputs) > MAX_BATCH:
            return 400, _error(
                f"Batch has {len(inputs)} inputs; the limit is {MAX_BATCH}.", "VALIDATION_ERROR"
            )
        if action == "read":
            return 200, self._read(type, body)
        if action == "upsert":
            keys = [(item.get("idProperty"), str(item["id"]).casefold()) for item in inputs]
            if len(set(keys)) < len(keys):
                return 400, _error("Duplicate IDs found in batch input.", "VALIDATION_ERROR")
        results, errors = [], []
        for item in inputs:
            trace_id = item.get("objectWriteTraceId")
            problems = self._value_errors(type, item.get("properties") or {})
            if problems:
                errors.append(_input_error(trace_id, item.get("id"), problems))
                continue
            record, is_new = self._write(type, action, item)
            if record is None:
                errors.append(
                    _input_error(
                        trace_id, item.get("id"), [("OBJECT_NOT_FOUND", None, "Object not found")]
                    )
                )
                continue
            result = {**_public(record), "new": is_new}
            if trace_id is not None:
                result["objectWriteTraceId"] = trace_id
            results.append(result)
        payload = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": _now(),
            "completedAt": _now(),
        }
        if errors:
            payload.update(errors=errors, numErrors=len(errors))
            return 207, payload
        return 200, payload

    def _value_errors(self, object_type: str, values: dict[str, Any]) -> list[tuple[str, str, str]]:
        definitions = {prop["name"]: prop for prop in self.properties.get(object_type, [])}
        problems = []
        for name, value in values.items():
            prop = definitions.get(name)
            if prop is None:
                problems.append(
                    ("PROPERTY_DOESNT_EXIST", name, f'Property "{name}" does not exist')
                )
                continue
            text = "" if value is None else str(value)
            if text == "":
                continue
            kind = prop["type"]
            if kind == "enumeration" and not prop.get("externalOptions"):
                allowed = {option["value"] for option in prop.get("options", [])}
                if any(part not in allowed for part in text.split(";")):
                    problems.append(
                        ("INVALID_OPTION", name, f"{text} was not one of the allowed options")
                    )
            elif kind == "date" or (kind == "datetime" and prop.get("fieldType") == "date"):
                if not _valid_date(text):
                    problems.append(
                        ("INVALID_DATE", name, f"{text} is not a valid date at midnight UTC")
                    )
            elif kind == "datetime" and not _valid_datetime(text):
                problems.append(("INVALID_DATETIME", name, f"{text} is not a valid datetime"))
            elif kind == "number" and not re.fullmatch(r"-?\d+(\.\d+)?", text):
                problems.append(("INVALID_DECIMAL", name, f"{text} is not a valid number"))
            elif kind == "bool" and text not in ("true", "false"):
                problems.append(("INVALID_BOOLEAN", name, f"{text} is not true or false"))
            if name == "email" and not _EMAIL.match(text):
                problems.append(("INVALID_EMAIL", name, f"Email address {text} is invalid"))
        return problems

    def _unique_names(self, object_type: str) -> set[str]:
        names = set(DEFAULT_UNIQUE.get(object_type, set()))
        names |= {
            prop["name"]
            for prop in self.properties.get(object_type, [])
            if prop.get("hasUniqueValue")
        }
        return names

    def _write(
        self, object_type: str, action: str, item: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, bool]:
        store = self.records.setdefault(object_type, {})
        id_property = item.get("idProperty")
        properties = {
            key: ("" if value is None else str(value))
            for key, value in (item.get("properties") or {}).items()
        }
        if id_property:
            record = self.find(object_type, id_property, str(item["id"]))
        else:
            record = store.get(str(item["id"]))
        if record is None and action == "update":
            return None, False
        stamp = _now()
        if record is None:
            record_id = str(next(self._ids))
            record = {"id": record_id, "properties": {"hs_object_id": record_id, "createdate": stamp},
                      "createdAt": stamp}  # fmt: skip
            if id_property:
                record["properties"][id_property] = str(item["id"])
            store[record_id] = record
            is_new = True
        else:
            is_new = False
        record["properties"].update(properties)
        record["properties"]["hs_lastmodifieddate"] = stamp
        record["updatedAt"] = stamp
        return record, is_new

    def _read(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        id_property = body.get("idProperty")
        requested = body.get("properties") or []
        results = []
        for item in body.get("inputs", []):
            if id_property:
                record = self.find(object_type, id_property, str(item["id"]))
            else:
                record = self.records.get(object_type, {}).get(str(item["id"]))
            if record is not None:
                public = _public(record)
                public["properties"] = {
                    key: value for key, value in record["properties"].items()
                    if key in requested or key in ("hs_object_id", "createdate", "hs_lastmodifieddate")
                }  # fmt: skip
                results.append(public)
        return {
            "status": "COMPLETE",
            "results": results,
            "startedAt": _now(),
            "completedAt": _now(),
        }

    def _associate(self, *, from_type: str, to_type: str, body: Any, query: Any) -> tuple[int, Any]:
        inputs = body.get("inputs", [])
        if len(inputs) > MAX_ASSOCIATION_BATCH:
            return 400, _error(
                f"Batch has {len(inputs)} inputs; the limit is {MAX_ASSOCIATION_BATCH}.",
                "VALIDATION_ERROR",
            )
        results, errors = [], []
        for item in inputs:
            from_id, to_id = str(item["from"]["id"]), str(item["to"]["id"])
            if from_id not in self.records.get(from_type, {}) or to_id not in self.records.get(
                to_type, {}
            ):
                errors.append({"status": "error", "category": "VALIDATION_ERROR", "message": "Object not found",
                               "context": {"fromObjectId": [from_id], "toObjectId": [to_id]}})  # fmt: skip
                continue
            self.associations.add((from_type, from_id, to_type, to_id))
            results.append({"from": {"id": from_id}, "to": {"id": to_id},
                            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}})  # fmt: skip
        payload = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": _now(),
            "completedAt": _now(),
        }
        if errors:
            payload.update(errors=errors, numErrors=len(errors))
            return 207, payload
        return self.association_status, payload

    def _get_properties(self, *, type: str, body: Any, query: Any) -> tuple[int, Any]:
        return 200, {"results": self.properties.get(type, [])}

    def _create_property(self, *, type: str, body: Any, query: Any) -> tuple[int, Any]:
        if body["name"] in self.property_names(type):
            return 409, _error(
                f"A property named '{body['name']}' already exists.", "OBJECT_ALREADY_EXISTS"
            )
        created = {"options": [], "hasUniqueValue": False, **body, "createdAt": _now()}
        self.properties.setdefault(type, []).append(created)
        return 201, created

    def _get_pipelines(self, *, type: str, body: Any, query: Any) -> tuple[int, Any]:
        return 200, {"results": self.pipelines.get(type, [])}

    def _get_rules(self, *, type: str, body: Any, query: Any) -> tuple[int, Any]:
        if self.validation_rules is None:
            return 404, _error("Not found", "NOT_FOUND")
        object_type = OBJECT_TYPE_IDS.get(type, type)
        rules = [{"propertyName": name, "propertyValidationRules": rules}
                 for name, rules in self.validation_rules.items() if name in self.property_names(object_type)]  # fmt: skip
        return 200, {"results": rules}

    def _get_owners(self, *, body: Any, query: Any) -> tuple[int, Any]:
        return 200, {"results": self.owners}


def _same(name: str, stored: Any, value: str) -> bool:
    if stored is None:
        return False
    if name in ("email", "domain"):
        return str(stored).casefold() == value.casefold()
    return str(stored) == value


def _valid_date(text: str) -> bool:
    if _DATE.match(text):
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return False
        return True
    if text.isdigit():
        return int(text) % 86_400_000 == 0  # epoch milliseconds at midnight UTC
    return False


def _valid_datetime(text: str) -> bool:
    if text.isdigit():
        return True
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "properties": dict(record["properties"]), "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"], "archived": False}  # fmt: skip


def _error(message: str, category: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "category": category,
            "correlationId": "00000000-0000-0000-0000-000000000000"}  # fmt: skip


def _rate_limit_body(policy: str, name: str) -> dict[str, Any]:
    return {
        "status": "error",
        "message": f"You have reached your {name} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": "00000000-0000-0000-0000-000000000000",
        "policyName": policy,
        "groupName": "publicapi:private-app-api-calls",
    }


def _input_error(
    trace_id: str | None, record_id: Any, problems: list[tuple[str, str | None, str]]
) -> dict[str, Any]:
    context: dict[str, list[str]] = {"id": [str(record_id)]}
    if trace_id is not None:
        context["objectWriteTraceId"] = [trace_id]
    return {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": "Property values were not valid: "
        + "; ".join(message for _, _, message in problems),
        "context": context,
        "errors": [
            {
                "message": message,
                "code": code,
                **({"context": {"propertyName": [name]}} if name else {}),
            }
            for code, name, message in problems
        ],
    }
