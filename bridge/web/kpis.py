"""``POST /api/v1/kpis``: the team's KPI tables of one tab."""

from __future__ import annotations

from flask import Blueprint

from bridge.web.api import documented, parse_body
from bridge.web.problems import ApiProblem
from bridge.web.schemas import KpiRequest

blueprint = Blueprint("kpis", __name__)


@blueprint.post("/kpis")
@documented(
    "Compute the KPI tables of one tab",
    tag="kpi",
    request=KpiRequest,
    problems=(401, 403, 413, 415, 422, 501),
)
def compute_kpis():
    parse_body(KpiRequest)
    # NOTE: answers 501 until the KPI service function of `bridge kpi` exists.
    raise ApiProblem("not-implemented", feature="KPI")
