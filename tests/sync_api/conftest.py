"""Fixtures of the sync API tests: the service's app and sign-in, plus the fake HubSpot."""

from tests.fakes.fixtures import fake_clock, fake_hubspot, hubspot_env  # noqa: F401
from tests.service.conftest import (  # noqa: F401
    app,
    certs_server,
    client,
    foreign_key,
    headers,
    settings,
    sheets,
    signing_key,
)
