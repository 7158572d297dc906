"""The ``/api/v1`` parent blueprint: every request below it must be authenticated."""

from __future__ import annotations

from flask import Blueprint, g, request

from bridge.auth import ACCESS_TOKEN_HEADER, verify_identity
from bridge.logging_setup import bind_context
from bridge.web import design, jobs, kpis, validations
from bridge.web.api import service_state

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
for _child in (validations.blueprint, jobs.blueprint, kpis.blueprint, design.blueprint):
    blueprint.register_blueprint(_child)


@blueprint.before_request
def authenticate() -> None:
    state = service_state()
    identity = verify_identity(
        request.headers.get("Authorization"),
        request.headers.get(ACCESS_TOKEN_HEADER),
        state.settings,
        state.auth_transport,
    )
    g.identity = identity
    bind_context(user=identity.email)
