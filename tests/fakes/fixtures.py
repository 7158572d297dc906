"""Pytest fixtures of the fakes; a test folder's conftest imports the ones it uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.hubspot import TOKEN, FakeClock, FakeHubSpot


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_hubspot() -> Iterator[FakeHubSpot]:
    """A running fake HubSpot on 127.0.0.1; fails the test if any request broke a model."""
    fake = FakeHubSpot().start()
    yield fake
    fake.stop()
    assert not fake.violations, (
        "requests that do not match hubspot-api-client models:\n" + "\n".join(fake.violations)
    )


@pytest.fixture
def hubspot_env(fake_hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch) -> FakeHubSpot:
    """Point ``HUBSPOT_BASE_URL`` and ``HUBSPOT_ACCESS_TOKEN`` at the fake."""
    monkeypatch.setenv("HUBSPOT_BASE_URL", fake_hubspot.url)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
    return fake_hubspot
