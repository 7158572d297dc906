"""Fixtures for every test."""

from __future__ import annotations

import pytest

# Variables that would send a test to Google Cloud (Secret Manager, Cloud
# Tasks) or to a real database when a developer's shell sets them. Tests that
# need one set it themselves, against a local fake.
CLOUD_ENVIRONMENT = ("GOOGLE_CLOUD_PROJECT", "GOOGLE_APPLICATION_CREDENTIALS", "DATABASE_URL")


@pytest.fixture(autouse=True)
def _no_cloud_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLOUD_ENVIRONMENT:
        # setenv first records the variable's state, so that teardown also
        # removes a value the code under test put into os.environ itself.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
