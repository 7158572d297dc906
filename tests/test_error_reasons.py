"""Reasons inside error messages are translated, not quoted in English."""

from __future__ import annotations

import errno

import openpyxl
import pytest

from bridge.error_messages import error_message
from bridge.errors import OutputNotWritableError, UnreadableFileError
from bridge.reasons import os_reason
from bridge.sheets import read_local
from bridge.sheets.local_paths import check_output


def test_os_error_reason_in_japanese_and_english(tmp_path):
    error = OutputNotWritableError(
        tmp_path / "out.xlsx", os_reason(PermissionError(errno.EACCES, "Permission denied"))
    )

    japanese = error_message(error, "ja")
    english = error_message(error, "en")

    assert "アクセスが拒否されました" in japanese
    assert "Permission denied" not in japanese
    assert "permission denied" in english
    assert "permission denied" in str(error)  # the English fallback


def test_unknown_os_error_keeps_the_systems_text(tmp_path):
    error = UnreadableFileError(tmp_path / "a.csv", os_reason(OSError(errno.EIO, "I/O error")))
    assert "I/O error" in error_message(error, "ja")


def test_plain_text_reason_still_accepted(tmp_path):
    error = UnreadableFileError(tmp_path / "a.csv", "custom reason")
    assert "custom reason" in error_message(error, "ja")


def test_missing_output_folder_in_japanese(tmp_path):
    source = tmp_path / "deals.xlsx"
    openpyxl.Workbook().save(source)
    output = tmp_path / "missing" / "deals.checked.xlsx"

    with pytest.raises(OutputNotWritableError) as raised:
        check_output(output, source)

    message = error_message(raised.value, "ja")
    assert f"フォルダー {output.parent} がありません" in message
    assert "does not exist" not in message


def test_not_a_workbook_in_japanese(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("not a zip", encoding="utf-8")

    with pytest.raises(UnreadableFileError) as raised:
        read_local(path)

    message = error_message(raised.value, "ja")
    assert "正しい .xlsx のブックではありません" in message
    assert "zip" not in message
