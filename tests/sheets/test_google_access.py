"""Google adapter access: retries, credentials, permission errors and secrets."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bridge.error_messages import error_message
from bridge.errors import (
    GoogleCredentialsMissingError,
    SheetAuthError,
    SheetPermissionError,
    SheetsUnavailableError,
    SpreadsheetNotAllowedError,
    SpreadsheetNotFoundError,
    UserSheetPermissionError,
)
from bridge.sheets.google import GoogleSheet
from bridge.sheets.google_auth import credentials_from_environment
from bridge.sheets.retry import RetryPolicy
from bridge.validation import load_design
from tests.fakes.discovery import DiscoveryChecker, SchemaViolation
from tests.sheets.conftest import SPREADSHEET_ID, TOKEN, open_sheet
from tests.sheets.sheet_data import example_rows

ROOT = Path(__file__).resolve().parents[2]
TAB = "案件一覧"
ACCOUNT = "bridge-jobs@example-project.iam.gserviceaccount.com"


@pytest.fixture
def design():
    return load_design(None)[0]


@pytest.fixture
def spreadsheet(fake_sheets):
    spreadsheet = fake_sheets.add_spreadsheet(SPREADSHEET_ID, TOKEN)
    spreadsheet.add_sheet(TAB, [list(row) for row in example_rows()])
    return spreadsheet


@pytest.fixture
def key_file(tmp_path, fake_sheets) -> Path:
    """A service account key whose token endpoint is the fake's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "key.json"
    path.write_text(json.dumps({
        "type": "service_account",
        "project_id": "example-project",
        "private_key_id": "test-key",
        "private_key": pem,
        "client_email": ACCOUNT,
        "client_id": "1",
        "token_uri": fake_sheets.url + "/token",
    }))  # fmt: skip
    return path


def test_retry_429_then_succeeds(spreadsheet, design, fake_sheets):
    fake_sheets.fail_next(429, 503)
    table = open_sheet(None).read(design)
    assert len(table.rows) > 0
    assert fake_sheets.calls["spreadsheets.get"] == 3
    assert len(fake_sheets.sleeps) == 2
    assert all(0 <= seconds <= RetryPolicy().max_wait for seconds in fake_sheets.sleeps)


def test_retry_gives_up(spreadsheet, design, fake_sheets):
    fake_sheets.fail_next(*[503] * 10)
    adapter = open_sheet(None, policy=RetryPolicy(max_attempts=4))
    with pytest.raises(SheetsUnavailableError) as caught:
        adapter.read(design)
    assert caught.value.attempts == 4
    assert fake_sheets.calls["spreadsheets.get"] == 4
    assert len(fake_sheets.sleeps) == 3
    assert "4" in error_message(caught.value, "en")
    assert "503" in error_message(caught.value, "ja")


def test_retry_waits_grow(spreadsheet, design, fake_sheets, monkeypatch):
    monkeypatch.setattr("random.uniform", lambda low, high: high)  # no jitter: the maximum
    fake_sheets.fail_next(*[500] * 5)
    policy = RetryPolicy(max_attempts=6, initial_wait=1.0, max_wait=8.0)
    open_sheet(None, policy=policy).read(design)
    assert fake_sheets.sleeps == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_user_token_denied(spreadsheet, design, monkeypatch):
    monkeypatch.setenv("BRIDGE_OAUTH_TOKEN", "ya29.someone-else")
    with pytest.raises(UserSheetPermissionError) as caught:
        GoogleSheet(SPREADSHEET_ID).read(design)
    text = error_message(caught.value, "ja")
    assert SPREADSHEET_ID in text
    assert "共有" in text
    assert "ya29" not in text


def test_expired_token(spreadsheet, design, fake_sheets):
    fake_sheets.fail_next(401)
    with pytest.raises(SheetAuthError):
        open_sheet(None).read(design)


