"""Message catalogs: every text in the code has a Japanese translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from bridge.i18n import gettext, normalize_language

ROOT = Path(__file__).resolve().parent.parent


def extracted_ids(tmp_path: Path) -> set[str]:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-c", "from babel.messages.frontend import main; main()", "-q", "extract",
         "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-k", "gettext:2", "-k", "ngettext:2,3",
         "--no-location", "-o", str(template), str(ROOT)],
        check=True,
    )  # fmt: skip
    with template.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def catalog(lang: str):
    with (ROOT / "bridge" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def test_every_message_has_japanese_text(tmp_path):
    ids = extracted_ids(tmp_path)
    japanese = {message.id: message.string for message in catalog("ja") if message.id}
    missing = sorted(message_id for message_id in ids if not japanese.get(message_id))
    assert missing == [], "run scripts/update_catalogs.py and translate these"


def test_japanese_keeps_every_placeholder():
    import string

    formatter = string.Formatter()
    for message in catalog("ja"):
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        fields = {name for _, name, _, _ in formatter.parse(message.id) if name}
        translated = {name for _, name, _, _ in formatter.parse(message.string) if name}
        assert fields == translated, message.id


def test_language_selection():
    assert normalize_language("ja_JP.UTF-8") == "ja"
    assert normalize_language("en-US") == "en"
    assert normalize_language("fr") == "en"
    assert normalize_language(None) == "ja"
    assert gettext("ja", "Rows checked") == "検証した行"
    assert gettext("en", "Rows checked") == "Rows checked"


def test_environment_language(monkeypatch):
    from bridge.i18n import environment_language

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert environment_language() is None
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert environment_language() is None
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert environment_language() == "en"
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    assert environment_language() == "ja"
