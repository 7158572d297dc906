"""A fake Google Sheets API v4 on 127.0.0.1, keeping spreadsheets in memory.

It implements the calls the bridge's Google adapter makes (spreadsheets.get,
values.get/batchGet/batchUpdate, spreadsheets.batchUpdate with the requests
listed in ``BATCH_REQUESTS``) and an OAuth token endpoint for service
accounts. Every request is first checked against the Sheets v4 discovery
document (``tests.fakes.discovery``). A request the document does not allow
gets a 400 and is recorded in ``violations``, so a test fails even where the
fake itself would be lenient.

Semantics kept close to the real API where the adapter depends on them:
values are written RAW only (a string stays a string), ``None`` in a value
range leaves the cell unchanged, reads drop trailing empty cells and rows,
writes past the grid are rejected, and developer metadata on a column moves
with the column (``move_column``).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.discovery import DiscoveryChecker, SchemaViolation

BATCH_REQUESTS = (
    "addSheet",
    "appendDimension",
    "updateSheetProperties",
    "updateDimensionProperties",
    "updateCells",
    "repeatCell",
    "createDeveloperMetadata",
    "addChart",
    "deleteEmbeddedObject",
)
_CHECKER = DiscoveryChecker()
_A1_CELL = re.compile(r"^([A-Z]*)(\d*)$")


def column_letter(index: int) -> str:
    """Return the A1 letters of a 0-based column index."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number - 1


def split_range(a1: str) -> tuple[str, str | None]:
    """Return (sheet title, cell part) of an A1 range like ``'My tab'!A1:C``."""
    if "!" not in a1:
        return (a1[1:-1].replace("''", "'") if a1.startswith("'") else a1), None
    title, cells = a1.rsplit("!", 1)
    if title.startswith("'"):
        title = title[1:-1].replace("''", "'")
    return title, cells


class FakeApiError(Exception):
    def __init__(self, status: int, message: str, reason: str = "INVALID_ARGUMENT") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


@dataclass
class FakeSheet:
    """One tab: cells by (row, column), 0-based, with notes and formats."""

    sheet_id: int
    title: str
    index: int
    row_count: int = 1000
    column_count: int = 26
    hidden: bool = False
    frozen_rows: int = 0
    values: dict[tuple[int, int], Any] = field(default_factory=dict)
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    backgrounds: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # rich-text link URIs
    column_widths: dict[int, int] = field(default_factory=dict)
    hidden_columns: set[int] = field(default_factory=set)
    merges: list[dict[str, int]] = field(default_factory=list)
    charts: dict[int, dict[str, Any]] = field(default_factory=dict)

    def check_inside(self, row: int, column: int) -> None:
        if row >= self.row_count or column >= self.column_count:
            raise FakeApiError(
                400,
                f"Range ('{self.title}'!{column_letter(column)}{row + 1}) exceeds grid limits. "
                f"Max rows: {self.row_count}, max columns: {self.column_count}",
            )

    def grid(self) -> list[list[Any]]:
        """Return the values as rows, trailing empty cells and rows dropped."""
        if not self.values:
            return []
        last_row = max(row for row, _ in self.values)
        rows: list[list[Any]] = [[] for _ in range(last_row + 1)]
        for (row, column), value in self.values.items():
            cells = rows[row]
            if len(cells) <= column:
                cells.extend([""] * (column + 1 - len(cells)))
            cells[column] = value
        return rows


