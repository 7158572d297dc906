"""Fixtures of the sync tests: the fake HubSpot from ``tests.fakes``."""

from tests.fakes.fixtures import fake_clock, fake_hubspot, hubspot_env  # noqa: F401
