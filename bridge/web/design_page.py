"""``/design``: the bundled design drawn as one self-contained HTML page, for the sidebar.

NOTE: the page needs no sign-in because it only shows the design bundled with
the service (``examples/design.yaml``), which is public in this repository. A
team's own design arrives in request bodies and is not drawn here yet.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from bridge.design_view import render_design_html
from bridge.i18n import LANGUAGES, normalize_language
from bridge.validation import load_design
from bridge.web.api import documented

blueprint = Blueprint("design_page", __name__)


@blueprint.get("/design")
@documented(
    "Draw the bundled design as an HTML page (query `lang`: ja or en, else Accept-Language)",
    tag="design",
    responses={200: (None, "The design as a self-contained HTML page")},
    authenticated=False,
)
def design_page() -> Response:
    design, _ = load_design(None)
    chosen = request.args.get("lang") or request.accept_languages.best_match(LANGUAGES)
    lang = normalize_language(chosen or design.sheet.locale)
    return Response(render_design_html(design, lang), mimetype="text/html")