@dataclass
class FakeSpreadsheet:
    spreadsheet_id: str
    title: str = "Deals"
    locale: str = "ja_JP"
    time_zone: str = "Asia/Tokyo"
    sheets: list[FakeSheet] = field(default_factory=list)
    # metadataId -> DeveloperMetadata as the API returns it
    metadata: dict[int, dict[str, Any]] = field(default_factory=dict)
    readers: set[str] = field(default_factory=set)  # access tokens allowed in

    def sheet(self, title: str) -> FakeSheet:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise FakeApiError(400, f"Unable to parse range: {title}")

    def sheet_by_id(self, sheet_id: int) -> FakeSheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise FakeApiError(400, f"No grid with id: {sheet_id}")

    def add_sheet(
        self, title: str, rows: list[list[Any]] | None = None, **options: Any
    ) -> FakeSheet:
        """Add a tab (test set-up), filled from ``rows`` where given."""
        ids = {sheet.sheet_id for sheet in self.sheets}
        sheet_id = options.pop("sheet_id", None)
        if sheet_id is None:
            sheet_id = 0 if not ids else max(ids) + 101
        sheet = FakeSheet(sheet_id, title, len(self.sheets), **options)
        for row_index, row in enumerate(rows or []):
            for col_index, value in enumerate(row):
                if value is not None and value != "":
                    sheet.values[(row_index, col_index)] = value
        sheet.row_count = max(sheet.row_count, len(rows or []))
        sheet.column_count = max(sheet.column_count, max((len(r) for r in rows or []), default=0))
        self.sheets.append(sheet)
        return sheet

    def column_metadata(self, sheet: FakeSheet) -> dict[int, list[dict[str, Any]]]:
        found: dict[int, list[dict[str, Any]]] = {}
        for item in self.metadata.values():
            dimension = item["location"].get("dimensionRange")
            if dimension and dimension["sheetId"] == sheet.sheet_id:
                found.setdefault(dimension["startIndex"], []).append(copy.deepcopy(item))
        return found

    def move_column(self, title: str, source: int, destination: int) -> None:
        """Move one column like a user dragging it: values, notes and metadata go along."""
        sheet = self.sheet(title)
        order = list(range(sheet.column_count))
        order.insert(destination, order.pop(source))
        new_index = {old: new for new, old in enumerate(order)}
        for name in ("values", "notes", "backgrounds"):
            cells = getattr(sheet, name)
            setattr(sheet, name, {(r, new_index[c]): v for (r, c), v in cells.items()})
        sheet.column_widths = {new_index[c]: w for c, w in sheet.column_widths.items()}
        sheet.hidden_columns = {new_index[c] for c in sheet.hidden_columns}
        for item in self.metadata.values():
            dimension = item["location"].get("dimensionRange")
            if dimension and dimension["sheetId"] == sheet.sheet_id:
                dimension["startIndex"] = new_index[dimension["startIndex"]]
                dimension["endIndex"] = dimension["startIndex"] + 1

    def cell_range(self, a1: str) -> tuple[FakeSheet, int, int, int | None, int | None]:
        """Return sheet, first row, first column and exclusive ends (None: open) of ``a1``."""
        title, cells = split_range(a1)
        sheet = self.sheet(title)
        if cells is None:
            return sheet, 0, 0, None, None
        start, _, end = cells.partition(":")
        start_match, end_match = _A1_CELL.match(start), _A1_CELL.match(end or start)
        if not start_match or not end_match:
            raise FakeApiError(400, f"Unable to parse range: {a1}")
        first_col = column_index(start_match[1]) if start_match[1] else 0
        first_row = int(start_match[2]) - 1 if start_match[2] else 0
        end_col = column_index(end_match[1]) + 1 if end_match[1] else None
        end_row = int(end_match[2]) if end_match[2] else None
        return sheet, first_row, first_col, end_row, end_col


