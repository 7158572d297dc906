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
writes past the grid are rejected, ``spreadsheets.get`` returns only the
fields its field mask selects, and developer metadata on a column moves
with the column (``move_column``). Conditional format rules are kept per
tab, checked as far as the discovery document's descriptions say (see
``check_rule``), and move with the rows that ``insert_rows`` inserts.
A request body over 10 MiB gets the 400 that Google returns for it, and its
size is recorded in ``refused_sizes``. Adding or growing a tab past 10
million cells in the whole spreadsheet gets Google's 400 too.
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
    "addConditionalFormatRule",
    "updateConditionalFormatRule",
    "deleteConditionalFormatRule",
)
_CHECKER = DiscoveryChecker()
PAYLOAD_LIMIT = 10 * 1024 * 1024  # Google rejects larger request bodies
CELL_LIMIT = 10_000_000  # cells of all tabs' grids in one spreadsheet
_A1_CELL = re.compile(r"^([A-Z]*)(\d*)$")
_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")
# A cell reference in a formula, not part of a name or a function call such as LOG10(.
_FORMULA_CELL = re.compile(r"(?<![A-Za-z0-9_.$])(\$?)([A-Z]{1,3})(\$?)(\d+)(?![A-Za-z0-9_(])")
_FORMULA_STRING = re.compile(r'("(?:[^"]|"")*")')
# The formatting that conditional formatting may apply, per the BooleanRule.format description.
RULE_FORMAT_FIELDS = {"backgroundColor", "backgroundColorStyle", "textFormat"}
RULE_TEXT_FORMAT_FIELDS = {
    "bold", "italic", "strikethrough", "foregroundColor", "foregroundColorStyle",
}  # fmt: skip


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
    # ConditionalFormatRule objects as spreadsheets.get returns them, in priority order
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)

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

    def check_cell_limit(self, added: int) -> None:
        cells = sum(sheet.row_count * sheet.column_count for sheet in self.sheets)
        if cells + added > CELL_LIMIT:
            raise FakeApiError(
                400,
                "This action would increase the number of cells in the workbook above the "
                f"limit of {CELL_LIMIT} cells.",
            )

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

    def insert_rows(self, title: str, index: int, count: int = 1) -> None:
        """Insert ``count`` blank rows above the 0-based row ``index``, as a user in Google Sheets.

        Cells, notes, formats, merges and conditional format ranges below
        move down, and a range that spans ``index`` grows. References in rule
        formulas to rows that moved are rewritten, as Google Sheets rewrites
        references in cell formulas.
        """
        sheet = self.sheet(title)
        for name in ("values", "notes", "backgrounds", "links"):
            cells = getattr(sheet, name)
            setattr(sheet, name, {(r + count if r >= index else r, c): v
                                  for (r, c), v in cells.items()})  # fmt: skip
        sheet.row_count += count
        for merge in sheet.merges:
            merge["startRowIndex"], merge["endRowIndex"] = _shift_span(
                merge.get("startRowIndex", 0), merge.get("endRowIndex", 0), index, count
            )
        for rule in sheet.conditional_formats:
            for grid in rule.get("ranges", []):
                start, end = _shift_span(
                    grid.get("startRowIndex", 0), grid.get("endRowIndex", 0), index, count
                )
                grid.update(startRowIndex=start, endRowIndex=end)
                _drop_zero_indexes(grid)
            for value in rule.get("booleanRule", {}).get("condition", {}).get("values", []):
                if value.get("userEnteredValue", "").startswith("="):
                    value["userEnteredValue"] = shift_formula_rows(
                        value["userEnteredValue"], index, count
                    )

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
        self.refused_sizes: list[int] = []  # bytes of bodies rejected as too large
        self.body_sizes: list[int] = []  # bytes of every accepted request body
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
        size = request.content_length or 0
        if size > PAYLOAD_LIMIT:
            self.refused_sizes.append(size)
            message = f"Request payload size exceeds the limit: {PAYLOAD_LIMIT} bytes."
            return _error(FakeApiError(400, message))
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
        self.body_sizes.append(size)
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
        response = self._whole_spreadsheet(spreadsheet)
        fields = query.get("fields", [None])[0]
        if fields is None:
            return response
        selection = parse_field_mask(fields)
        check_field_mask(selection, "Spreadsheet", fields)
        return apply_field_mask(response, selection)

    def _whole_spreadsheet(self, spreadsheet: FakeSpreadsheet) -> dict:
        """Return what the fake keeps of a spreadsheet, in the response's form."""
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
            if sheet.conditional_formats:
                entry["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
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
        work.check_cell_limit(grid.get("rowCount", 1000) * grid.get("columnCount", 26))
        sheet = FakeSheet(
            sheet_id, title, len(work.sheets),
            row_count=grid.get("rowCount", 1000), column_count=grid.get("columnCount", 26),
            hidden=properties.get("hidden", False),
        )  # fmt: skip
        work.sheets.append(sheet)
        return {"addSheet": {"properties": {"sheetId": sheet_id, "title": title}}}

    def _request_appendDimension(self, work: FakeSpreadsheet, spec: dict) -> None:
        sheet = work.sheet_by_id(spec["sheetId"])
        across = sheet.row_count if spec["dimension"] == "COLUMNS" else sheet.column_count
        work.check_cell_limit(across * spec["length"])
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

    def _request_addConditionalFormatRule(self, work: FakeSpreadsheet, spec: dict) -> None:
        sheet, rule = check_rule(work, spec.get("rule"))
        index = spec.get("index", 0)
        if not 0 <= index <= len(sheet.conditional_formats):
            raise FakeApiError(400, f"Invalid index {index} for a new conditional format rule "
                                    f"on sheet {sheet.sheet_id}")  # fmt: skip
        sheet.conditional_formats.insert(index, rule)

    def _request_updateConditionalFormatRule(self, work: FakeSpreadsheet, spec: dict) -> dict:
        if ("rule" in spec) == ("newIndex" in spec):
            raise FakeApiError(400, "updateConditionalFormatRule needs either rule or newIndex")
        index = spec.get("index", 0)
        if "newIndex" in spec:
            if "sheetId" not in spec:
                raise FakeApiError(400, "updateConditionalFormatRule with newIndex needs sheetId")
            sheet = work.sheet_by_id(spec["sheetId"])
            _check_rule_index(sheet, index)
            _check_rule_index(sheet, spec["newIndex"])
            moved = sheet.conditional_formats.pop(index)
            sheet.conditional_formats.insert(spec["newIndex"], moved)
            reply = {"oldIndex": index, "newIndex": spec["newIndex"], "newRule": moved}
            return {"updateConditionalFormatRule": copy.deepcopy(reply)}
        sheet, rule = check_rule(work, spec["rule"])
        _check_rule_index(sheet, index)
        old = sheet.conditional_formats[index]
        sheet.conditional_formats[index] = rule
        reply = {"newIndex": index, "newRule": rule, "oldRule": old}
        return {"updateConditionalFormatRule": copy.deepcopy(reply)}

    def _request_deleteConditionalFormatRule(self, work: FakeSpreadsheet, spec: dict) -> dict:
        sheet = work.sheet_by_id(spec.get("sheetId", 0))
        index = spec.get("index", 0)
        _check_rule_index(sheet, index)
        rule = sheet.conditional_formats.pop(index)
        return {"deleteConditionalFormatRule": {"rule": rule}}


# -- conditional format rules ------------------------------------------------------

_CONDITION_TYPE = _CHECKER.schemas["BooleanCondition"]["properties"]["type"]
# Condition types whose description names conditional formatting, with the number
# of condition values the description requires.
RULE_CONDITION_VALUES: dict[str, int] = {}
for _type, _text in zip(_CONDITION_TYPE["enum"], _CONDITION_TYPE["enumDescriptions"], strict=True):
    if "conditional formatting" in _text:
        _count = re.search(r"Requires (no|a single|exactly two) ConditionValue", _text)
        RULE_CONDITION_VALUES[_type] = {"no": 0, "a single": 1, "exactly two": 2}[_count[1]]
RELATIVE_DATE_TYPES = {"DATE_BEFORE", "DATE_AFTER", "DATE_ON_OR_BEFORE", "DATE_ON_OR_AFTER"}


def check_rule(work: FakeSpreadsheet, rule: Any) -> tuple[FakeSheet, dict[str, Any]]:
    """Return the rule's sheet and the rule as stored, or raise FakeApiError like the API.

    The checks follow the discovery document's descriptions:

    - all ranges are on one grid, inside it;
    - a rule is either boolean or gradient;
    - the condition type supports conditional formatting and has the number
      of values its description requires;
    - a formula begins with = or +, and a relative date goes only with the
      date comparisons;
    - a format sets only bold, italic, strikethrough, foreground and
      background colour, with colour components in [0, 1].
    """
    if not isinstance(rule, dict) or not rule.get("ranges"):
        raise FakeApiError(400, "A conditional format rule needs at least one range")
    sheet_ids = {grid.get("sheetId", 0) for grid in rule["ranges"]}
    if len(sheet_ids) != 1:
        raise FakeApiError(400, "All ranges of a conditional format rule must be on the same grid")
    sheet = work.sheet_by_id(sheet_ids.pop())
    for grid in rule["ranges"]:
        _check_grid_range(sheet, grid)
    if ("booleanRule" in rule) == ("gradientRule" in rule):
        raise FakeApiError(
            400, "A conditional format rule is either a booleanRule or a gradientRule"
        )
    if "booleanRule" in rule:
        _check_condition(rule["booleanRule"].get("condition"))
        _check_rule_format(rule["booleanRule"].get("format", {}))
    return sheet, _stored_rule(rule)


def _check_grid_range(sheet: FakeSheet, grid: dict[str, Any]) -> None:
    for dimension, size in (("Row", sheet.row_count), ("Column", sheet.column_count)):
        start = grid.get(f"start{dimension}Index", 0)
        end = grid.get(f"end{dimension}Index", size)
        if not 0 <= start <= end <= size:
            raise FakeApiError(400, f"Range {grid} is outside the grid of sheet {sheet.sheet_id} "
                                    f"({sheet.row_count} rows, {sheet.column_count} columns)")  # fmt: skip


def _check_condition(condition: Any) -> None:
    if not isinstance(condition, dict) or condition.get("type") not in RULE_CONDITION_VALUES:
        kind = condition.get("type") if isinstance(condition, dict) else None
        raise FakeApiError(
            400, f"Condition type {kind!r} is not supported by conditional formatting"
        )
    values = condition.get("values", [])
    expected = RULE_CONDITION_VALUES[condition["type"]]
    if len(values) != expected:
        raise FakeApiError(400, f"{condition['type']} requires {expected} condition values, "
                                f"got {len(values)}")  # fmt: skip
    for value in values:
        if "relativeDate" in value and condition["type"] not in RELATIVE_DATE_TYPES:
            raise FakeApiError(400, f"relativeDate is not valid with {condition['type']}")
        if ("relativeDate" in value) == ("userEnteredValue" in value):
            raise FakeApiError(400, "A condition value is either userEnteredValue or relativeDate")
    if condition["type"] == "CUSTOM_FORMULA":
        formula = values[0].get("userEnteredValue", "")
        if not formula.startswith(("=", "+")):
            raise FakeApiError(400, f"Invalid custom formula {formula!r}: it must begin with =")


def _check_rule_format(cell_format: dict[str, Any]) -> None:
    extra = set(cell_format) - RULE_FORMAT_FIELDS
    extra |= set(cell_format.get("textFormat", {})) - RULE_TEXT_FORMAT_FIELDS
    if extra:
        raise FakeApiError(400, f"Conditional formatting cannot set {sorted(extra)}")
    colours = [cell_format.get("backgroundColor"),
               cell_format.get("backgroundColorStyle", {}).get("rgbColor"),
               cell_format.get("textFormat", {}).get("foregroundColor"),
               cell_format.get("textFormat", {}).get("foregroundColorStyle", {}).get("rgbColor")]  # fmt: skip
    for colour in colours:
        for name, component in (colour or {}).items():
            if not 0 <= component <= 1:
                raise FakeApiError(400, f"Colour component {name}={component} is outside [0, 1]")


def _stored_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """Return ``rule`` in the form that spreadsheets.get returns.

    Indexes and colour components that are 0 are left out, as proto3 JSON
    leaves out defaults. Colours are rounded to 8 bits per channel and given
    in both the plain and the style form. The rounding is an assumption
    about the live API, not documented, and keeps callers from relying on
    getting back the exact colour they sent.
    """
    stored = copy.deepcopy(rule)
    for grid in stored["ranges"]:
        _drop_zero_indexes(grid)
    cell_format = stored.get("booleanRule", {}).get("format", {})
    for holder, plain, style in ((cell_format, "backgroundColor", "backgroundColorStyle"),
                                 (cell_format.get("textFormat", {}), "foregroundColor",
                                  "foregroundColorStyle")):  # fmt: skip
        colour = holder.get(plain) or holder.get(style, {}).get("rgbColor")
        if colour is None:
            continue
        rounded = {name: round(value * 255) / 255 for name, value in colour.items() if value}
        holder[plain] = rounded
        holder[style] = {"rgbColor": dict(rounded)}
    return stored


def _drop_zero_indexes(grid: dict[str, Any]) -> None:
    for name in [name for name, value in grid.items() if value == 0]:
        del grid[name]


def _check_rule_index(sheet: FakeSheet, index: int) -> None:
    if not 0 <= index < len(sheet.conditional_formats):
        raise FakeApiError(
            400, f"No conditional format on sheet: {sheet.sheet_id} at index: {index}"
        )


def _shift_span(start: int, end: int, index: int, count: int) -> tuple[int, int]:
    """Return a half-open row span after ``count`` rows were inserted above row ``index``."""
    if start >= index:
        return start + count, end + count
    if end > index:
        return start, end + count
    return start, end


def shift_formula_rows(formula: str, index: int, count: int) -> str:
    """Return ``formula`` with references to rows from 0-based ``index`` on moved down by ``count``.

    Text inside string literals is left alone. Absolute rows move too, as
    they do in Google Sheets when rows are inserted.
    """

    def shift(found: re.Match[str]) -> str:
        row = int(found[4])
        if row - 1 >= index:
            row += count
        return f"{found[1]}{found[2]}{found[3]}{row}"

    parts = _FORMULA_STRING.split(formula)
    return "".join(part if part.startswith('"') else _FORMULA_CELL.sub(shift, part)
                   for part in parts)  # fmt: skip


# -- field masks -------------------------------------------------------------------


def parse_field_mask(text: str) -> dict[str, Any]:
    """Parse a partial-response field mask such as ``a(b,c/d),e``.

    Return a tree of field names, in which a name mapped to None selects the
    whole field.
    """
    selection, position = _parse_fields(text, 0)
    if position != len(text):
        raise FakeApiError(400, f"Invalid field selection {text!r} at character {position}")
    return selection


def _parse_fields(text: str, position: int) -> tuple[dict[str, Any], int]:
    selection: dict[str, Any] = {}
    while True:
        found = _FIELD_PATH.match(text, position)
        if found is None:
            raise FakeApiError(400, f"Invalid field selection {text!r} at character {position}")
        position = found.end()
        children = None
        if text.startswith("(", position):
            children, position = _parse_fields(text, position + 1)
            if not text.startswith(")", position):
                raise FakeApiError(400, f"Invalid field selection {text!r}: missing )")
            position += 1
        for name in reversed(found[0].split("/")):  # a/b(c) is a(b(c))
            children = {name: children}
        for name, nested in children.items():
            _select(selection, name, nested)
        if not text.startswith(",", position):
            return selection, position
        position += 1


def _select(node: dict[str, Any], name: str, children: dict[str, Any] | None) -> None:
    """Add a selection of ``name`` to ``node``. Selecting a whole field wins over its parts."""
    if name in node and node[name] is None:
        return
    if children is None:
        node[name] = None
        return
    selected = node.setdefault(name, {})
    for child, nested in children.items():
        _select(selected, child, nested)


def check_field_mask(selection: dict[str, Any], schema_name: str, text: str) -> None:
    """Raise FakeApiError when ``selection`` names a field that ``schema_name`` lacks."""
    properties = _CHECKER.schemas[schema_name].get("properties", {})
    for name, children in selection.items():
        if name not in properties:
            raise FakeApiError(400, f"Invalid field selection {text!r}: {schema_name} has no "
                                    f"field {name!r}")  # fmt: skip
        if children is None:
            continue
        spec = properties[name]
        spec = spec.get("items", spec)
        if "$ref" not in spec:
            raise FakeApiError(400, f"Invalid field selection {text!r}: {name!r} has no fields")
        check_field_mask(children, spec["$ref"], text)


def apply_field_mask(value: Any, selection: dict[str, Any] | None) -> Any:
    """Return the parts of ``value`` that ``selection`` selects."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [apply_field_mask(item, selection) for item in value]
    if isinstance(value, dict):
        return {name: apply_field_mask(value[name], children)
                for name, children in selection.items() if name in value}  # fmt: skip
    return value


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
