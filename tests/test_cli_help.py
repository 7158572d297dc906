"""Command-line help pages in Japanese and English."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from bridge.cli import cli
from bridge.cli.help_text import HELP_OPTION_TEXT, _walk, help_texts, wrap_by_display_width
from bridge.i18n import gettext
from tests.test_catalogs import catalog

COMMANDS = [
    [name for name in context.split(" ") if name]
    for context in ("", "validate", "kpi", "serve", "design", "design show", "design check",
                    "design push", "design pull", "design export", "design import", "sync",
                    "sync plan", "sync run", "sync status", "sync verify")
]  # fmt: skip


def help_page(args: list[str], locale: str) -> str:
    env = {"LANG": locale, "LC_ALL": None, "LC_MESSAGES": None}
    result = CliRunner().invoke(cli, [*args, "--help"], env=env, prog_name="bridge")
    assert result.exit_code == 0, result.output
    return result.output


def command_at(args: list[str]):
    command = cli
    for name in args:
        command = command.commands[name]
    return command


def test_every_command_is_listed_here():
    listed = {" ".join(args) for args in COMMANDS}
    walked = set()

    def collect(command, path):
        walked.add(" ".join(path))
        for name, sub in getattr(command, "commands", {}).items():
            collect(sub, [*path, name])

    collect(cli, [])
    assert walked == listed


def test_every_help_text_has_japanese():
    japanese = {message.id: message.string for message in catalog("ja") if message.id}
    texts = [*help_texts(cli), HELP_OPTION_TEXT]
    missing = [text for text in texts if not japanese.get(text)]
    assert len(texts) > 40
    assert missing == [], "run scripts/update_catalogs.py and translate these"


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args) or "bridge")
def test_japanese_help_page(args):
    page = help_page(args, "ja_JP.UTF-8")
    command = command_at(args)

    assert page.startswith("使い方: bridge")
    assert "オプション:" in page
    assert "Options:" not in page
    assert gettext("ja", HELP_OPTION_TEXT) in page
    # Each option's help starts with its translation's first words; the
    # English text is gone (click may wrap either over several lines).
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            assert gettext("ja", text)[:8] in page, text
            assert text[:30] not in page, text


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args) or "bridge")
def test_english_help_page_after_japanese(args):
    help_page(args, "ja_JP.UTF-8")  # the swapped texts are put back afterwards
    page = help_page(args, "en_US.UTF-8")

    assert page.startswith("Usage: bridge")
    assert "Options:" in page
    assert HELP_OPTION_TEXT in page
    assert "使い方" not in page


def test_defaults_and_subcommands_in_japanese():
    page = help_page(["validate"], "ja_JP.UTF-8")
    assert "[既定:" in page  # click may wrap the label's value to the next line
    assert "[default" not in page

    group_page = help_page(["sync"], "ja_JP.UTF-8")
    assert "コマンド:" in group_page
    assert gettext("ja", command_at(["sync", "run"]).help)[:10] in group_page


def test_lang_option_before_help_wins():
    page = help_page(["validate", "--lang", "en"], "ja_JP.UTF-8")
    assert page.startswith("Usage: bridge validate")


def test_lang_option_after_help_wins():
    page = help_page(["validate", "--help", "--lang", "en"], "ja_JP.UTF-8")
    assert page.startswith("Usage: bridge validate")


def test_root_lang_option_sets_help_language():
    page = help_page(["--lang", "en"], "ja_JP.UTF-8")
    assert page.startswith("Usage: bridge [OPTIONS]")
    assert "Commands:" in page


def test_root_lang_option_reaches_commands(tmp_path):
    env = {"LANG": "ja_JP.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}
    missing = str(tmp_path / "missing.xlsx")
    result = CliRunner().invoke(cli, ["--lang", "en", "validate", missing], env=env)
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_walk_reaches_nested_commands():
    names = {command.name for command in _walk(cli)}
    assert {"validate", "design", "show", "sync", "run"} <= names


def display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@pytest.mark.parametrize("width", [10, 24, 50])
def test_wrapping_by_display_width(width):
    text = (
        "この実行を行ごとに記録し（ステージ、スコア、評価）、ステージ開始日の判定に"
        "以前の記録を使います。データベース: DATABASE_URL、なければ bridge.db。"
    )
    lines = wrap_by_display_width(text, width)

    assert len(lines) > 1
    # A line passes the width only by closing marks (at most two in a row
    # here), or when it is one ASCII word too long for any line.
    too_wide = [line for line in lines if display_width(line) > width + 4]
    assert all(re.fullmatch(r"[\x21-\x7e]+\W?", line) for line in too_wide), too_wide
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line[0] in "、。）" for line in lines)


def test_japanese_help_lines_fit_the_terminal():
    page = help_page(["validate"], "ja_JP.UTF-8")
    assert max(display_width(line) for line in page.splitlines()) <= 82


def test_wrap_keeps_closing_parenthesis():
    text = "Read the design from this tab of SOURCE (e.g. 設計). Default: a 設計 or Design tab"
    for width in range(20, 60):
        lines = wrap_by_display_width(text, width)
        assert not any(line.startswith(")") for line in lines), (width, lines)
