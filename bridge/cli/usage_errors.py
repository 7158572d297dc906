"""Command-line usage errors (unknown option, missing argument …) in the user's language.

Click prints these itself in English; ``main`` catches them instead and
prints the same facts through the catalogs.
"""

from __future__ import annotations

from collections.abc import Sequence

import click
from click.exceptions import BadParameter, MissingParameter, NoSuchCommand, NoSuchOption

from bridge.i18n import N_, gettext

USAGE_PREFIX = N_("Usage:")
HELP_HINT = N_("Try '{command} --help' for help.")
NO_SUCH_OPTION = N_("Error: there is no option {option}.")
NO_SUCH_COMMAND = N_("Error: there is no command {command}.")
DID_YOU_MEAN = N_("Did you mean {options}?")
MISSING_PARAMETER = N_("Error: {name} is missing.")
BAD_PARAMETER = N_("Error: invalid value for {name}: {detail}")
BAD_CHOICE = N_('Error: "{value}" is not a choice for {name}. Choose one of: {choices}.')
NOT_AN_INTEGER = N_('Error: "{value}" is not a whole number for {name}.')
BELOW_MINIMUM = N_("Error: {name} must be {minimum} or more, not {value}.")


def usage_error_lines(error: click.UsageError, lang: str, args: Sequence[str] = ()) -> list[str]:
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
    lines.append(_error_text(error, lang, args))
    return lines


def _error_text(error: click.UsageError, lang: str, args: Sequence[str]) -> str:
    if isinstance(error, NoSuchOption):
        text = gettext(lang, NO_SUCH_OPTION, option=error.option_name)
        return text + _did_you_mean(error.possibilities, lang)
    if isinstance(error, NoSuchCommand):
        text = gettext(lang, NO_SUCH_COMMAND, command=error.command_name)
        return text + _did_you_mean(error.possibilities, lang)
    if isinstance(error, MissingParameter):
        return gettext(lang, MISSING_PARAMETER, name=_parameter_name(error))
    if isinstance(error, BadParameter):
        return _bad_parameter_text(error, lang, args)
    return error.format_message()


def _did_you_mean(possibilities: Sequence[str] | None, lang: str) -> str:
    if not possibilities:
        return ""
    options = ", ".join(sorted(possibilities))
    separator = "" if lang == "ja" else " "  # Japanese sentences join without a space
    return separator + gettext(lang, DID_YOU_MEAN, options=options)


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


def _bad_parameter_text(error: BadParameter, lang: str, args: Sequence[str]) -> str:
    """Return the message for an invalid option value, in the user's language for common types.

    Click keeps the value only inside its English detail, so it is taken
    from the command line's arguments.
    """
    name = _parameter_name(error)
    param_type = getattr(error.param, "type", None)
    value = _given_value(error, args)
    if value is not None and isinstance(param_type, click.Choice):
        choices = ", ".join(str(choice) for choice in param_type.choices)
        return gettext(lang, BAD_CHOICE, value=value, name=name, choices=choices)
    below = isinstance(param_type, click.IntRange) and param_type.min is not None
    if value is not None and below and _is_integer(value):
        return gettext(lang, BELOW_MINIMUM, name=name, minimum=param_type.min, value=value)
    if value is not None and isinstance(param_type, click.types.IntParamType):
        return gettext(lang, NOT_AN_INTEGER, value=value, name=name)
    # Other details stay as click wrote them: they quote the value.
    return gettext(lang, BAD_PARAMETER, name=name, detail=error.message)


def _given_value(error: BadParameter, args: Sequence[str]) -> str | None:
    """Return the text given for the option on the command line, or None."""
    if error.param is None:
        return None
    opts = getattr(error.param, "opts", [])
    for index, arg in enumerate(args):
        for opt in opts:
            if arg == opt and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(opt + "="):
                return arg[len(opt) + 1 :]
    return None


def _is_integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
