"""Command-line usage errors (unknown option, missing argument …) in the user's language.

Click prints these itself in English; ``main`` catches them instead and
prints the same facts through the catalogs.
"""

from __future__ import annotations

import click
from click.exceptions import BadParameter, MissingParameter, NoSuchOption

from bridge.i18n import N_, gettext

USAGE_PREFIX = N_("Usage:")
HELP_HINT = N_("Try '{command} --help' for help.")
NO_SUCH_OPTION = N_("Error: there is no option {option}.")
DID_YOU_MEAN = N_("Did you mean {options}?")
MISSING_PARAMETER = N_("Error: {name} is missing.")
BAD_PARAMETER = N_("Error: invalid value for {name}: {detail}")


def usage_error_lines(error: click.UsageError, lang: str) -> list[str]:
    """Return the lines to print for a usage error: usage, hint, then the error itself."""
    lines: list[str] = []
    context = error.ctx
    if context is not None:
        usage = context.get_usage()
        english_prefix = "Usage:"
        if usage.startswith(english_prefix):
            usage = gettext(lang, USAGE_PREFIX) + usage[len(english_prefix) :]
        lines.append(usage)
        lines.append(gettext(lang, HELP_HINT, command=context.command_path))
        lines.append("")
    lines.append(_error_text(error, lang))
    return lines


def _error_text(error: click.UsageError, lang: str) -> str:
    if isinstance(error, NoSuchOption):
        text = gettext(lang, NO_SUCH_OPTION, option=error.option_name)
        if error.possibilities:
            options = ", ".join(sorted(error.possibilities))
            separator = "" if lang == "ja" else " "  # Japanese sentences join without a space
            text += separator + gettext(lang, DID_YOU_MEAN, options=options)
        return text
    if isinstance(error, MissingParameter):
        return gettext(lang, MISSING_PARAMETER, name=_parameter_name(error))
    if isinstance(error, BadParameter):
        # Click's own detail (e.g. "'fr' is not one of 'ja', 'en'.") stays as
        # click wrote it: it quotes the values, which read the same in Japanese.
        return gettext(lang, BAD_PARAMETER, name=_parameter_name(error), detail=error.message)
    return error.format_message()


def _parameter_name(error: MissingParameter | BadParameter) -> str:
    if error.param_hint:
        hint = error.param_hint
        return hint if isinstance(hint, str) else " / ".join(hint)
    if error.param is not None:
        opts = getattr(error.param, "opts", None)
        if isinstance(error.param, click.Argument) or not opts:
            return (error.param.name or "").upper()
        return opts[0]
    return ""