def test_service_account_reads(spreadsheet, design, fake_sheets, key_file, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("BRIDGE_SERVICE_ACCOUNT_SHEETS", f"other-id, {SPREADSHEET_ID}")
    # The owner shares the sheet with the service account: its token gets access.
    fake_sheets.service_accounts[ACCOUNT] = "sa-token-shared"
    spreadsheet.readers.add("sa-token-shared")

    table = GoogleSheet(SPREADSHEET_ID).read(design)

    assert len(table.rows) > 0
    assert fake_sheets.calls["token"] == 1


def test_service_account_not_shared(spreadsheet, design, key_file, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("BRIDGE_SERVICE_ACCOUNT_SHEETS", SPREADSHEET_ID)
    with pytest.raises(SheetPermissionError) as caught:
        GoogleSheet(SPREADSHEET_ID).read(design)
    assert caught.value.account == ACCOUNT
    for lang in ("ja", "en"):
        assert ACCOUNT in error_message(caught.value, lang)


def test_service_account_allow_list(key_file, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("BRIDGE_SERVICE_ACCOUNT_SHEETS", "some-other-sheet")
    with pytest.raises(SpreadsheetNotAllowedError) as caught:
        credentials_from_environment(SPREADSHEET_ID)
    assert "BRIDGE_SERVICE_ACCOUNT_SHEETS" in error_message(caught.value, "ja")


def test_no_credentials(monkeypatch):
    for name in (
        "BRIDGE_OAUTH_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "BRIDGE_SERVICE_ACCOUNT_SHEETS",
    ):
        monkeypatch.delenv(name, raising=False)  # fmt: skip
    with pytest.raises(GoogleCredentialsMissingError):
        credentials_from_environment(SPREADSHEET_ID)


def test_token_absent_from_logs(spreadsheet, design, fake_sheets, caplog):
    caplog.set_level(logging.DEBUG)
    fake_sheets.fail_next(503)
    adapter = open_sheet(None)
    adapter.read(design)
    fake_sheets.fail_next(403)
    with pytest.raises(UserSheetPermissionError) as caught:
        open_sheet(None).read(design)
    assert caplog.records
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(adapter)
    assert TOKEN not in str(caught.value)


def run_cli(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def cli_env(fake_sheets) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("BRIDGE_", "GOOGLE_"))}  # fmt: skip
    env.update(BRIDGE_SHEETS_API_URL=fake_sheets.url, BRIDGE_OAUTH_TOKEN=TOKEN)
    return env


def test_cli_validates_url(spreadsheet, fake_sheets, tmp_path):
    gid = spreadsheet.sheet(TAB).sheet_id
    url = f"https://docs.google.com/spreadsheets/d/{SPREADSHEET_ID}/edit#gid={gid}"
    report = tmp_path / "report.json"

    # In tmp_path: a Google source has no result file, so the history
    # database goes to the working folder.
    done = run_cli("-vv", "validate", url, "--as-of", "2026-12-01", "--lang", "en",
                   "--report", str(report), env=cli_env(fake_sheets), cwd=tmp_path)  # fmt: skip

    assert done.returncode == 1, done.stderr  # the example has rows with errors
    assert f"spreadsheets/d/{SPREADSHEET_ID}/edit#gid={gid}" in done.stdout
    assert TOKEN not in done.stdout + done.stderr
    findings = json.loads(report.read_text(encoding="utf-8"))["findings"]
    sheet = spreadsheet.sheet(TAB)
    flagged = {(f["row"] - 1) for f in findings if f["row"] and f["row"] > 1 and f["column_letter"]}
    marks = len(example_rows()[0]) + 4  # after status, findings, score and grade
    marked = {row for row, column in sheet.values if column == marks and row > 0}
    assert marked
    assert marked <= flagged
    assert sheet.notes == {}
    assert fake_sheets.api_calls() == 4


def test_cli_wrong_gid(spreadsheet, fake_sheets):
    url = f"https://docs.google.com/spreadsheets/d/{SPREADSHEET_ID}/edit#gid=999"
    done = run_cli("validate", url, "--lang", "ja", env=cli_env(fake_sheets))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert SPREADSHEET_ID in done.stderr


def test_cli_denied_names_fix(spreadsheet, fake_sheets):
    env = cli_env(fake_sheets) | {"BRIDGE_OAUTH_TOKEN": "ya29.not-shared-token"}
    done = run_cli("validate", f"gsheet:{SPREADSHEET_ID}", "--lang", "en", env=env)
    assert done.returncode == 2
    assert "share it with you" in done.stderr
    assert "ya29.not-shared-token" not in done.stdout + done.stderr


def test_checker_rejects_unknown_field():
    checker = DiscoveryChecker()
    method, _ = checker.match("POST", f"/v4/spreadsheets/{SPREADSHEET_ID}:batchUpdate")
    with pytest.raises(SchemaViolation, match="frozenRows"):
        checker.check_body(method, {"requests": [{"updateSheetProperties": {
            "properties": {"sheetId": 1, "gridProperties": {"frozenRows": 1}},
            "fields": "gridProperties.frozenRows"}}]})  # fmt: skip
    with pytest.raises(SchemaViolation, match="valueInputOption"):
        body = {"valueInputOption": "AS_IS", "data": []}
        checker.check_body(checker.match("POST", "/v4/spreadsheets/x/values:batchUpdate")[0], body)


def test_missing_spreadsheet_message_without_tab():
    error = SpreadsheetNotFoundError("1NoSuchSpreadsheet")
    japanese = error_message(error, "ja")
    assert japanese.startswith("エラー: スプレッドシート 1NoSuchSpreadsheet が見つかりません。")
    assert "  " not in japanese
    named = error_message(SpreadsheetNotFoundError("1NoSuchSpreadsheet", "案件一覧"), "ja")
    assert "案件一覧" in named
