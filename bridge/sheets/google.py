"""Google Sheets adapter: the same interface as ``LocalSheet``, on gspread and google-auth.

A validation costs four Sheets API calls whatever the row count: two reads
(``spreadsheets.get`` and ``values.get``/``values:batchGet``, see
``google_read``) and two writes (``spreadsheets:batchUpdate`` and
``values:batchUpdate``, see ``google_write``), plus one more call of a kind
for each further 9 MiB of payload. A write that would pass Google's limit of
10 million cells stops before its first request (``google_limits``). gspread and HTTP errors are translated into
``SheetAccessError`` subclasses here, at one boundary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from google.auth.exceptions import RefreshError, TransportError
from gspread.exceptions import APIError

from bridge.errors import (
    SheetAuthError,
    SheetPermissionError,
    SheetsRequestError,
    SheetsUnavailableError,
    SpreadsheetCellLimitError,
    SpreadsheetNotFoundError,
    UserSheetPermissionError,
)
from bridge.i18n import N_
from bridge.sheets import google_messages  # noqa: F401 - registers the error texts
from bridge.sheets.google_auth import SheetCredentials, credentials_from_environment
from bridge.sheets.google_http import BridgeHTTPClient, ConnectionFailedError, RetriesExhaustedError
from bridge.sheets.google_layout import SpreadsheetLayout
from bridge.sheets.google_limits import CELL_LIMIT, grid_cells, grid_cells_after
from bridge.sheets.google_read import read_spreadsheet
from bridge.sheets.google_write import (
    MAX_PAYLOAD_BYTES,
    WritePlan,
    plan_write,
    request_bodies,
    value_bodies,
)
from bridge.sheets.retry import RetryPolicy
from bridge.sheets.writeback import WriteBack
from validators.design import Design
from validators.table import SheetTable

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_REASON_CHARS = 300
NO_RESPONSE = N_(
    "no response"
)  # the last status of a request that received no response  # Google's error text kept in an error message


@dataclass
class GoogleSheet:
    """One tab of a Google spreadsheet, chosen by ``gid``, ``sheet`` or the design."""

    spreadsheet_id: str
    gid: int | None = None
    sheet: str | None = None
    credentials: SheetCredentials | None = None
    base_url: str | None = None  # default: BRIDGE_SHEETS_API_URL, else Google's
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    layout: SpreadsheetLayout | None = field(default=None, init=False, repr=False)
    _http: BridgeHTTPClient | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        link = f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"
        tab = self.layout.data_tab.sheet_id if self.layout else self.gid
        return link if tab is None else f"{link}#gid={tab}"

    def http(self) -> BridgeHTTPClient:
        if self._http is None:
            if self.credentials is None:
                self.credentials = credentials_from_environment(self.spreadsheet_id)
            self._http = BridgeHTTPClient(
                self.credentials.credentials, base_url=self.base_url, policy=self.policy
            )
        return self._http

    def read(self, design: Design) -> SheetTable:
        with self._translated_errors():
            table, self.layout = read_spreadsheet(
                self.http(),
                self.spreadsheet_id,
                gid=self.gid,
                sheet=self.sheet,
                design_tab=design.sheet.tab,
                header_row=design.sheet.header_row,
            )
        return table

    def write(self, table: SheetTable, result: WriteBack) -> str:
        if self.layout is None:
            raise RuntimeError("GoogleSheet.write needs a read() of the same sheet first")
        plan = plan_write(table, self.layout, result)
        self._check_cell_limit(plan)
        with self._translated_errors():
            http = self.http()
            for body in request_bodies(plan, self.max_payload_bytes):
                if body["requests"]:
                    http.batch_update(self.spreadsheet_id, body)
            for body in value_bodies(plan, self.max_payload_bytes):
                http.values_batch_update(self.spreadsheet_id, body)
        logger.info(
            "Wrote %d managed columns, %d highlights and %d extra tabs to spreadsheet %s tab %r",
            len(result.columns),
            len(result.marks),
            len(result.extra_sheets),
            self.spreadsheet_id,
            table.title,
        )
        self.layout = None  # the grid and metadata changed: read again before writing again
        return self.url

    def _check_cell_limit(self, plan: WritePlan) -> None:
        """Stop before the first request when the write would pass Google's cell limit."""
        assert self.layout is not None
        needed = grid_cells_after(self.layout, plan.requests)
        cells = grid_cells(self.layout)
        if needed > CELL_LIMIT and needed > cells:
            raise SpreadsheetCellLimitError(self.spreadsheet_id, cells, needed, CELL_LIMIT)

    def call(self, function: Callable[[BridgeHTTPClient], T]) -> T:
        """Run ``function`` with the HTTP client, translating errors (for other modules)."""
        with self._translated_errors():
            return function(self.http())

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        try:
            yield
        except RetriesExhaustedError as error:
            raise SheetsUnavailableError(
                self.spreadsheet_id, str(error.response.status_code), error.attempts
            ) from None
        except ConnectionFailedError as error:
            raise SheetsUnavailableError(self.spreadsheet_id, NO_RESPONSE, error.attempts) from None
        except APIError as error:
            raise self._api_error(error) from None
        except RefreshError:
            # A user token cannot be refreshed; a service account's refresh failed.
            raise SheetAuthError(self.spreadsheet_id) from None
        except TransportError:
            raise SheetsUnavailableError(self.spreadsheet_id, NO_RESPONSE, 1) from None

    def _api_error(self, error: APIError) -> Exception:
        status = error.response.status_code
        account = self.credentials.account if self.credentials else ""
        if status == 401:
            return SheetAuthError(self.spreadsheet_id)
        if status == 403:
            if not account:
                return UserSheetPermissionError(self.spreadsheet_id)
            return SheetPermissionError(self.spreadsheet_id, account)
        if status == 404:
            return SpreadsheetNotFoundError(self.spreadsheet_id)
        reason = _reason(error)
        logger.error(
            "Sheets API rejected a request for spreadsheet %s: %s %s",
            self.spreadsheet_id,
            status,
            reason,
        )
        return SheetsRequestError(self.spreadsheet_id, str(status), reason)


def _reason(error: APIError) -> str:
    details: Any = error.error if isinstance(error.error, dict) else {}
    text = str(details.get("message") or error.response.text or "no details")
    return text[:MAX_REASON_CHARS]
