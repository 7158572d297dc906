"""The ``bridge design`` command group.

It lives in its own module so that each ``design`` subcommand module (``show``
in ``bridge.cli.design_show``, and ``check``/``pull``/``push`` in
``bridge.cli.design``) attaches to this one group with ``@design.command``.
Defining a second ``design`` group elsewhere would replace this one and hide
its subcommands.
"""

from __future__ import annotations

from bridge.cli.app import cli


@cli.group("design")
def design() -> None:
    """Show, check and exchange the pipeline design."""