class FakeSheetsApi:
    """The WSGI application, its state, call counts and fault injection."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, FakeSpreadsheet] = {}
        self.calls: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []  # method id, query and body of each call
        self.violations: list[str] = []
        self.faults: list[int] = []  # statuses returned to the next calls, in order
        self.service_accounts: dict[str, str] = {}  # client_email -> access token issued
        self.tokens_issued = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1000)

    def add_spreadsheet(self, spreadsheet_id: str, token: str, **options: Any) -> FakeSpreadsheet:
        spreadsheet = FakeSpreadsheet(spreadsheet_id, **options)
        spreadsheet.readers.add(token)
        self.spreadsheets[spreadsheet_id] = spreadsheet
        return spreadsheet

    def fail_next(self, *statuses: int) -> None:
        self.faults.extend(statuses)

    def api_calls(self) -> int:
        return sum(count for method, count in self.calls.items() if method != "token")

    # -- WSGI --------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.path == "/token":
            return self._token(request)
        try:
            method, params = _CHECKER.match(request.method, request.path)
            query = parse_qs(request.query_string.decode(), keep_blank_values=True)
            _CHECKER.check_query(method, query)
            body = json.loads(request.get_data(as_text=True)) if request.get_data() else None
            _CHECKER.check_body(method, body)
        except SchemaViolation as violation:
            self.violations.append(str(violation))
            return _error(FakeApiError(400, f"Invalid request: {violation}"))

        short = method.id.removeprefix("sheets.")
        self.calls[short] += 1
        self.requests.append({"method": short, "query": query, "body": body})
        if self.faults:
            status = self.faults.pop(0)
            return _error(FakeApiError(status, "Injected failure", "UNAVAILABLE"))
        try:
            spreadsheet = self._authorize(request, params["spreadsheetId"])
            handler = getattr(self, "_" + short.replace(".", "_"))
            return Response(json.dumps(handler(spreadsheet, params, query, body)), 200,
                            content_type="application/json")  # fmt: skip
        except FakeApiError as error:
            return _error(error)

    def _authorize(self, request: Request, spreadsheet_id: str) -> FakeSpreadsheet:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        if not header.startswith("Bearer ") or not token:
            raise FakeApiError(401, "Request is missing required authentication credential.",
                               "UNAUTHENTICATED")  # fmt: skip
        spreadsheet = self.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            raise FakeApiError(404, "Requested entity was not found.", "NOT_FOUND")
        if token not in spreadsheet.readers:
            raise FakeApiError(403, "The caller does not have permission", "PERMISSION_DENIED")
        return spreadsheet

    def _token(self, request: Request) -> Response:
        """OAuth token endpoint for a service account's signed JWT (signature not checked)."""
        self.calls["token"] += 1
        form = request.form
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return Response(json.dumps({"error": "unsupported_grant_type"}), 400)
        self.tokens_issued += 1
        payload = form["assertion"].split(".")[1]
        claims = json.loads(_b64decode(payload))
        token = self.service_accounts.setdefault(claims["iss"], f"sa-token-{self.tokens_issued}")
        body = {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
        return Response(json.dumps(body), 200, content_type="application/json")

    # -- spreadsheets.get ----------------------------------------------------------

    def _spreadsheets_get(self, spreadsheet: FakeSpreadsheet, params, query, body) -> dict:
        # NOTE: the field mask in ``fields`` is accepted but not applied: the fake
        # always returns the properties, sheets, merges, charts and column metadata.
        sheets = []
        for sheet in spreadsheet.sheets:
            by_column = spreadsheet.column_metadata(sheet)
            columns = []
            for index in range(sheet.column_count):
                item: dict[str, Any] = {"pixelSize": sheet.column_widths.get(index, 100)}
                if index in sheet.hidden_columns:
                    item["hiddenByUser"] = True
                if index in by_column:
                    item["developerMetadata"] = by_column[index]
                columns.append(item)
            sheet_metadata = [
                copy.deepcopy(item) for item in spreadsheet.metadata.values()
                if item["location"].get("sheetId") == sheet.sheet_id
            ]  # fmt: skip
            entry: dict[str, Any] = {
                "properties": {
                    "sheetId": sheet.sheet_id,
                    "title": sheet.title,
                    "index": sheet.index,
                    "sheetType": "GRID",
                    "gridProperties": {
                        "rowCount": sheet.row_count,
                        "columnCount": sheet.column_count,
                        **({"frozenRowCount": sheet.frozen_rows} if sheet.frozen_rows else {}),
                    },
                    **({"hidden": True} if sheet.hidden else {}),
                },
                "data": [{"columnMetadata": columns}],
            }
            if sheet.merges:
                entry["merges"] = copy.deepcopy(sheet.merges)
            if sheet.charts:
                entry["charts"] = [{"chartId": chart_id} for chart_id in sheet.charts]
            if sheet_metadata:
                entry["developerMetadata"] = sheet_metadata
            sheets.append(entry)
        return {
            "spreadsheetId": spreadsheet.spreadsheet_id,
            "properties": {
                "title": spreadsheet.title,
                "locale": spreadsheet.locale,
                "timeZone": spreadsheet.time_zone,
            },
            "sheets": sheets,
        }

    # -- values --------------------------------------------------------------------

    def _read_range(self, spreadsheet: FakeSpreadsheet, a1: str, query: dict) -> dict:
        render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
        dates = query.get("dateTimeRenderOption", ["SERIAL_NUMBER"])[0]
        if render != "UNFORMATTED_VALUE" or dates != "SERIAL_NUMBER":
            raise FakeApiError(400, "The fake serves UNFORMATTED_VALUE with SERIAL_NUMBER only")
        sheet, first_row, first_col, end_row, end_col = spreadsheet.cell_range(a1)
        rows = []
        for row in sheet.grid()[first_row:end_row]:
            cells = row[first_col:end_col]
            while cells and cells[-1] == "":
                cells.pop()
            rows.append(cells)
        while rows and not rows[-1]:
            rows.pop()
        result: dict[str, Any] = {"range": a1, "majorDimension": "ROWS"}
        if rows:
            result["values"] = rows
        return result

    def _spreadsheets_values_get(self, spreadsheet, params, query, body) -> dict:
        return self._read_range(spreadsheet, params["range"], query)

    def _spreadsheets_values_batchGet(self, spreadsheet, params, query, body) -> dict:
        ranges = [self._read_range(spreadsheet, a1, query) for a1 in query.get("ranges", [])]
        return {"spreadsheetId": spreadsheet.spreadsheet_id, "valueRanges": ranges}

    def _spreadsheets_values_batchUpdate(self, spreadsheet, params, query, body) -> dict:
        if body.get("valueInputOption") != "RAW":
            raise FakeApiError(400, "The fake accepts valueInputOption RAW only")
        updated = 0
        for value_range in body.get("data", []):
            if value_range.get("majorDimension", "ROWS") != "ROWS":
                raise FakeApiError(400, "The fake accepts majorDimension ROWS only")
            sheet, first_row, first_col, end_row, end_col = spreadsheet.cell_range(
                value_range["range"]
            )
            rows = value_range.get("values", [])
            if end_row is not None and first_row + len(rows) > end_row:
                raise FakeApiError(
                    400, "Requested writing within range, but tried to write more rows"
                )
            for row_offset, row in enumerate(rows):
                if end_col is not None and first_col + len(row) > end_col:
                    raise FakeApiError(400, "Tried writing to more columns than the range allows")
                for col_offset, value in enumerate(row):
                    if value is None:
                        continue  # the API skips null values
                    if not isinstance(value, str | int | float | bool):
                        raise FakeApiError(400, f"Invalid value {value!r}")
                    cell = (first_row + row_offset, first_col + col_offset)
                    sheet.check_inside(*cell)
                    if value == "":
                        sheet.values.pop(cell, None)
                    else:
                        sheet.values[cell] = value
                    updated += 1
        return {"spreadsheetId": spreadsheet.spreadsheet_id, "totalUpdatedCells": updated}

    # -- spreadsheets.batchUpdate ----------------------------------------------------

    def _spreadsheets_batchUpdate(self, spreadsheet, params, query, body) -> dict:
        # NOTE: the real API applies all requests or none. The fake applies them
        # in place because a copy per call is too slow for 50,000 rows, so a
        # failed request leaves the earlier ones of its call applied.
        replies = []
        for request in body.get("requests", []):
            (kind, spec), *rest = request.items()
            if rest or kind not in BATCH_REQUESTS:
                raise FakeApiError(400, f"The fake does not implement {list(request)}")
            replies.append(getattr(self, "_request_" + kind)(spreadsheet, spec) or {})
        return {"spreadsheetId": spreadsheet.spreadsheet_id, "replies": replies}

    def _request_addSheet(self, work: FakeSpreadsheet, spec: dict) -> dict:
        properties = spec.get("properties", {})
        title = properties.get("title") or f"Sheet{len(work.sheets) + 1}"
        if any(sheet.title == title for sheet in work.sheets):
            raise FakeApiError(400, f'A sheet with the name "{title}" already exists.')
        sheet_id = properties.get("sheetId", next(self._ids))
        if any(sheet.sheet_id == sheet_id for sheet in work.sheets):
            raise FakeApiError(400, f"A sheet with id {sheet_id} already exists.")
        grid = properties.get("gridProperties", {})
        sheet = FakeSheet(
            sheet_id, title, len(work.sheets),
            row_count=grid.get("rowCount", 1000), column_count=grid.get("columnCount", 26),
            hidden=properties.get("hidden", False),
        )  # fmt: skip
        work.sheets.append(sheet)
        return {"addSheet": {"properties": {"sheetId": sheet_id, "title": title}}}

    def _request_appendDimension(self, work: FakeSpreadsheet, spec: dict) -> None:
        sheet = work.sheet_by_id(spec["sheetId"])
        if spec["dimension"] == "COLUMNS":
            sheet.column_count += spec["length"]
        else:
            sheet.row_count += spec["length"]

    def _request_updateSheetProperties(self, work: FakeSpreadsheet, spec: dict) -> None:
        properties = spec["properties"]
        sheet = work.sheet_by_id(properties["sheetId"])
        for path in spec["fields"].split(","):
            path = path.strip()
            if path == "gridProperties.frozenRowCount":
                sheet.frozen_rows = properties["gridProperties"].get("frozenRowCount", 0)
            elif path == "gridProperties.columnCount":
                sheet.column_count = properties["gridProperties"]["columnCount"]
            elif path == "gridProperties.rowCount":
                sheet.row_count = properties["gridProperties"]["rowCount"]
            elif path == "hidden":
                sheet.hidden = properties.get("hidden", False)
            else:
                raise FakeApiError(400, f"The fake does not implement field {path!r}")

    def _request_updateDimensionProperties(self, work: FakeSpreadsheet, spec: dict) -> None:
        dimension = spec["range"]
        if dimension["dimension"] != "COLUMNS":
            raise FakeApiError(400, "The fake sets column properties only")
        sheet = work.sheet_by_id(dimension["sheetId"])
        properties = spec["properties"]
        for index in range(dimension["startIndex"], dimension["endIndex"]):
            sheet.check_inside(0, index)
            for path in spec["fields"].split(","):
                if path == "pixelSize":
                    sheet.column_widths[index] = properties["pixelSize"]
                elif path == "hiddenByUser":
                    if properties.get("hiddenByUser"):
                        sheet.hidden_columns.add(index)
                    else:
                        sheet.hidden_columns.discard(index)
                else:
                    raise FakeApiError(400, f"The fake does not implement field {path!r}")

    def _apply_cell(self, sheet: FakeSheet, cell: tuple[int, int], data: dict, fields: str) -> None:
        sheet.check_inside(*cell)
        for path in fields.split(","):
            path = path.strip()
            if path == "note":
                if data.get("note"):
                    sheet.notes[cell] = data["note"]
                else:
                    sheet.notes.pop(cell, None)
            elif path == "userEnteredFormat.backgroundColor":
                colour = data.get("userEnteredFormat", {}).get("backgroundColor")
                if colour:
                    sheet.backgrounds[cell] = colour
                else:
                    sheet.backgrounds.pop(cell, None)
            elif path == "userEnteredValue":
                entered = data.get("userEnteredValue")
                if entered is None:
                    sheet.values.pop(cell, None)
                elif set(entered) == {"stringValue"}:
                    sheet.values[cell] = entered["stringValue"]
                else:
                    raise FakeApiError(400, "The fake sets string values only with updateCells")
            elif path == "textFormatRuns":
                links = [run["format"]["link"]["uri"] for run in data.get("textFormatRuns", [])
                         if "link" in run.get("format", {})]  # fmt: skip
                if links:
                    sheet.links[cell] = links[0]
                else:
                    sheet.links.pop(cell, None)
            else:
                raise FakeApiError(400, f"The fake does not implement field {path!r}")

    def _request_updateCells(self, work: FakeSpreadsheet, spec: dict) -> None:
        if "range" in spec:
            grid = spec["range"]
            sheet = work.sheet_by_id(grid["sheetId"])
            first_row, first_col = grid.get("startRowIndex", 0), grid.get("startColumnIndex", 0)
            end_row = grid.get("endRowIndex", sheet.row_count)
            end_col = grid.get("endColumnIndex", sheet.column_count)
            rows = spec.get("rows", [])
            for row in range(first_row, end_row):
                values = (
                    rows[row - first_row].get("values", []) if row - first_row < len(rows) else []
                )
                for column in range(first_col, end_col):
                    offset = column - first_col
                    data = values[offset] if offset < len(values) else {}
                    self._apply_cell(sheet, (row, column), data, spec["fields"])
            return
        start = spec["start"]
        sheet = work.sheet_by_id(start["sheetId"])
        for row_offset, row in enumerate(spec.get("rows", [])):
            for col_offset, data in enumerate(row.get("values", [])):
                cell = (
                    start.get("rowIndex", 0) + row_offset,
                    start.get("columnIndex", 0) + col_offset,
                )
                self._apply_cell(sheet, cell, data, spec["fields"])

    def _request_repeatCell(self, work: FakeSpreadsheet, spec: dict) -> None:
        grid = spec["range"]
        sheet = work.sheet_by_id(grid["sheetId"])
        for row in range(grid.get("startRowIndex", 0), grid.get("endRowIndex", sheet.row_count)):
            for column in range(
                grid.get("startColumnIndex", 0), grid.get("endColumnIndex", sheet.column_count)
            ):
                self._apply_cell(sheet, (row, column), spec.get("cell", {}), spec["fields"])

    def _request_createDeveloperMetadata(self, work: FakeSpreadsheet, spec: dict) -> dict:
        item = copy.deepcopy(spec["developerMetadata"])
        if "metadataKey" not in item or "visibility" not in item:
            raise FakeApiError(400, "Developer metadata needs a key and a visibility")
        location = item.get("location", {})
        dimension = location.get("dimensionRange")
        if dimension:
            sheet = work.sheet_by_id(dimension["sheetId"])
            if dimension["endIndex"] - dimension["startIndex"] != 1:
                raise FakeApiError(400, "The fake keeps metadata on single columns only")
            sheet.check_inside(0, dimension["startIndex"])
            location["locationType"] = dimension["dimension"][:-1]  # COLUMNS -> COLUMN
        elif "sheetId" in location:
            work.sheet_by_id(location["sheetId"])
            location["locationType"] = "SHEET"
        else:
            raise FakeApiError(400, "The fake keeps metadata on columns and sheets only")
        item["metadataId"] = item.get("metadataId", next(self._ids))
        if item["metadataId"] in work.metadata:
            raise FakeApiError(400, f"Metadata id {item['metadataId']} already exists")
        item["location"] = location
        work.metadata[item["metadataId"]] = item
        return {"createDeveloperMetadata": {"developerMetadata": copy.deepcopy(item)}}

    def _request_addChart(self, work: FakeSpreadsheet, spec: dict) -> dict:
        chart = copy.deepcopy(spec["chart"])
        anchor = chart["position"]["overlayPosition"]["anchorCell"]
        sheet = work.sheet_by_id(anchor["sheetId"])
        chart_id = chart.get("chartId", next(self._ids))
        chart["chartId"] = chart_id
        sheet.charts[chart_id] = chart
        return {"addChart": {"chart": {"chartId": chart_id}}}

    def _request_deleteEmbeddedObject(self, work: FakeSpreadsheet, spec: dict) -> None:
        for sheet in work.sheets:
            if sheet.charts.pop(spec["objectId"], None) is not None:
                return
        raise FakeApiError(400, f"No object with id {spec['objectId']}")


def _b64decode(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _error(error: FakeApiError) -> Response:
    body = {"error": {"code": error.status, "message": str(error), "status": error.reason}}
    return Response(json.dumps(body), error.status, content_type="application/json")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # the calls are counted in FakeSheetsApi.calls instead


class FakeSheetsServer:
    """Runs ``FakeSheetsApi`` in a thread on 127.0.0.1 at a free port."""

    def __init__(self) -> None:
        self.api = FakeSheetsApi()
        self._server = make_server(
            "127.0.0.1", 0, self.api, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeSheetsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
