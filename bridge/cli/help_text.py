"""``--help`` pages in the user's language.

Click renders help pages itself, from the English help texts of the
commands and options and a few phrases of its own ("Usage:", "Options:",
"[default: …]"). The command classes here swap each text for its
translation while click renders, then translate click's phrases. The
English texts are the message ids: ``scripts/update_catalogs.py`` collects
them from the commands with ``help_texts``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click
from click.formatting import term_len

from bridge.i18n import LANGUAGES, N_, environment_language, gettext, normalize_language

ARGV_KEY = "bridge.argv"  # root context meta: the command line as given

# The help text click gives the --help option.
HELP_OPTION_TEXT = N_("Show this message and exit.")

# Click's own headings and labels -> message ids of their translations.
_CLICK_LINES = {
    "Usage:": N_("Usage:"),
    "Options:": N_("Options:"),
    "Commands:": N_("Commands:"),
}
_DEFAULT_LABEL = N_("default:")
_REQUIRED_LABEL = N_("required")
_REQUIRED_RE = re.compile(r"(?<=[\[ ])required(?=\])")  # "[required]", "[x>=1; required]"


def help_language(ctx: click.Context) -> str:
    """Return the language of a help page: --lang anywhere on the command line, else the environment's.

    --help is eager and stops the parsing, so a --lang after it is found in
    the command line that the root group kept (``ARGV_KEY``).
    """
    for context in _contexts(ctx):
        lang = context.params.get("lang")
        if lang:
            return normalize_language(lang)
    root = ctx.find_root()
    return lang_from_args(root.meta.get(ARGV_KEY, ())) or environment_language() or "ja"


def lang_from_args(args: Sequence[str]) -> str | None:
    """Return the last valid ``--lang X`` or ``--lang=X`` of a command line, else None."""
    found = None
    for position, arg in enumerate(args):
        value = None
        if arg == "--lang" and position + 1 < len(args):
            value = args[position + 1]
        elif arg.startswith("--lang="):
            value = arg.removeprefix("--lang=")
        if value in LANGUAGES:
            found = value
    return found


def _contexts(ctx: click.Context | None) -> Iterator[click.Context]:
    while ctx is not None:
        yield ctx
        ctx = ctx.parent


def help_texts(command: click.Command) -> list[str]:
    """Return every help text of ``command`` and its subcommands, in a stable order."""
    texts: list[str] = []
    for item in _walk(command):
        texts.extend(text for text in (item.help, item.short_help) if text)
        texts.extend(param.help for param in item.params if getattr(param, "help", None))
    return list(dict.fromkeys(texts))


def _walk(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name])


class TranslatedHelp:
    """Mixin for click commands: render the help page in the user's language."""

    context_class: type[click.Context]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        lang = help_language(ctx)
        start = len(formatter.buffer)
        with _translated_texts(self, ctx, lang):  # type: ignore[arg-type]
            super().format_help(ctx, formatter)  # type: ignore[misc]
        page = "".join(formatter.buffer[start:])
        formatter.buffer[start:] = [translate_click_phrases(page, lang)]


def translate_click_phrases(page: str, lang: str) -> str:
    """Translate click's headings and the [default: …] and [required] labels of a help page."""
    lines = []
    for line in page.split("\n"):
        for english, message in _CLICK_LINES.items():
            if line.startswith(english):
                line = gettext(lang, message) + line[len(english) :]
                break
        lines.append(line)
    page = "\n".join(lines)
    # Click may wrap a label over two lines, but never inside "[default:".
    page = page.replace("[default:", "[" + gettext(lang, _DEFAULT_LABEL))
    return _REQUIRED_RE.sub(gettext(lang, _REQUIRED_LABEL), page)


@contextmanager
def _translated_texts(command: click.Command, ctx: click.Context, lang: str) -> Iterator[None]:
    """Swap the help texts click reads for this page with their translations."""
    items: list[Any] = [command, *(param for param in command.params if hasattr(param, "help"))]
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        items.append(help_option)
    if isinstance(command, click.Group):
        items.extend(command.commands.values())

    saved = [(item, item.help, getattr(item, "short_help", None)) for item in items]
    try:
        for item, text, short in saved:
            if text:
                item.help = gettext(lang, text)
            if short:
                item.short_help = gettext(lang, short)
        yield
    finally:
        for item, text, short in saved:
            item.help = text
            if short is not None:
                item.short_help = short


class WideTextHelpFormatter(click.HelpFormatter):
    """Wrap help text that contains East Asian wide characters by display width.

    Click wraps at spaces and counts characters, but Japanese has no spaces
    between words and each wide character takes two columns, so its lines
    would run twice as wide as the terminal. Text with wide characters is
    wrapped here instead: a line may break at a space or between two wide
    characters, never before closing punctuation such as 、 or ）.
    """

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        if not any(_has_wide(text) for _, text in rows):
            super().write_dl(rows, col_max, col_spacing)
            return

        first_column = min(max(term_len(term) for term, _ in rows), col_max) + col_spacing
        text_width = max(self.width - first_column - 2, 10)
        indent = " " * self.current_indent
        hanging = " " * (first_column + self.current_indent)
        for term, text in rows:
            self.write(indent + term)
            if term_len(term) <= first_column - col_spacing:
                self.write(" " * (first_column - term_len(term)))
            else:
                self.write("\n" + hanging)
            lines = wrap_by_display_width(text, text_width) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(hanging + line + "\n")

    def write_text(self, text: str) -> None:
        if not _has_wide(text):
            super().write_text(text)
            return
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 10)
        for line in wrap_by_display_width(text, width):
            self.write(indent + line + "\n")


# A space run, a run of narrow characters (one ASCII word), or one other character.
_TOKEN_RE = re.compile(r"\s+|[\x21-\x7e]+|.")
# Characters that must not begin a line (Japanese line-breaking rules, in part).
_NO_LINE_START = set(
    "、。，．,.）」』】〕〉》ー・：；！？!?:;)]%ぁぃぅぇぉっゃゅょァィゥェォッャュョ"
)


def wrap_by_display_width(text: str, width: int) -> list[str]:
    """Return ``text`` in lines of at most ``width`` terminal columns.

    A wide character takes two columns. A closing punctuation mark or small
    kana stays on its line even when that passes the width.
    """
    lines: list[str] = []
    line, used, space = "", 0, False
    for token in _TOKEN_RE.findall(text):
        if token.isspace():
            space = bool(line)
            continue
        size = _display_width(token)
        gap = 1 if space else 0
        # "）" alone, or an ASCII run such as ")." after wide text, must not start a line.
        fits = used + gap + size <= width or (not gap and token[0] in _NO_LINE_START)
        if line and not fits:
            lines.append(line)
            line, used = token, size
        else:
            line += " " * gap + token
            used += gap + size
        space = False
    if line:
        lines.append(line)
    return lines


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _has_wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(character) in "WF" for character in text)


class HelpContext(click.Context):
    formatter_class = WideTextHelpFormatter


class TranslatedCommand(TranslatedHelp, click.Command):
    """A command whose help page is in the user's language."""

    context_class = HelpContext


class TranslatedGroup(TranslatedHelp, click.Group):
    """A command group whose help page, and whose subcommands' pages, are in the user's language."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:
            ctx.meta[ARGV_KEY] = tuple(args)  # the whole command line, for help_language
        return super().parse_args(ctx, args)

    context_class = HelpContext
    command_class = TranslatedCommand
    group_class = type  # subgroups are made with this class too
