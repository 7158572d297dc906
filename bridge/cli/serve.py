"""``bridge serve``: run the HTTP API on Flask's development server.

Production runs under gunicorn (see app.yaml). Settings come from the
environment as in production; BRIDGE_AUDIENCE is required.
"""

from __future__ import annotations

import logging

import click
from pydantic import ValidationError

from bridge.cli.app import EXIT_USAGE, cli, pick_language
from bridge.i18n import N_, gettext

SETTINGS_ERROR = N_(
    "Error: missing or invalid settings: {names}. Set BRIDGE_AUDIENCE to the OAuth client id "
    "of the add-on and BRIDGE_ALLOWED_DOMAINS to your email domains."
)


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="TCP port to listen on.")
@click.option("--debug", is_flag=True, help="Reload on code changes and show debug logs.")
def serve_command(host: str, port: int, debug: bool) -> None:
    """Run the HTTP API for development (JSON logs on stdout)."""
    from bridge.app import create_app

    try:
        app = create_app()
    except ValidationError as error:
        names = ", ".join(str(item["loc"][0]) for item in error.errors())
        click.echo(gettext(pick_language(None), SETTINGS_ERROR, names=names), err=True)
        raise SystemExit(EXIT_USAGE) from None
    logging.getLogger().setLevel(logging.DEBUG if debug else logging.INFO)
    app.run(host=host, port=port, debug=debug, use_reloader=debug)
