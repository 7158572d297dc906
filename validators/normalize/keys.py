"""Match keys: the forms in which two cells are compared to find duplicate records."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from validators.normalize.core import clean_text, nfkc_casefold, transform_joined

# Legal-form words, matched after NFKC and casefolding: ㈱ and （株） both
# become "(株)". English forms must stand alone, so "Zinc" keeps its "inc".
_LEGAL_FORMS_RE = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|\((?:株|有)\)"
    r"|(?<![^\W_])(?:inc|co|ltd|corp|corporation|llc|k\.\s*k)\.?(?![^\W_])"
)
# Spaces, punctuation and symbols; the separator of the batch join is kept.
_NON_WORD_RE = re.compile(r"[^\w\x00]|_")


def _without_legal_forms(joined: str) -> str:
    return _NON_WORD_RE.sub("", _LEGAL_FORMS_RE.sub("", joined))


def _without_punctuation(joined: str) -> str:
    return _NON_WORD_RE.sub("", joined)


def _keys_of_texts(series: pd.Series, make_keys: Callable[[list[str]], list[str]]) -> pd.Series:
    """Apply make_keys once per distinct cleaned text; blank cells get None."""
    codes, texts = pd.factorize(clean_text(series), use_na_sentinel=True)
    keys = np.full(len(texts) + 1, None, dtype=object)  # the last entry serves code -1
    if len(texts):
        keys[:-1] = [key or None for key in make_keys(list(texts))]
    return pd.Series(keys.take(codes), index=series.index, dtype=object)


def _company_keys(texts: list[str]) -> list[str]:
    folded = nfkc_casefold(texts)
    stripped = transform_joined(folded, _without_legal_forms)
    fallback = transform_joined(folded, _without_punctuation)
    return [key or other for key, other in zip(stripped, fallback, strict=True)]


def company_match_key(series: pd.Series) -> pd.Series:
    """Return a key per company name that ignores width, case, legal form and punctuation.

    "株式会社ABC", "ＡＢＣ（株）" and "ABC Co., Ltd." all get the key "abc".
    A name that is nothing but a legal form keeps it ("株式会社" -> "株式会社").
    Blank cells, and names of punctuation alone, get None.
    """
    return _keys_of_texts(series, _company_keys)


def email_match_key(series: pd.Series) -> pd.Series:
    """Return a key per e-mail address that ignores width and case; None for blank cells."""
    return _keys_of_texts(series, nfkc_casefold)
