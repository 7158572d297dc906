"""Japanese identifiers: postal codes and corporate numbers (法人番号)."""

from __future__ import annotations

import re

import numpy as np

from validators.normalize.core import Cells, Parsed, nfkc, transform_joined

# Dashes people type between the two parts: ASCII, Unicode dashes, the
# minus sign and the katakana long vowel mark ー.
_DASHES = "\\-‐‑‒–—―−ー"
_POSTAL_RE = re.compile(rf"〒?\s*(\d{{3}})\s*[{_DASHES}]?\s*(\d{{4}})")
_CORPORATE_SEPARATORS_RE = re.compile(rf"[\s{_DASHES}]")

CORPORATE_NUMBER_LENGTH = 13
# Weights of the 12 base digits from the left (the rightmost digit has weight 1).
_CORPORATE_WEIGHTS = np.array([2, 1] * 6, dtype=np.int64)


def parse_postal_code(cells: Cells) -> Parsed:
    """Parse Japanese postal codes (〒123-4567, 1234567, １２３－４５６７) to "123-4567".

    A 6-digit number (a code stored as a number, which lost its leading 0)
    is invalid, with the padded code as suggestion.
    """
    texts = nfkc(cells.text.tolist())
    values = np.full(len(texts), None, dtype=object)
    suggestion = np.full(len(texts), None, dtype=object)
    for position, text in enumerate(texts):
        match = _POSTAL_RE.fullmatch(text)
        if match is not None:
            values[position] = f"{match[1]}-{match[2]}"
        elif len(text) == 6 and text.isdigit() and text.isascii():
            suggestion[position] = f"0{text[:2]}-{text[2:]}"
    return Parsed(values, np.equal(values, None), suggestion)


def corporate_check_digit(base: str) -> int:
    """Return the check digit of a 12-digit base number of a 法人番号.

    National Tax Agency rule: with P(n) the n-th base digit counted from the
    right and Q(n) = 1 for odd n, 2 for even n, the check digit is
    9 - (sum of P(n) * Q(n) mod 9).
    """
    digits = np.frombuffer(base.encode("ascii"), dtype=np.uint8).astype(np.int64) - ord("0")
    return int(9 - (digits @ _CORPORATE_WEIGHTS) % 9)


def parse_corporate_number(cells: Cells) -> Parsed:
    """Parse 13-digit corporate numbers (法人番号) and verify their check digit.

    Hyphens and spaces are removed, full-width digits allowed. The check
    digit is the first digit. A 12-digit value (the base number alone, as in
    a 会社法人等番号) is invalid, with the full number as suggestion.
    """
    texts = nfkc(cells.text.tolist())
    compact = transform_joined(texts, lambda joined: _CORPORATE_SEPARATORS_RE.sub("", joined))
    digit_strings = np.fromiter(
        (text.isascii() and text.isdigit() for text in compact), bool, len(compact)
    )
    lengths = np.fromiter(map(len, compact), np.int64, len(compact))
    values = np.full(len(texts), None, dtype=object)

    candidates = np.flatnonzero(digit_strings & (lengths == CORPORATE_NUMBER_LENGTH))
    if len(candidates):
        joined = "".join(compact[position] for position in candidates).encode("ascii")
        digits = np.frombuffer(joined, dtype=np.uint8).reshape(-1, CORPORATE_NUMBER_LENGTH)
        digits = digits.astype(np.int64) - ord("0")
        expected = 9 - (digits[:, 1:] @ _CORPORATE_WEIGHTS) % 9
        for position in candidates[digits[:, 0] == expected]:
            values[position] = compact[position]

    suggestion = np.full(len(texts), None, dtype=object)
    for position in np.flatnonzero(digit_strings & (lengths == CORPORATE_NUMBER_LENGTH - 1)):
        base = compact[position]
        suggestion[position] = f"{corporate_check_digit(base)}{base}"
    return Parsed(values, np.equal(values, None), suggestion)
