"""Settings the app factory shares with every component."""

from __future__ import annotations

import os

from bridge import app as app_module
from bridge.app import create_app


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
