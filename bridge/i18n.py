"""Message catalogs: gettext through Babel, Japanese and English.

Catalogs live as .po files in ``bridge/translations/<lang>/LC_MESSAGES``. They
are compiled in memory on first use, so no binary .mo file is kept in the
repository. Message ids are the English texts; the English catalog only
exists so that every language goes through the same path.
"""

from __future__ import annotations

import io
import os
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
CATALOG_DIR = Path(__file__).parent / "translations"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a message id for extraction without translating it yet."""
    return message


@cache
def translations(lang: str) -> Translations:
    """Return the compiled catalog of ``lang`` (falls back to the message ids)."""
    path = CATALOG_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Translations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def normalize_language(lang: str | None) -> str:
    """Return "ja" or "en" for a language tag such as ja_JP, ja-JP, en-US or None."""
    if not lang:
        return DEFAULT_LANGUAGE
    base = lang.replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else "en"


def environment_language() -> str | None:
    """Return the language of the user's locale settings, or None when they name none.

    The C and POSIX locales name no language, so they give None (and the
    callers' Japanese default) rather than Python's alias of C.UTF-8 to en_US.
    """
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if not value:
            continue
        if value in ("C", "POSIX") or value.startswith(("C.", "POSIX.")):
            return None
        return normalize_language(value)
    return None


class _Fields(dict):
    """Format fields that leave an unknown ``{name}`` visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def gettext(lang: str, message: str, /, **params: object) -> str:
    """Translate ``message`` into ``lang`` and fill its ``{name}`` fields."""
    text = translations(normalize_language(lang)).gettext(message)
    return text.format_map(_Fields(params)) if params else text


def ngettext(lang: str, singular: str, plural: str, count: int, /, **params: object) -> str:
    text = translations(normalize_language(lang)).ngettext(singular, plural, count)
    return text.format_map(_Fields(params, count=count))
