"""The ``bridge`` command line: one module per command group."""

from __future__ import annotations

import sys

import click
from click.exceptions import NoArgsIsHelpError

from bridge.cli import design as _design  # noqa: F401 - registers the commands
from bridge.cli import design_show as _design_show  # noqa: F401 - registers the command
from bridge.cli import design_tab as _design_tab  # noqa: F401 - registers the commands
from bridge.cli import kpi as _kpi  # noqa: F401 - registers the command
from bridge.cli import serve as _serve  # noqa: F401 - registers the command
from bridge.cli import sync as _sync  # noqa: F401 - registers the commands
from bridge.cli import validate as _validate  # noqa: F401 - registers the command
from bridge.cli.app import EXIT_USAGE, cli, pick_language
from bridge.cli.help_text import lang_from_args
from bridge.cli.usage_errors import usage_error_lines


def main() -> None:
    """Run the command line; usage errors print in the user's language."""
    try:
        cli.main(prog_name="bridge", standalone_mode=False)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except NoArgsIsHelpError as error:
        error.show()  # the help text itself, which click writes
        sys.exit(EXIT_USAGE)
    except click.UsageError as error:
        lang = pick_language(lang_from_args(sys.argv[1:]))
        for line in usage_error_lines(error, lang, sys.argv[1:]):
            click.echo(line, err=True)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort:
        sys.exit(1)
    sys.exit(0)
