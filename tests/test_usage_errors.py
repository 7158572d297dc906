"""Usage errors of the command line in the user's language, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bridge(*args: str, lang: str) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("LC_")}
    environ["LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=ROOT, env=environ, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "lang", "expected"),
    [
        (["validate"], "ja_JP.UTF-8", "エラー: SOURCE が指定されていません。"),
        (["validate"], "en_US.UTF-8", "Error: SOURCE is missing."),
        (["validate", "x.xlsx", "--outpt", "y"], "ja_JP.UTF-8",
         "エラー: オプション --outpt はありません。--output ではありませんか？"),
        (["validate", "x.xlsx", "--outpt", "y"], "en_US.UTF-8",
         "Error: there is no option --outpt. Did you mean --output?"),
        (["validate", "x.xlsx", "--lang", "fr"], "ja_JP.UTF-8",
         "エラー: --lang に「fr」は指定できません。次のどれかを指定してください: ja, en。"),
        (["validate", "x.xlsx", "--lang=fr"], "en_US.UTF-8",
         'Error: "fr" is not a choice for --lang. Choose one of: ja, en.'),
        (["sync", "run", "x.csv", "--limit", "0"], "ja_JP.UTF-8",
         "エラー: --limit は 1 以上にしてください（指定された値: 0）。"),
        (["sync", "run", "x.csv", "--limit", "abc"], "en_US.UTF-8",
         'Error: "abc" is not a whole number for --limit.'),
        (["valdate", "x.xlsx"], "ja_JP.UTF-8",
         "エラー: コマンド valdate はありません。validate ではありませんか？"),
        (["valdate", "x.xlsx", "--lang", "en"], "ja_JP.UTF-8",
         "Error: there is no command valdate. Did you mean validate?"),
        (["--lang", "en", "validate", "x.xlsx", "--outpt", "y"], "ja_JP.UTF-8",
         "Error: there is no option --outpt. Did you mean --output?"),
    ],
)  # fmt: skip
def test_usage_error_in_users_language(args, lang, expected):
    completed = run_bridge(*args, lang=lang)
    assert completed.returncode == 2
    assert expected in completed.stderr
    assert "Traceback" not in completed.stderr


def test_usage_line_and_help_hint_in_japanese():
    completed = run_bridge("validate", lang="ja_JP.UTF-8")
    lines = completed.stderr.splitlines()
    assert lines[0] == "使い方: bridge validate [OPTIONS] SOURCE"
    assert lines[1] == "'bridge validate --help' でヘルプを表示します。"


def test_help_still_exits_zero():
    completed = run_bridge("validate", "--help", lang="ja_JP.UTF-8")
    assert completed.returncode == 0
    assert "--design" in completed.stdout


def test_version():
    completed = run_bridge("--version", lang="ja_JP.UTF-8")
    assert completed.returncode == 0
    assert completed.stdout.startswith("bridge, version ")
