"""``POST /api/v1/kpis``: start a job computing the KPI tables and to-do list of one tab."""

from __future__ import annotations

from flask import Blueprint

from bridge.errors import InvalidPeriodError
from bridge.i18n import N_, gettext
from bridge.kpi_service import parse_period
from bridge.web.api import documented, parse_body
from bridge.web.problems import ApiProblem, request_language
from bridge.web.schemas import JobAccepted, KpiRequest
from bridge.web.sheet_jobs import start_sheet_job

blueprint = Blueprint("kpis", __name__)


@blueprint.post("/kpis")
@documented(
    "Start computing the KPIs and to-do list of one tab",
    tag="kpi",
    request=KpiRequest,
    responses={202: (JobAccepted, "Job started; poll `status_url`")},
    problems=(401, 403, 413, 415, 422, 503),
    description="The job's result contains the KPI tables and the to-do list as `bridge kpi --json`.",
)
def compute_kpis():
    body = parse_body(KpiRequest)
    try:
        parse_period(body.period)
    except InvalidPeriodError:
        message = gettext(request_language(), N_("the period must start before it ends."))
        raise ApiProblem(
            "invalid-request",
            count=1,
            field="period",
            message=message,
            errors=[{"field": "period", "code": "invalid_period", "message": message}],
        ) from None
    return start_sheet_job("kpi", body)
