"""The root command group, exit codes, and how errors reach the terminal."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from bridge.cli.help_text import TranslatedGroup
from bridge.error_messages import error_message
from bridge.errors import BridgeError, DesignFileError
from bridge.i18n import environment_language, normalize_language
from bridge.messages import design_problem_message

EXIT_OK = 0
EXIT_FINDINGS = 1  # the run worked and some row has an error
EXIT_USAGE = 2  # wrong arguments or unusable input


LANG_KEY = "bridge.lang"  # root context meta: ``bridge --lang X``, for every command


@click.group(cls=TranslatedGroup)
@click.option("-v", "--verbose", count=True, help="Log more detail to stderr (-vv for debug).")
@click.option(
    "--lang",
    is_eager=True,
    type=click.Choice(["ja", "en"]),
    help="Language of messages and help for every command. Default: the environment's.",
)
@click.version_option(package_name="sheets-hubspot-bridge", prog_name="bridge")
@click.pass_context
def cli(ctx: click.Context, verbose: int, lang: str | None) -> None:
    """Validate deal sheets against a pipeline design and migrate them to HubSpot."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    if lang:
        ctx.meta[LANG_KEY] = lang


def pick_language(option: str | None, design_locale: str | None = None) -> str:
    """Return the output language.

    In order: the command's --lang, ``bridge --lang``, the design's locale, the environment.
    """
    if option:
        return normalize_language(option)
    context = click.get_current_context(silent=True)
    chosen = context.find_root().meta.get(LANG_KEY) if context is not None else None
    if chosen:
        return normalize_language(chosen)
    if design_locale:
        return normalize_language(design_locale)
    return environment_language() or "ja"


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn bridge errors into a one-line message and exit code 2, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = pick_language(kwargs.get("lang"))
        try:
            return command(*args, **kwargs)
        except DesignFileError as error:
            click.echo(error_message(error, lang), err=True)
            for problem in error.problems:
                click.echo("  " + design_problem_message(problem, lang, str(error.path)), err=True)
            sys.exit(EXIT_USAGE)
        except BridgeError as error:
            click.echo(error_message(error, lang), err=True)
            sys.exit(EXIT_USAGE)

    return wrapper
