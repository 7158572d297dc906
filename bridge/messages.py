"""User-facing texts of findings and design problems, rendered through the catalogs.

Each finding code has one template per variant; the template names the value
and the expectation. ``finding_message`` adds the cell reference in front so
that a message read alone (CLI, JSON report, to-do list) still names the row
and the column.
"""

from __future__ import annotations

from typing import Any

from bridge.i18n import N_, gettext
from validators.design_file import DesignProblem
from validators.findings import Code, Finding

FINDING_TEMPLATES: dict[str, str] = {
    "missing_required": N_("{label} is required but empty."),
    "invalid_number": N_('"{value}" is not a number.'),
    "invalid_date": N_('"{value}" is not a date. Write it like 2024/4/1.'),
    "invalid_email": N_('"{value}" is not a valid email address.'),
    "invalid_phone": N_('"{value}" is not a valid phone number.'),
    "invalid_url": N_('"{value}" is not a valid URL or domain.'),
    "invalid_postal_code": N_('"{value}" is not a postal code like 〒123-4567.'),
    "invalid_corporate_number": N_(
        '"{value}" is not a corporate number (13 digits with a valid check digit).'
    ),
    "invalid_bool": N_('"{value}" is not yes or no (はい/いいえ, ○/×, TRUE/FALSE).'),
    "invalid_option": N_('"{value}" is not one of the options: {options}.'),
    "out_of_range": N_("{value} is outside the allowed range {min} to {max}."),
    "out_of_range.below": N_("{value} is below the minimum {min}."),
    "out_of_range.above": N_("{value} is above the maximum {max}."),
    "unknown_stage": N_('"{value}" is not a stage of this pipeline.'),
    "unknown_pipeline": N_('"{value}" is not a pipeline of the design.'),
    "stage_requirement": N_("{label} is required in stage {stage} but empty."),
    "stale_in_stage": N_(
        "In stage {stage} for {days} days since {since}; the limit is {max_days} days."
    ),
    "contact_overdue": N_(
        "Last contact was on {since}, {days} days ago; this stage expects contact "
        "every {every_days} days."
    ),
    "contact_overdue.none": N_(
        "No last contact date; this stage expects contact every {every_days} days."
    ),
    "next_step_overdue": N_("The next step date {date} passed {days} days ago."),
    "close_date_passed": N_(
        "The close date {date} passed {days} days ago but the deal is still open."
    ),
    "inconsistent.won_without_amount": N_("The deal is won but has no amount."),
    "inconsistent.closed_in_future": N_(
        'The deal is closed but its close date "{value}" is in the future.'
    ),
    "inconsistent.future_date": N_('"{value}" is a date in the future.'),
    "duplicate_key": N_('The key "{value}" is also used in row {rows}.'),
    "duplicate_record": N_('"{value}" is the same record as row {rows}.'),
    "formula_error": N_("The cell shows the spreadsheet error {value}."),
    "score_dropped": N_(
        "The score fell from {previous} to {score} ({drop} points; the limit is {threshold})."
    ),
    "header_problem.blank": N_("The header cell is blank; the column is called {column} here."),
    "header_problem.blank_with_values": N_(
        "The header cell is blank, but row {first_row} has a value in this column (a row with "
        "more cells than the header?). Add a header, or move the value into its column."
    ),
    "header_problem.duplicate": N_(
        "The header repeats an earlier column; this one is called {column} here."
    ),
    "header_problem.unknown": N_(
        'The design has no property for the column "{column}", so it is not checked.'
    ),
    "missing_column": N_("The sheet has no column for {label}. Accepted headers: {aliases}."),
    "missing_column.header_below": N_(
        "The sheet has no column for {label}. Row {header_row} looks like the header row: set "
        "header_row: {header_row} in the design's sheet section."
    ),
    "sync_conflict": N_(
        'HubSpot has "{hubspot_value}" for {label}, changed after the last sync; the sheet has '
        '"{value}". The row was not sent. Decide which is right and edit the sheet or HubSpot.'
    ),
    "sync_rejected": N_("HubSpot rejected the row: {detail}"),
    "unknown_owner": N_(
        '"{value}" matches no HubSpot user by email or name, so the row was not sent. '
        "Write the owner's HubSpot login email, or add the user in HubSpot."
    ),
    "association_failed": N_(
        "The deal was written, but HubSpot did not link it to the {target}: {detail}. "
        "The link is tried again on the next sync."
    ),
}

SUGGESTION_TEMPLATE = N_('Did you mean "{suggestion}"?')

STATUS_TEXTS = {
    "error": N_("Error"),
    "warning": N_("Warning"),
    "ok": N_("OK"),
    "blank": N_("Blank"),
}

SEVERITY_TEXTS = {"error": N_("error"), "warning": N_("warning")}

