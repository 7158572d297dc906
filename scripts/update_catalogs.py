"""Extract message ids from the code and merge them into the .po catalogs.

Run after adding or changing a user-facing text, a command-line help text
included:

    python scripts/update_catalogs.py

New ids get an empty Japanese translation, which ``tests/test_catalogs.py``
reports until someone fills it in.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "bridge" / "translations"
TEMPLATE = ROOT / "build" / "messages.pot"
KEYWORDS = ["-k", "N_", "-k", "gettext:2", "-k", "ngettext:2,3"]


def extract() -> Catalog:
    TEMPLATE.parent.mkdir(exist_ok=True)
    subprocess.run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), *KEYWORDS,
         "--no-location", "-o", str(TEMPLATE), str(ROOT)],
        check=True,
    )  # fmt: skip
    with TEMPLATE.open("rb") as handle:
        return read_po(handle)


def merge(template: Catalog, lang: str) -> None:
    path = CATALOGS / lang / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
    else:
        catalog = Catalog(locale=lang, project="sheets-hubspot-bridge")
    catalog.update(template, no_fuzzy_matching=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, no_location=True, width=100)


def add_help_texts(template: Catalog) -> None:
    """Add the help texts of the command line, which click reads from the commands."""
    from bridge.cli import cli
    from bridge.cli.help_text import help_texts

    for text in help_texts(cli):
        if text not in template:
            template.add(text)


def main() -> int:
    template = extract()
    add_help_texts(template)
    for lang in ("ja", "en"):
        merge(template, lang)
    return 0


if __name__ == "__main__":
    sys.exit(main())
