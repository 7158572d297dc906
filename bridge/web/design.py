"""``POST /api/v1/design/check``: check a design without reading a sheet."""

from __future__ import annotations

from flask import Blueprint

from bridge.services import check_design
from bridge.web.api import documented, json_response, parse_body
from bridge.web.problems import request_language
from bridge.web.schemas import DesignCheckRequest, DesignCheckResponse

blueprint = Blueprint("design", __name__)


@blueprint.post("/design/check")
@documented(
    "Check a design",
    tag="design",
    request=DesignCheckRequest,
    responses={200: (DesignCheckResponse, "The check's outcome; `valid` false lists problems")},
    problems=(401, 403, 413, 415, 422),
)
def check():
    body = parse_body(DesignCheckRequest)
    return json_response(check_design(body.design_yaml, body.lang or request_language()))
