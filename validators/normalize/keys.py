"""Match keys: the forms in which two cells are compared to find duplicate records."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

from validators.normalize.core import (
    MAX_DISTINCT_SHARE_FOR_TEXT,
    SEPARATOR,
    distinct_characters,
    nfkc_casefold,
    prepare,
    transform_joined,
)

# Legal-form words, matched after NFKC and casefolding, so ㈱ and （株） are
# both "(株)" here. The English ones are whole words once punctuation is gone
# ("K.K." -> "k k"), so "Zinc" keeps its "inc".
_JAPANESE_LEGAL_FORMS = ("株式会社", "有限会社", "合同会社", "合資会社", "合名会社", "(株)", "(有)")
_ENGLISH_LEGAL_FORMS = ("inc", "co", "ltd", "corp", "corporation", "llc", "k k")


def _punctuation_to(joined: str, replacement: str) -> str:
    """Replace every character that is not a letter or digit (regex \\W and "_")."""
    for character in distinct_characters(joined):
        if character != SEPARATOR and not character.isalnum():
            joined = joined.replace(character, replacement)
    return joined.replace("_", replacement)


def _without_legal_forms(joined: str) -> str:
    # Plain str.replace over the whole batch: a regex with word boundaries
    # would try a match at every character, which is many times slower.
    for form in _JAPANESE_LEGAL_FORMS:
        joined = joined.replace(form, " ")
    joined = _punctuation_to(joined, " ")
    joined = f" {joined.replace(SEPARATOR, f' {SEPARATOR} ')} "
    for form in _ENGLISH_LEGAL_FORMS:
        word = f" {form} "
        while word in joined:  # one pass misses the second of "co co"
            joined = joined.replace(word, " ")
    return joined.replace(" ", "")


def _without_punctuation(joined: str) -> str:
    return _punctuation_to(joined, "")


def _fold(joined: str) -> str:
    return unicodedata.normalize("NFKC", joined).casefold()


def _company_keys(texts: list[str]) -> list[str]:
    keys = transform_joined(texts, lambda joined: _without_legal_forms(_fold(joined)))
    if "" not in keys:
        return keys
    fallback = transform_joined(texts, lambda joined: _without_punctuation(_fold(joined)))
    return [key or other for key, other in zip(keys, fallback, strict=True)]


def _keys_of_texts(series: pd.Series, make_keys: Callable[[list[str]], list[str]]) -> pd.Series:
    """Apply make_keys once per distinct cleaned text. Blank cells get None."""
    column = prepare(series, max_distinct_share=MAX_DISTINCT_SHARE_FOR_TEXT)
    keys = np.full(len(column.cells), None, dtype=object)
    present = ~column.empty
    if present.any():
        keys[present] = make_keys(column.cells.text[present].tolist())
        keys[keys == ""] = None
    return pd.Series(column.distinct.expand(keys, None), index=series.index, dtype=object)


def company_match_key(series: pd.Series) -> pd.Series:
    """Return a key per company name that ignores width, case, legal form and punctuation.

    "株式会社ABC", "ＡＢＣ（株）" and "ABC Co., Ltd." all get the key "abc".
    A name that is nothing but a legal form keeps it ("株式会社" -> "株式会社").
    Blank cells, and names of punctuation alone, get None.
    """
    return _keys_of_texts(series, _company_keys)


def email_match_key(series: pd.Series) -> pd.Series:
    """Return a key per e-mail address that ignores width and case, or None for a blank cell."""
    return _keys_of_texts(series, nfkc_casefold)
