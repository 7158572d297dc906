"""Translated texts of HubSpot pre-flight problems and sync errors.

``sync`` may not import ``bridge``, so its problems and errors carry stable
codes and parameters; this module turns them into the user's language.
"""

from __future__ import annotations

from bridge.i18n import N_, gettext
from sync.errors import SyncError
from sync.preflight import PreflightProblem

OBJECT_TEXTS = {"deal": N_("deal"), "company": N_("company"), "contact": N_("contact")}

PREFLIGHT_TEMPLATES: dict[str, str] = {
    "missing_property": N_(
        "The {object} property {property} does not exist in HubSpot. "
        "Create it with: bridge design push"
    ),
    "wrong_type": N_(
        "The {object} property {property} has the type {actual} in HubSpot, but the design "
        "needs {expected}. Change the type in the design or use another property."
    ),
    "missing_option": N_(
        'The {object} property {property} has no option with the internal value "{expected}" '
        "in HubSpot (its options: {actual}). Add the option in HubSpot or correct the design."
    ),
    "row_key_not_unique": N_(
        "The deal property {property} exists in HubSpot but does not require unique values, "
        "so a re-run could create duplicate deals. Create it again with unique values required."
    ),
    "unmapped_pipeline": N_(
        'The pipeline "{pipeline}" matches no deal pipeline in HubSpot (pipelines there: '
        "{actual}). Set its hubspot_id or give it the label of a HubSpot pipeline."
    ),
    "unmapped_stage": N_(
        'The stage "{stage}" of pipeline "{pipeline}" matches no stage in HubSpot (stages '
        "there: {actual}). Set its hubspot_id or give it the label of a HubSpot stage."
    ),
}

SYNC_ERROR_TEMPLATES: dict[str, str] = {
    "missing_token": N_(
        "Error: no HubSpot access token. Set the environment variable {name} to the private "
        "app's access token, or on App Engine store it as the Secret Manager secret {name}."
    ),
    "hubspot_auth": N_(
        "Error: HubSpot rejected the access token ({status}). Check the private app's access token and "
        "give the app these scopes: {scopes}."
    ),
    "daily_limit": N_(
        "Error: HubSpot's daily API limit for this portal is used up. Run the command again "
        "after midnight in the portal's time zone."
    ),
    "hubspot_unavailable": N_(
        "Error: HubSpot returned no successful response after {attempts} attempts ({reason}). "
        "Try again in a few minutes."
    ),
    "hubspot_request": N_(
        "Error: HubSpot rejected the request {method} {path} with status {status}: {detail}"
    ),
}


def preflight_message(problem: PreflightProblem, lang: str) -> str:
    """Return the problem's text in ``lang``."""
    return gettext(
        lang,
        PREFLIGHT_TEMPLATES[problem.code],
        object=gettext(lang, OBJECT_TEXTS.get(problem.object, problem.object)),
        property=problem.property,
        expected=problem.expected,
        actual=problem.actual or "-",
        pipeline=problem.pipeline,
        stage=problem.stage,
    )


def sync_error_message(error: SyncError, lang: str) -> str:
    """Return the error's text in ``lang``; unknown codes fall back to the English text."""
    template = SYNC_ERROR_TEMPLATES.get(error.code)
    if template is None:
        return str(error)
    return gettext(lang, template, **error.params)
