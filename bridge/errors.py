"""Exceptions of the bridge, all rooted at ``BridgeError``.

Each class has a stable ``code`` and keeps its inputs in ``params`` (strings,
ready for a translated message template) and as attributes. ``str()`` is an
English fallback that names the value and what to do next. Classes are grouped
by what the caller should do::

    BridgeError
    ├── InputError                 the user's file or argument is wrong: fix it, run again
    │   ├── SourceNotFoundError        file_not_found
    │   ├── NotAFileError              not_a_file
    │   ├── UnsupportedFileError       unsupported_file
    │   ├── UnreadableFileError        unreadable_file
    │   ├── EmptyFileError             empty_file
    │   ├── EncodingUnknownError       encoding_unknown
    │   ├── CsvSyntaxError             csv_syntax
    │   ├── SheetNotFoundError         sheet_not_found
    │   ├── NoDataSheetError           no_data_sheet
    │   └── HeaderRowNotFoundError     header_row_not_found
    └── OutputError                the result cannot be saved where requested
        ├── OutputNotWritableError     output_not_writable
        └── OutputIsSourceError        output_is_source
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from bridge.reasons import Reason, reason_of


class BridgeError(Exception):
    """Root of every error the bridge reports to a user."""

    code: ClassVar[str] = "bridge_error"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.params: dict[str, Any] = params


class InputError(BridgeError):
    """A source file, sheet or argument given by the user cannot be used."""

    code = "input_error"


class SourceNotFoundError(InputError):
    code = "file_not_found"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"File not found: {path}. Check the path and the current directory.",
            path=str(path),
        )


class NotAFileError(InputError):
    code = "not_a_file"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"{path} is a directory, not a file. Give the path of an .xlsx or .csv file.",
            path=str(path),
        )


class UnsupportedFileError(InputError):
    code = "unsupported_file"

    def __init__(self, path: Path, supported: tuple[str, ...] = (".xlsx", ".csv")) -> None:
        self.path = path
        self.supported = supported
        listed = ", ".join(supported)
        super().__init__(
            f"Unsupported file type {path.suffix or '(no extension)'!r} for {path}. "
            f"Use one of: {listed} (in Excel: File > Save As > Excel Workbook).",
            path=str(path),
            suffix=path.suffix,
            supported=listed,
        )


class TextFileSuffixError(UnsupportedFileError):
    """A .txt or .tsv source: the .csv reader would read it, but only under a .csv name."""

    code = "text_file_suffix"


class NoTabsError(UnsupportedFileError):
    """--design-tab names a tab of a .csv file, which has no tabs."""

    code = "no_tabs"


class UnreadableFileError(InputError):
    code = "unreadable_file"

    def __init__(self, path: Path, reason: Reason | str) -> None:
        self.path = path
        self.reason = reason_of(reason)
        reason = str(self.reason)
        super().__init__(
            f"Cannot read {path}: {reason}. Open it in Excel, save it as .xlsx or .csv "
            "and try again.",
            path=str(path),
            reason=reason,
        )


class EmptyFileError(InputError):
    code = "empty_file"

    def __init__(self, path: Path, sheet: str | None = None) -> None:
        self.path = path
        self.sheet = sheet
        where = f"Sheet {sheet!r} of {path}" if sheet else str(path)
        super().__init__(
            f"{where} is empty. Check that you chose the right file and sheet.",
            path=str(path),
            sheet=sheet or "",
        )


class CsvSyntaxError(InputError):
    code = "csv_syntax"

    def __init__(self, path: Path, line: int, detail: str) -> None:
        self.path = path
        self.line = line
        super().__init__(
            f"{path} breaks off at line {line} ({detail}): a quoted cell is not closed, or "
            "text follows its closing quote. Fix the quotes there, or save the file again "
            "from Excel.",
            path=str(path),
            line=line,
        )


class NulCharacterError(InputError):
    """A NUL byte in a .csv file without a UTF-16 BOM, so the file is damaged or not text."""

    code = "csv_nul"

    def __init__(self, path: Path, line: int) -> None:
        self.path = path
        self.line = line
        super().__init__(
            f"Line {line} of {path} contains a NUL character (byte 0), which a .csv file "
            "cannot contain. The file may be damaged or not a .csv file.",
            path=str(path),
            line=line,
        )


class EncodingUnknownError(InputError):
    code = "encoding_unknown"

    def __init__(self, path: Path, tried: tuple[str, ...]) -> None:
        self.path = path
        self.tried = tried
        listed = ", ".join(tried)
        super().__init__(
            f"Cannot decode {path} as any of: {listed}. Save it again as "
            "'CSV UTF-8 (Comma delimited)' in Excel.",
            path=str(path),
            tried=listed,
        )


class SheetNotFoundError(InputError):
    code = "sheet_not_found"

    def __init__(self, path: Path, sheet: str, available: list[str]) -> None:
        self.path = path
        self.sheet = sheet
        self.available = available
        listed = ", ".join(repr(name) for name in available)
        super().__init__(
            f"Sheet {sheet!r} not found in {path}. Available sheets: {listed}.",
            path=str(path),
            sheet=sheet,
            available=listed,
        )


class NoDataSheetError(InputError):
    code = "no_data_sheet"

    def __init__(self, path: Path, available: list[str]) -> None:
        self.path = path
        self.available = available
        listed = ", ".join(repr(name) for name in available)
        super().__init__(
            f"{path} has no visible sheet with deal data (sheets: {listed}). "
            "Name the sheet to read with --sheet.",
            path=str(path),
            available=listed,
        )


class HeaderRowNotFoundError(InputError):
    code = "header_row_not_found"

    def __init__(self, path: Path, header_row: int, last_row: int) -> None:
        self.path = path
        self.header_row = header_row
        self.last_row = last_row
        super().__init__(
            f"Header row {header_row} is outside {path}, whose rows with values are "
            f"1 to {last_row}. Set the header row in the design's sheet section.",
            path=str(path),
            header_row=header_row,
            last_row=last_row,
        )


class OutputError(BridgeError):
    """The result cannot be saved where the user asked."""

    code = "output_error"


class OutputNotWritableError(OutputError):
    code = "output_not_writable"

    def __init__(self, path: Path, reason: Reason | str) -> None:
        self.path = path
        self.reason = reason_of(reason)
        reason = str(self.reason)
        super().__init__(
            f"Cannot write {path}: {reason}. Choose another file or folder, or close "
            "the file if Excel has it open.",
            path=str(path),
            reason=reason,
        )


class OutputIsSourceError(OutputError):
    code = "output_is_source"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"The output {path} is the source file itself. The bridge writes results into "
            "a new file: choose another --output, or leave it out to get '<name>.checked'.",
            path=str(path),
        )


class DesignFileError(InputError):
    """The design file is missing, unreadable or has mistakes (listed in ``problems``)."""

    code = "design_invalid"

    def __init__(self, path: Path, problems: list[Any], reason: Reason | str | None = None) -> None:
        self.path = path
        self.problems = problems
        self.reason = reason
        count = len(problems)
        detail = str(reason) if reason else f"{count} problem(s); the first is at {problems[0].key}"
        super().__init__(
            f"The design file {path} cannot be used: {detail}. Fix it and run again.",
            path=str(path),
            count=count,
            reason=str(reason) if reason else "",
        )


class InvalidOptionError(InputError):
    """A command-line option has a value of the wrong form."""

    code = "invalid_date_option"

    def __init__(self, option: str, value: str) -> None:
        self.option = option
        self.value = value
        super().__init__(
            f"{value!r} is not a date for {option}. Write it as 2024-04-01.",
            option=option,
            value=value,
        )


class SheetAccessError(BridgeError):
    """A Google spreadsheet cannot be reached: fix the access or the credentials, run again.

    Subclasses (codes): GoogleCredentialsMissingError (google_credentials_missing),
    SpreadsheetNotAllowedError (spreadsheet_not_allowed), SheetPermissionError
    (sheet_permission_denied), SheetAuthError (sheet_auth_failed),
    SpreadsheetNotFoundError (spreadsheet_not_found), SheetsUnavailableError
    (sheets_unavailable), SheetsRequestError (sheets_request_failed),
    SpreadsheetCellLimitError (spreadsheet_cell_limit).
    """

    code = "sheet_access_error"


class GoogleCredentialsMissingError(SheetAccessError):
    code = "google_credentials_missing"

    def __init__(self, spreadsheet_id: str) -> None:
        self.spreadsheet_id = spreadsheet_id
        super().__init__(
            f"No Google credentials to open spreadsheet {spreadsheet_id}. Set BRIDGE_OAUTH_TOKEN "
            "to an OAuth access token, or GOOGLE_APPLICATION_CREDENTIALS to a service account "
            "key file and list the spreadsheet in BRIDGE_SERVICE_ACCOUNT_SHEETS.",
            spreadsheet_id=spreadsheet_id,
        )


class SpreadsheetNotAllowedError(SheetAccessError):
    code = "spreadsheet_not_allowed"

    def __init__(self, spreadsheet_id: str, account: str) -> None:
        self.spreadsheet_id = spreadsheet_id
        self.account = account
        super().__init__(
            f"The service account {account} may not open spreadsheet {spreadsheet_id}. "
            "Add the id to BRIDGE_SERVICE_ACCOUNT_SHEETS (comma-separated) to allow it.",
            spreadsheet_id=spreadsheet_id,
            account=account,
        )


class SheetPermissionError(SheetAccessError):
    code = "sheet_permission_denied"

    def __init__(self, spreadsheet_id: str, account: str) -> None:
        self.spreadsheet_id = spreadsheet_id
        self.account = account
        super().__init__(
            f"Google denied access to spreadsheet {spreadsheet_id} for {account}. "
            f"Share the spreadsheet with {account} as an editor, then run again.",
            spreadsheet_id=spreadsheet_id,
            account=account,
        )


class SheetAuthError(SheetAccessError):
    code = "sheet_auth_failed"

    def __init__(self, spreadsheet_id: str) -> None:
        self.spreadsheet_id = spreadsheet_id
        super().__init__(
            f"Google rejected the credentials for spreadsheet {spreadsheet_id}: the access "
            "token is invalid or expired. Open the sheet again (or get a new token) and retry.",
            spreadsheet_id=spreadsheet_id,
        )


class SpreadsheetNotFoundError(SheetAccessError):
    code = "spreadsheet_not_found"

    def __init__(self, spreadsheet_id: str, sheet: str = "") -> None:
        self.spreadsheet_id = spreadsheet_id
        self.sheet = sheet
        if not sheet:
            self.code = "spreadsheet_not_found_no_tab"  # a message without the tab's name
        missing = f"tab {sheet!r} of spreadsheet" if sheet else "spreadsheet"
        super().__init__(
            f"Google Sheets has no {missing} {spreadsheet_id}. Check the URL or id.",
            spreadsheet_id=spreadsheet_id,
            sheet=sheet,
        )


class SheetsUnavailableError(SheetAccessError):
    code = "sheets_unavailable"

    def __init__(self, spreadsheet_id: str, status: str, attempts: int) -> None:
        self.spreadsheet_id = spreadsheet_id
        self.status = status
        self.attempts = attempts
        super().__init__(
            f"Google Sheets did not answer spreadsheet {spreadsheet_id} after {attempts} "
            f"attempts (last status {status}). Wait a few minutes and run again.",
            spreadsheet_id=spreadsheet_id,
            status=status,
            attempts=attempts,
        )


class SheetsRequestError(SheetAccessError):
    code = "sheets_request_failed"

    def __init__(self, spreadsheet_id: str, status: str, reason: str) -> None:
        self.spreadsheet_id = spreadsheet_id
        self.status = status
        self.reason = reason
        super().__init__(
            f"Google Sheets rejected a request for spreadsheet {spreadsheet_id} "
            f"(status {status}): {reason}. Report this to the bridge's maintainers.",
            spreadsheet_id=spreadsheet_id,
            status=status,
            reason=reason,
        )


class SpreadsheetCellLimitError(SheetAccessError):
    """A write-back that would take the spreadsheet past Google's cell limit."""

    code = "spreadsheet_cell_limit"

    def __init__(self, spreadsheet_id: str, cells: int, needed: int, limit: int) -> None:
        self.spreadsheet_id = spreadsheet_id
        self.cells = cells
        self.needed = needed
        self.limit = limit
        super().__init__(
            f"Spreadsheet {spreadsheet_id} has {cells:,} cells, and the bridge's result columns "
            f"and tabs would take it to {needed:,}, above Google Sheets' limit of {limit:,} "
            "cells. Nothing was written.",
            spreadsheet_id=spreadsheet_id,
            cells=f"{cells:,}",
            needed=f"{needed:,}",
            limit=f"{limit:,}",
        )


