"""Japanese identifiers: postal codes and corporate numbers (法人番号)."""

from __future__ import annotations

import re

import numpy as np

from validators.normalize.core import (
    Cells,
    Parsed,
    apply_distinct,
    fixed_width_codes,
    nfkc,
    remove_characters,
    transform_joined,
)

# Dashes people type between the two parts: ASCII, Unicode dashes, the
# minus sign and the katakana long vowel mark ー.
_DASHES = "-‐‑‒–—―−ー"
_POSTAL_RE = re.compile(rf"〒?\s*([0-9]{{3}})\s*[{_DASHES}]?\s*([0-9]{{4}})")
POSTAL_CODE_LENGTH = 7

CORPORATE_NUMBER_LENGTH = 13
# Weights of the 12 base digits from the left (the rightmost digit has weight 1).
_CORPORATE_WEIGHTS = np.array([2, 1] * 6, dtype=np.int64)


def _all_ascii_digits(codes: np.ndarray) -> np.ndarray:
    """Return per row whether every code point is an ASCII digit."""
    return ((codes - ord("0")) < 10).all(axis=1)  # unsigned: codes below "0" wrap around


def _plain_postal_forms(joined: str) -> str:
    """Drop a leading 〒 (and one space after it) and turn other dashes into "-"."""
    for dash in _DASHES[1:]:
        if dash in joined:
            joined = joined.replace(dash, "-")
    if "〒" not in joined:
        return joined
    return f"\x00{joined}".replace("\x00〒 ", "\x00").replace("\x00〒", "\x00")[1:]


def parse_postal_code(cells: Cells) -> Parsed:
    """Parse Japanese postal codes (〒123-4567, 1234567, １２３－４５６７) to "123-4567".

    A 6-digit number (a code stored as a number, which lost its leading 0)
    is invalid, with the padded code as suggestion.
    """
    texts = nfkc(cells.text.tolist())
    count = len(texts)
    values = np.full(count, None, dtype=object)
    slow = np.ones(count, dtype=bool)
    # The fast path reads 123-4567 and 1234567 only.
    texts = transform_joined(texts, _plain_postal_forms)
    lengths = np.fromiter(map(len, texts), np.int64, count)

    # Fast path for 1234567 and 123-4567, checked on code points in numpy.
    plain = np.flatnonzero(lengths == POSTAL_CODE_LENGTH)
    if len(plain):
        codes = fixed_width_codes([texts[i] for i in plain], POSTAL_CODE_LENGTH)
        digits = _all_ascii_digits(codes)
        dashed = np.empty((len(plain), POSTAL_CODE_LENGTH + 1), dtype=np.uint32)
        dashed[:, :3] = codes[:, :3]
        dashed[:, 3] = ord("-")
        dashed[:, 4:] = codes[:, 3:]
        formatted = dashed[digits].view(f"U{POSTAL_CODE_LENGTH + 1}").ravel()
        values[plain[digits]] = formatted.tolist()
        slow[plain[digits]] = False
    hyphenated = np.flatnonzero(lengths == POSTAL_CODE_LENGTH + 1)
    if len(hyphenated):
        array = np.array([texts[i] for i in hyphenated], dtype=object)
        codes = fixed_width_codes(array.tolist(), POSTAL_CODE_LENGTH + 1)
        digits = _all_ascii_digits(np.delete(codes, 3, axis=1)) & (codes[:, 3] == ord("-"))
        values[hyphenated[digits]] = array[digits]
        slow[hyphenated[digits]] = False

    suggestion = np.full(count, None, dtype=object)
    positions = np.flatnonzero(slow)
    for position, (value, fix) in zip(
        positions, apply_distinct(_read_postal_code, texts, positions), strict=True
    ):
        values[position] = value
        suggestion[position] = fix
    return Parsed(values, np.equal(values, None), suggestion)


def _read_postal_code(text: str) -> tuple[str | None, str | None]:
    """Return (postal code, suggestion) for a text the fast path did not take."""
    match = _POSTAL_RE.fullmatch(text)
    if match is not None:
        return f"{match[1]}-{match[2]}", None
    if len(text) == 6 and text.isdigit() and text.isascii():
        return None, f"0{text[:2]}-{text[2:]}"
    return None, None


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
    compact = np.array(
        transform_joined(texts, lambda joined: remove_characters(joined, " \t" + _DASHES)),
        dtype=object,
    )
    lengths = np.fromiter(map(len, compact), np.int64, len(compact))
    values = np.full(len(texts), None, dtype=object)

    candidates = np.flatnonzero(lengths == CORPORATE_NUMBER_LENGTH)
    if len(candidates):
        codes = fixed_width_codes(compact[candidates].tolist(), CORPORATE_NUMBER_LENGTH)
        digits = codes.astype(np.int64) - ord("0")
        expected = 9 - (digits[:, 1:] @ _CORPORATE_WEIGHTS) % 9
        valid = _all_ascii_digits(codes) & (digits[:, 0] == expected)
        values[candidates[valid]] = compact[candidates[valid]]

    suggestion = np.full(len(texts), None, dtype=object)
    for position in np.flatnonzero(lengths == CORPORATE_NUMBER_LENGTH - 1):
        base = compact[position]
        if base.isascii() and base.isdigit():
            suggestion[position] = f"{corporate_check_digit(base)}{base}"
    return Parsed(values, np.equal(values, None), suggestion)
