"""``--help`` pages in the user's language.

Click renders help pages itself, from the English help texts of the
commands and options and a few phrases of its own ("Usage:", "Options:",
"[default: …]"). The command classes here swap each text for its
translation while click renders, then translate click's phrases. The
English texts are the message ids: ``scripts/update_catalogs.py`` collects
them from the commands with ``help_texts``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from bridge.i18n import N_, environment_language, gettext, normalize_language

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


def help_language(ctx: click.Context) -> str:
    """Return --lang when it came before --help, else the language of the environment.

    --lang is an eager option, so click reads it before --help when it comes
    first on the command line.
    """
    for context in _contexts(ctx):
        lang = context.params.get("lang")
        if lang:
            return normalize_language(lang)
    return environment_language() or "ja"


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
    return page.replace("[required]", "[" + gettext(lang, _REQUIRED_LABEL) + "]")


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


class TranslatedCommand(TranslatedHelp, click.Command):
    """A command whose help page is in the user's language."""


class TranslatedGroup(TranslatedHelp, click.Group):
    """A command group whose help page, and whose subcommands' pages, are in the user's language."""

    command_class = TranslatedCommand
    group_class = type  # subgroups are made with this class too
