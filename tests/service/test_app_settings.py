"""Settings the app factory shares with every component."""

from __future__ import annotations

import os

import pytest

from bridge import app as app_module
from bridge.app import create_app
from sync import secrets
from tests.fakes.secret_manager import FakeCredentials, FakeSecretManagerServer


def test_secret_database_url_reaches_environment(monkeypatch, tmp_path, settings):
    url = f"sqlite:///{tmp_path / 'secret.db'}"
    # Set (empty) through monkeypatch, so that the value the app puts there is undone.
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setattr(
        app_module, "get_secret", lambda name: url if name == "DATABASE_URL" else None
    )
    create_app({**settings, "TESTING": True})
    assert os.environ["DATABASE_URL"] == url


def test_environment_database_url_wins(monkeypatch, tmp_path, settings):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(app_module, "get_secret", lambda name: "sqlite:///other.db")
    create_app({**settings, "TESTING": True})
    assert os.environ["DATABASE_URL"] == url


@pytest.fixture
def fake_secret_manager():
    server = FakeSecretManagerServer().start()
    yield server.api
    server.stop()
    assert not server.api.violations


def test_database_url_from_fake_secret_manager(
    monkeypatch, tmp_path, settings, fake_secret_manager
):
    url = f"sqlite:///{tmp_path / 'from-secret-manager.db'}"
    fake_secret_manager.add_version("bridge-test-project", "DATABASE_URL", url)
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "bridge-test-project")
    monkeypatch.setenv(secrets.ENDPOINT_VARIABLE, fake_secret_manager.url)
    monkeypatch.setattr(secrets, "default_credentials", FakeCredentials)
    secrets.clear_cache()
    try:
        app = create_app({**settings, "TESTING": True, "job_store": "database"})
    finally:
        secrets.clear_cache()

    assert os.environ["DATABASE_URL"] == url
    assert str(app.extensions["bridge"].jobs.store.engine.url) == url
    # The jobs table reads the URL back from the environment, not from Secret Manager again.
    assert fake_secret_manager.access_count("DATABASE_URL") == 1
