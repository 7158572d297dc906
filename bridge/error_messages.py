"""Translated one-line texts of ``BridgeError`` codes, filled from the error's params."""

from __future__ import annotations

from bridge.errors import BridgeError
from bridge.i18n import N_, gettext
from bridge.reasons import Reason

ERROR_TEMPLATES: dict[str, str] = {
    "file_not_found": N_(
        "Error: file not found: {path}. Check the path and the current directory."
    ),
    "not_a_file": N_(
        "Error: {path} is a folder, not a file. Give the path of an .xlsx or .csv file."
    ),
    "unsupported_file": N_(
        "Error: {path} is not a supported file type ({suffix}). Use one of: {supported}."
    ),
    "text_file_suffix": N_(
        "Error: {path} is a text file ({suffix}). If it contains comma- or tab-separated values, "
        "such as Excel's Unicode Text, rename it to .csv: the bridge reads tabs and UTF-16 in "
        ".csv files."
    ),
    "no_tabs": N_(
        "Error: {path} is a .csv file, which has no tabs, so --design-tab cannot read a design "
        "from it. Give the design file with --design, or keep the sheet in an .xlsx workbook "
        "or a Google Sheet."
    ),
    "unreadable_file": N_(
        "Error: cannot read {path}: {reason}. Open it in Excel, save it as .xlsx or .csv "
        "and try again."
    ),
    "csv_syntax": N_(
        "Error: {path} breaks off at line {line}: a quoted cell is not closed, or text "
        'follows its closing quote. Fix the quotes (") there, or save the file again from '
        "Excel."
    ),
    "csv_nul": N_(
        "Error: line {line} of {path} contains a NUL character (byte 0), which a .csv file "
        "cannot contain. The file may be damaged or not a .csv file. Open it in Excel and save "
        "it again as CSV UTF-8."
    ),
    "empty_file": N_("Error: {path} is empty. Check that you chose the right file and sheet."),
    "encoding_unknown": N_(
        "Error: cannot decode {path} (tried {tried}). Save it again as CSV UTF-8 in Excel."
    ),
    "sheet_not_found": N_(
        "Error: sheet {sheet} not found in {path}. Available sheets: {available}."
    ),
    "no_data_sheet": N_(
        "Error: {path} has no sheet with deal data (sheets: {available}). Name one with --sheet."
    ),
    "header_row_not_found": N_(
        "Error: header row {header_row} is outside {path}, which has rows 1 to {last_row}. "
        "Set header_row in the design's sheet section."
    ),
    "output_not_writable": N_(
        "Error: cannot write {path}: {reason}. Choose another file or folder, or close the "
        "file if Excel has it open."
    ),
    "output_is_source": N_(
        "Error: the output {path} is the source file itself. Choose another --output."
    ),
    "design_invalid": N_("Error: the design file {path} cannot be used. Fix these problems:"),
    "invalid_date_option": N_("Error: {value} is not a date for {option}. Write it as 2024-04-01."),
}


def error_message(error: BridgeError, lang: str) -> str:
    """Return the error's text in ``lang``; unknown codes fall back to the English text."""
    template = ERROR_TEMPLATES.get(error.code)
    if template is None:
        return str(error)
    reason = getattr(error, "reason", None)
    if error.code == "design_invalid" and reason:
        text = reason.text(lang) if isinstance(reason, Reason) else str(reason)
        return gettext(lang, template, **error.params) + " " + text
    if isinstance(reason, Reason):
        return gettext(lang, template, **{**error.params, "reason": reason.text(lang)})
    params = dict(error.params)
    if isinstance(params.get("status"), str):
        params["status"] = gettext(lang, params["status"])  # "503", or a message id
    return gettext(lang, template, **params)
