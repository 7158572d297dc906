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
SETTING_INVALID = N_(
    "Error: the setting {names} is missing or invalid ({detail}). The settings table of "
    "docs/service.md lists each setting and its allowed values."
)
AUTH_SETTINGS = {"BRIDGE_AUDIENCE", "BRIDGE_ALLOWED_DOMAINS"}


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="TCP port to listen on.")
@click.option("--debug", is_flag=True, help="Reload on code changes and show debug logs.")
def serve_command(host: str, port: int, debug: bool) -> None:
    """Run the HTTP API for development (JSON logs on stdout)."""
    from bridge.app import SettingsError, create_app
    from bridge.web.problems import field_message

    lang = pick_language(None)
    try:
        app = create_app()
    except ValidationError as error:
        items = error.errors(include_url=False)
        names = [str(item["loc"][0]) for item in items if item["loc"]]
        if AUTH_SETTINGS & set(names):
            click.echo(gettext(lang, SETTINGS_ERROR, names=", ".join(names)), err=True)
        else:
            detail = " ".join(field_message(item, lang) for item in items).rstrip("。.")
            click.echo(gettext(lang, SETTING_INVALID, names=", ".join(names), detail=detail),
                       err=True)  # fmt: skip
        raise SystemExit(EXIT_USAGE) from None
    except SettingsError as error:
        detail = gettext(lang, error.detail)
        click.echo(gettext(lang, SETTING_INVALID, names=error.name, detail=detail), err=True)
        raise SystemExit(EXIT_USAGE) from None
    logging.getLogger().setLevel(logging.DEBUG if debug else logging.INFO)
    app.run(host=host, port=port, debug=debug, use_reloader=debug)