class UserSheetPermissionError(SheetPermissionError):
    """Google denied a user's own token: the owner must share the sheet with that user."""

    code = "sheet_permission_denied_user"

    def __init__(self, spreadsheet_id: str) -> None:
        self.spreadsheet_id = spreadsheet_id
        self.account = ""
        BridgeError.__init__(
            self,
            f"Google denied access to spreadsheet {spreadsheet_id} for the signed-in Google "
            "account. Ask the spreadsheet's owner to share it with you as an editor.",
            spreadsheet_id=spreadsheet_id,
        )


class InvalidPeriodError(InputError):
    """``--period`` is not two dates joined by "..", or starts after it ends."""

    code = "invalid_period"

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__(
            f"{value!r} is not a period. Write it as 2024-04-01..2025-03-31, start before end.",
            value=value,
        )


class LookupFileError(InputError):
    """A lookup file named in the design's kpi section is missing or lacks a column."""

    code = "lookup_file_invalid"

    def __init__(self, name: str, path: Path, reason: str) -> None:
        self.name = name
        self.path = path
        self.reason = reason
        super().__init__(
            f"Cannot read the lookup {name} from {path}: {reason}. Fix kpi.lookups in the "
            "design or put the file beside the sheet.",
            name=name,
            path=str(path),
            reason=reason,
        )


class HistoryDatabaseError(BridgeError):
    """The history database cannot be opened, read or written."""

    code = "history_database_unavailable"

    def __init__(self, database: str, reason: str) -> None:
        self.database = database  # URL with the password hidden
        self.reason = reason
        super().__init__(
            f"Cannot use the history database {database}: {reason}. Check DATABASE_URL, "
            "or run again with --no-history to validate without history.",
            database=database,
            reason=reason,
        )


class RowKeysNotStored(InputError):
    """A local sheet without a key column lost the row keys its earlier syncs used.

    The keys of such a sheet live only in the managed row-key column of the
    result file, so syncing the original again would mint new keys and create
    every deal a second time.
    """

    code = "row_keys_not_stored"

    def __init__(self, path: Path, result_path: Path) -> None:
        self.path = path
        self.result_path = result_path
        super().__init__(
            f"{path} has no row keys, but its rows were synced before with keys stored in "
            f"{result_path}. Syncing {path} again would create every deal a second time. Run "
            f"the sync on {result_path} and keep editing that file, or add a key column to the "
            "design.",
            path=str(path),
            result_path=str(result_path),
        )
