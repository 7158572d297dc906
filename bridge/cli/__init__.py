"""The ``bridge`` command line: one module per command group."""

from __future__ import annotations

import sys

from bridge.cli import design as _design  # noqa: F401 - registers the commands
from bridge.cli import design_show as _design_show  # noqa: F401 - registers the command
from bridge.cli import design_tab as _design_tab  # noqa: F401 - registers the commands
from bridge.cli import kpi as _kpi  # noqa: F401 - registers the command
from bridge.cli import serve as _serve  # noqa: F401 - registers the command
from bridge.cli import sync as _sync  # noqa: F401 - registers the commands
from bridge.cli import validate as _validate  # noqa: F401 - registers the command
from bridge.cli.app import cli


def main() -> None:
    sys.exit(cli.main(prog_name="bridge", standalone_mode=True))
