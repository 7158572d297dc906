"""``/healthz``: the instance is up (no authentication, no I/O)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from flask import Blueprint

from bridge.web.api import documented, json_response
from bridge.web.schemas import Health

blueprint = Blueprint("health", __name__)


def package_version() -> str:
    try:
        return version("sheets-hubspot-bridge")
    except PackageNotFoundError:
        return "unknown"


@blueprint.get("/healthz")
@documented(
    "Report that the service is up",
    tag="health",
    responses={200: (Health, "The service is up")},
    authenticated=False,
)
def healthz():
    return json_response(Health(status="ok", version=package_version()))
