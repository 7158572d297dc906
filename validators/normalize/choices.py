"""Boolean and enumeration cells."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import numpy as np

from validators.normalize.core import (
    CATEGORY_BOOL,
    CATEGORY_NUMBER,
    CATEGORY_OTHER,
    CATEGORY_STR,
    Cells,
    OptionSpec,
    Parsed,
    nfkc_casefold,
)

# Keys are NFKC-normalised and casefolded, so "ＴＲＵＥ" and "Yes" match too.
_TRUE_WORDS = (
    "はい",
    "○",
    "◯",
    "〇",
    "有",
    "有り",
    "あり",
    "true",
    "yes",
    "y",
    "1",
    "on",
    "済",
    "済み",
)
_FALSE_WORDS = ("いいえ", "×", "✕", "無", "無し", "なし", "false", "no", "n", "0", "off", "未")
_BOOL_WORDS = {word: True for word in _TRUE_WORDS} | {word: False for word in _FALSE_WORDS}

# Distinct invalid values that get an option suggestion. difflib compares
# each with every option text, so a column of free text stops there.
MAX_SUGGESTED_VALUES = 5_000
SUGGESTION_CUTOFF = 0.6
_SEPARATORS_RE = re.compile(r"[\s_\-]+")


def parse_bool(cells: Cells) -> Parsed:
    """Parse はい/いいえ, ○/×, 有/無, あり/なし, 済/未, TRUE/FALSE, yes/no, y/n, on/off, 1/0.

    Checkbox values pass through. Numbers are True for 1 and False for 0.
    """
    values = np.full(len(cells), None, dtype=object)
    native = cells.mask(CATEGORY_BOOL)
    values[native] = [bool(value) for value in cells.raw[native]]

    numbers = cells.mask(CATEGORY_NUMBER)
    if numbers.any():
        floats = cells.raw[numbers].astype(np.float64)
        values[numbers] = np.where(floats == 1, True, np.where(floats == 0, False, None))

    textual = cells.mask(CATEGORY_STR) | cells.mask(CATEGORY_OTHER)
    if textual.any():
        keys = nfkc_casefold(cells.text[textual].tolist())
        values[textual] = [_BOOL_WORDS.get(key) for key in keys]
    return Parsed(values, np.equal(values, None))


def _squash(text: str) -> str:
    return _SEPARATORS_RE.sub("", text)


class OptionIndex:
    """Lookup of enumeration options by value, label or alias.

    Matching ignores case, character width (NFKC) and surrounding spaces,
    nothing else: "GTXPro" does not match "GTX Pro", but gets it as a
    suggestion.
    """

    def __init__(self, options: Sequence[OptionSpec]):
        self.by_key: dict[str, str] = {}
        # Internal values win over labels, labels over aliases, on a clash.
        for field in ("value", "label", "aliases"):
            for option in options:
                texts = option.aliases if field == "aliases" else (getattr(option, field),)
                for key in nfkc_casefold([text.strip() for text in texts]):
                    self.by_key.setdefault(key.strip(), option.value)
        self._labels: dict[str, str] = {}
        for option in options:
            texts = [option.value, option.label, *option.aliases]
            for key in nfkc_casefold(texts):
                self._labels.setdefault(_squash(key), option.label)

    def closest_label(self, key: str) -> str | None:
        """Return the label of the option closest to a casefolded key, or None."""
        matches = difflib.get_close_matches(
            _squash(key), list(self._labels), n=1, cutoff=SUGGESTION_CUTOFF
        )
        return self._labels[matches[0]] if matches else None


def parse_enum(cells: Cells, options: Sequence[OptionSpec]) -> Parsed:
    """Map each cell to the internal value of its option, and suggest the closest label on a miss."""
    index = OptionIndex(options)
    keys = [key.strip() for key in nfkc_casefold(cells.text.tolist())]
    values = np.array([index.by_key.get(key) for key in keys], dtype=object)
    invalid = np.equal(values, None)

    suggestion = np.full(len(cells), None, dtype=object)
    misses = np.flatnonzero(invalid)
    closest: dict[str, str | None] = {}
    for position in misses:
        key = keys[position]
        if key not in closest:
            if len(closest) >= MAX_SUGGESTED_VALUES:
                continue
            closest[key] = index.closest_label(key)
        suggestion[position] = closest[key]
    return Parsed(values, invalid, suggestion)