DESIGN_TEMPLATES: dict[str, str] = {
    "yaml_syntax": N_("The file is not valid YAML: {detail}."),
    "yaml_unclosed_list": N_(
        "A list opened with [ is not closed with ], or two of its items lack a comma between them."
    ),
    "yaml_unclosed_mapping": N_(
        "A mapping opened with {{ is not closed with }}, or two of its entries lack a comma."
    ),
    "yaml_unclosed_quote": N_("A quote is opened on this line or above but never closed."),
    "yaml_tab": N_("A tab indents this line; YAML needs spaces."),
    "yaml_colon": N_(
        "A colon (:) follows a value on this line. Put the value in quotes, or check that the "
        "line above ends with a colon."
    ),
    "yaml_indent": N_("The indentation does not line up with the lines above."),
    "yaml_duplicate_key": N_(
        'The key "{key}" is written twice at this level; the first is on line {first_line}. '
        "Only one would be kept, so remove one or merge them."
    ),
    "yaml_alias": N_(
        "An alias (*name) refers to an anchor (&name) that is not defined above it. Write the "
        "value itself instead."
    ),
    "yaml_documents": N_(
        "A second YAML document starts here (---). A design file holds one document: remove "
        "the line or move the rest into its own file."
    ),
    "yaml_tag": N_("The tag {tag} is not allowed in a design. Write plain values."),
    "yaml_control_character": N_(
        "The line contains a control character ({character}) that YAML does not allow. "
        "Delete it, for example by typing the line again."
    ),
    "not_a_mapping": N_("The design must be a mapping of keys such as properties and pipelines."),
    "missing_key": N_("The key is required but missing."),
    "unknown_key": N_("The key is not part of the design format. Check its spelling."),
    "invalid_choice": N_('"{value}" is not allowed here. Allowed: {expected}.'),
    "invalid_value": N_("Invalid value: {detail}."),
    "not_a_number": N_('"{value}" is not a number.'),
    "not_an_integer": N_('"{value}" is not a whole number.'),
    "not_a_boolean": N_('"{value}" is not true or false.'),
    "not_text": N_("{value} is not text. Put it in quotes."),
    "not_a_list": N_("A list is expected here, such as [a, b]."),
    "not_a_mapping_here": N_("Keys with values are expected here (key: value)."),
    "too_small": N_("{value} is below the lowest allowed value, {limit}."),
    "not_above": N_("{value} must be greater than {limit}."),
    "too_large": N_("{value} is above the highest allowed value, {limit}."),
    "not_below": N_("{value} must be less than {limit}."),
    "unknown_property": N_('"{value}" is not a property defined under properties.'),
    "duplicate_name": N_('"{value}" is defined more than once.'),
    "enum_without_options": N_("The enum property {name} has no options."),
    "options_not_enum": N_("The property {name} has options but its type is not enum."),
}

DESIGN_LOCATION = N_("{source}, line {line}, {key}: {message}")
DESIGN_LOCATION_NO_LINE = N_("{source}, {key}: {message}")


def _template_key(finding: Finding) -> str:
    code = finding.code.value
    if finding.code is Code.CONTACT_OVERDUE and finding.params.get("since") is None:
        return "contact_overdue.none"
    problem = finding.params.get("problem")
    if problem and f"{code}.{problem}" in FINDING_TEMPLATES:
        return f"{code}.{problem}"
    return code


def finding_text(finding: Finding, lang: str) -> str:
    """Return the finding's message without the cell reference (for cell notes)."""
    template = FINDING_TEMPLATES[_template_key(finding)]
    params: dict[str, Any] = {"value": _value_text(finding.value), "column": finding.column}
    params.update({key: _value_text(value) for key, value in finding.params.items()})
    text = gettext(lang, template, **params)
    if finding.suggestion:
        # Japanese sentences follow each other without a space.
        separator = "" if lang == "ja" else " "
        text += separator + gettext(lang, SUGGESTION_TEMPLATE, suggestion=finding.suggestion)
    return text


ROW_REFERENCE = N_("row {row}")


def cell_reference(finding: Finding, lang: str) -> str:
    """Return e.g. "F12 契約金額", or "12行目" / "row 12" for a finding without a column."""
    if finding.column_letter and finding.row:
        return f"{finding.column_letter}{finding.row} {finding.column}"
    if finding.column:
        return str(finding.column)
    if finding.row:
        return gettext(lang, ROW_REFERENCE, row=finding.row)
    return ""


def finding_message(finding: Finding, lang: str) -> str:
    """Return the full message: cell reference, column header and text."""
    return f"{cell_reference(finding, lang)}: {finding_text(finding, lang)}"


def status_text(status: str, lang: str) -> str:
    return gettext(lang, STATUS_TEXTS[status])


def design_problem_message(problem: DesignProblem, lang: str, source: str) -> str:
    params = {key: _value_text(value) for key, value in problem.params.items()}
    message = gettext(lang, DESIGN_TEMPLATES[problem.code], **params)
    if problem.line is None:
        return gettext(
            lang, DESIGN_LOCATION_NO_LINE, source=source, key=problem.key, message=message
        )
    return gettext(
        lang, DESIGN_LOCATION, source=source, line=problem.line, key=problem.key, message=message
    )


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
