"""``bridge serve``: exits without the settings it needs."""

from __future__ import annotations

from click.testing import CliRunner

from bridge.cli.app import EXIT_USAGE, cli


def test_serve_without_audience_exits_2(monkeypatch):
    monkeypatch.delenv("BRIDGE_AUDIENCE", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--port", "0"], env={"LANG": "en_US.UTF-8"})
    assert result.exit_code == EXIT_USAGE
    assert "BRIDGE_AUDIENCE" in result.output
    assert "Traceback" not in result.output


def test_serve_message_in_japanese(monkeypatch):
    monkeypatch.delenv("BRIDGE_AUDIENCE", raising=False)
    result = CliRunner().invoke(cli, ["serve"], env={"LANG": "ja_JP.UTF-8"})
    assert result.exit_code == EXIT_USAGE
    assert "設定がないか正しくありません" in result.output


def test_serve_names_invalid_setting(monkeypatch):
    monkeypatch.setenv("BRIDGE_AUDIENCE", "client-id")
    monkeypatch.setenv("BRIDGE_ALLOWED_DOMAINS", "example.co.jp")
    monkeypatch.setenv("BRIDGE_MAX_BODY_BYTES", "10")
    result = CliRunner().invoke(cli, ["serve"], env={"LANG": "ja_JP.UTF-8"})
    assert result.exit_code == EXIT_USAGE
    assert (
        "設定 BRIDGE_MAX_BODY_BYTES がないか正しくありません（値は 1024 以上にしてください）"
        in result.output
    )
    assert "BRIDGE_AUDIENCE に" not in result.output


def test_serve_cloud_tasks_needs_project(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bridge.db'}")
    monkeypatch.setenv("BRIDGE_AUDIENCE", "client-id")
    monkeypatch.setenv("BRIDGE_ALLOWED_DOMAINS", "example.co.jp")
    monkeypatch.setenv("BRIDGE_JOB_BACKEND", "cloudtasks")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    result = CliRunner().invoke(cli, ["serve"], env={"LANG": "en_US.UTF-8"})
    assert result.exit_code == EXIT_USAGE
    assert "GOOGLE_CLOUD_PROJECT" in result.output
    assert "Traceback" not in result.output


def test_serve_cloud_tasks_needs_database(monkeypatch):
    monkeypatch.setenv("BRIDGE_AUDIENCE", "client-id")
    monkeypatch.setenv("BRIDGE_ALLOWED_DOMAINS", "example.co.jp")
    monkeypatch.setenv("BRIDGE_JOB_BACKEND", "cloudtasks")
    monkeypatch.setenv("BRIDGE_JOB_STORE", "database")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)  # no Secret Manager either
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["serve"], env={"LANG": "ja_JP.UTF-8"})
    assert result.exit_code == EXIT_USAGE
    assert "設定 DATABASE_URL がないか正しくありません" in result.output
