"""Number, currency and percent cells: Japanese amount notation included."""

from __future__ import annotations

import csv
import io
import re
import string
from decimal import Decimal

import numpy as np
import pandas as pd

from validators.normalize.core import (
    CATEGORY_NUMBER,
    CATEGORY_OTHER,
    CATEGORY_STR,
    SEPARATOR,
    Cells,
    Parsed,
    apply_distinct,
    byte_classes,
    byte_table,
    nfkc,
    transform_joined,
)

# A plain decimal number whose thousands separators, if any, group by three.
_DECIMAL = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_PLAIN_RE = re.compile(rf"(?:{_DECIMAL})(?:e[+-]?\d+)?", re.IGNORECASE)

# Japanese units: 兆 1e12, 億 1e8 and 万 1e4 each start a new group of four
# digits; 千 and 百 count inside a group ("2千万" is 2000 x 1e4). Decimal
# keeps "1.1万" at exactly 11000.
_LARGE_UNITS = {"兆": Decimal("1e12"), "億": Decimal("1e8"), "万": Decimal("1e4")}
_SMALL_UNITS = {"千": Decimal("1e3"), "百": Decimal("1e2")}
_UNIT_EXPONENTS = {"兆": "e12", "億": "e8", "万": "e4", "千": "e3"}
_UNIT_TOKEN_RE = re.compile(rf"({_DECIMAL})?([兆億万千百])")
_UNIT_REST_RE = re.compile(_DECIMAL)

# Minus signs: ASCII, U+2212 MINUS SIGN, and the triangles of Japanese
# accounting (▲ and △ both mark a negative amount).
_MINUS_SIGNS = "-\u2212▲△"
# "\" shows as the yen sign in Japanese fonts, so sheets typed on Japanese
# keyboards contain "\1,000".
_CURRENCY_PREFIXES = ("¥", "$", "\\")
_CURRENCY_SUFFIXES = ("円",)

# Batch simplification of the common forms before the bulk float conversion:
# drop well-placed thousands separators, a leading currency sign and a
# trailing 円. float() ignores the spaces this may leave at either end. Each
# pattern starts with a literal character, which lets re skip ahead quickly.
_THOUSANDS_RE = re.compile(r",(?<=\d,)(?=\d{3}(?!\d))")
_PREFIX_RE = re.compile(r"\x00[¥$\\]")
_SUFFIX_RE = re.compile(r"円\x00")
# A single unit at the end becomes an exponent: "3.5万" -> "3.5e4". Other
# unit forms ("1億2000万", "1万5000") fail float() and reach the full parser.
_TRAILING_UNIT_RE = re.compile(r"([兆億万千])(?<=\d.)\x00")


def _has_misplaced_comma(joined: str) -> bool:
    """Return True unless every comma has a digit before it and exactly three after it."""
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    is_digit = (codes - ord("0")) < 10  # unsigned: code points below "0" wrap around
    padded = np.concatenate([[False], is_digit, [False] * 4])
    commas = np.flatnonzero(codes == ord(",")) + 1  # positions in padded
    grouped = padded[commas - 1] & padded[commas + 1] & padded[commas + 2] & padded[commas + 3]
    return not (grouped & ~padded[commas + 4]).all()


def _simplify(joined: str) -> str:
    if "," in joined:
        # Removing every comma is far cheaper than the regex when all are
        # thousands separators, which is the usual case.
        if _has_misplaced_comma(joined):
            joined = _THOUSANDS_RE.sub("", joined)
        else:
            joined = joined.replace(",", "")
    # Separators at both ends let the patterns find the first and last value.
    joined = f"\x00{joined}\x00"
    if "¥" in joined or "$" in joined or "\\" in joined:
        joined = _PREFIX_RE.sub("\x00", joined)
    if "円" in joined:
        joined = _SUFFIX_RE.sub("\x00", joined)
    if any(unit in joined for unit in _UNIT_EXPONENTS):
        joined = _TRAILING_UNIT_RE.sub(lambda match: _UNIT_EXPONENTS[match[1]] + "\x00", joined)
    return joined[1:-1]


# The characters that _simplify removes or rewrites.
_SIMPLIFIED_CHARACTERS = ",¥$\\円" + "".join(_UNIT_EXPONENTS)


def _simplified(texts: list[str]) -> list[str]:
    """Return the texts as _simplify rewrites them; most columns have nothing to rewrite."""
    joined = SEPARATOR.join(texts)
    if not any(character in joined for character in _SIMPLIFIED_CHARACTERS):
        return texts
    return transform_joined(texts, _simplify)


def parse_amount_text(text: str) -> float | None:
    """Parse an amount such as "¥1,200", "▲500", "(1,000)" or "1億2000万円" (NFKC text).

    Return None when the text is not an amount.
    """
    text = text.strip()
    negative = False
    if len(text) > 2 and text[0] == "(" and text[-1] == ")":
        negative = True
        text = text[1:-1].strip()

    # Sign and currency may come in either order: "-¥100", "¥-100", "▲100円".
    for _ in range(2):
        if text and text[0] in _MINUS_SIGNS:
            if negative:
                return None
            negative = True
            text = text[1:].lstrip()
        elif text[:1] == "+":
            text = text[1:].lstrip()
        if text.startswith(_CURRENCY_PREFIXES):
            text = text[1:].lstrip()
    if text.endswith(_CURRENCY_SUFFIXES):
        text = text[:-1].rstrip()
    if not text:
        return None

    if _PLAIN_RE.fullmatch(text):
        number = float(text.replace(",", ""))
    else:
        number = _parse_units(text)
        if number is None:
            return None
    return -number if negative else number


def _parse_units(text: str) -> float | None:
    """Parse a number written with 兆/億/万/千/百, such as "1億2000万" or "3.5万"."""
    total = Decimal(0)
    group = Decimal(0)  # the part below the next large unit
    last_large: Decimal | None = None
    last_small: Decimal | None = None
    position = 0
    for match in _UNIT_TOKEN_RE.finditer(text):
        if match.start() != position:
            return None
        digits, unit = match.groups()
        number = Decimal(digits.replace(",", "")) if digits else None
        if unit in _LARGE_UNITS:
            scale = _LARGE_UNITS[unit]
            if (last_large is not None and scale >= last_large) or (number is None and not group):
                return None
            coefficient = group + (number or 0)
            total += coefficient * scale
            group = Decimal(0)
            last_large = scale
            last_small = None
        else:
            scale = _SMALL_UNITS[unit]
            if last_small is not None and scale >= last_small:
                return None
            group += (1 if number is None else number) * scale
            last_small = scale
        position = match.end()
    if position == 0:
        return None
    rest = text[position:]
    if rest:
        if not _UNIT_REST_RE.fullmatch(rest):
            return None
        group += Decimal(rest.replace(",", ""))
    return float(total + group)


def _bulk_float(texts: list[str]) -> np.ndarray:
    """Convert texts to float64, NaN where a text is not a plain number."""
    numbers = _read_floats_as_csv(texts)
    if numbers is None:
        numbers = _to_numeric(texts)
    # "nan" and "inf" go to the strict parser, which rejects them.
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers


def _to_numeric(texts: list[str]) -> np.ndarray:
    # Not float(): it would also read "1_000".
    values = np.array(texts, dtype=object)
    return pd.to_numeric(values, errors="coerce").astype(np.float64)


# Byte flags for _NumberLines. The C reader and pd.to_numeric read lines of
# digits, ".", "e", "E", "-" and ASCII spaces alike. With any other byte in
# a line (a letter, a non-ASCII character, a control character),
# to_numeric returns NaN or inf, checked with pandas 3.1 for every
# character below U+3000, and so does a line without a digit. For some
# numbers with a "+" and 18 or more digits, the C reader of pandas 3.1
# returns a float one unit in the last place away from to_numeric's
# result, so "+" has a flag of its own.
_NOT_NUMBER_BYTE = 1
_PLUS_BYTE = 2
_DIGIT_BYTE = 4
_SIGN_OR_POINT_BYTE = 8  # the other bytes of a number: ".eE-" and ASCII spaces
_NUMBER_BYTE_FLAGS = byte_classes(
    ~byte_table(string.digits + ".eE-+ \t\x0b\x0c\n"),
    byte_table("+"),
    byte_table(string.digits),
    byte_table(".eE- \t\x0b\x0c"),
)
# Digits of a whole number that a float64 represents exactly: 10**15 < 2**53.
_MAX_EXACT_DIGITS = 15


def _read_floats_as_csv(texts: list[str]) -> np.ndarray | None:
    """Parse the texts with pandas' C CSV reader, one value per line.

    The reader is about three times faster than float() per value. A line
    of at most 15 digits is read faster still in numpy, to the same exact
    value. When every text is a plain number, the reader reads the other
    lines. Otherwise each value is the one pd.to_numeric gives when it
    converts the whole column. The lines that the reader would reject or
    read differently are set aside. Those that to_numeric cannot read
    become NaN, and to_numeric converts the others. Return None when a text
    contains a line break, or when a line that looked plain still fails
    ("1-2"). The caller then converts all texts with to_numeric.
    """
    joined = "\n".join(texts)
    if not texts or "\r" in joined or joined.count("\n") != len(texts) - 1:
        return None
    lines = _NumberLines(joined)
    flags = lines.flags
    not_number = ((flags & _NOT_NUMBER_BYTE) != 0) | ((flags & _DIGIT_BYTE) == 0)
    plus = np.zeros(len(texts), dtype=bool)
    if not_number.any():
        # to_numeric gives every value then, and the reader reads some "+" lines differently.
        plus = ((flags & _PLUS_BYTE) != 0) & ~not_number
    whole = (flags == _DIGIT_BYTE) & (lines.lengths <= _MAX_EXACT_DIGITS)
    read = ~(not_number | plus | whole)

    numbers = np.full(len(texts), np.nan)
    numbers[whole] = lines.whole_numbers(whole)
    if read.any():
        positions = np.flatnonzero(read)
        values = _read_csv_column("\n".join(texts[i] for i in positions), len(positions))
        if values is None:
            return None
        numbers[read] = values
    if plus.any():
        # The sentinel makes to_numeric return floats even when every other
        # text is an integer, as it does when it converts the whole column:
        # "-0" stays -0.0 instead of becoming the integer 0.
        converted = _to_numeric([*(texts[position] for position in np.flatnonzero(plus)), "x"])
        numbers[plus] = converted[:-1]
    return numbers


class _NumberLines:
    """Texts joined by line breaks, as UTF-8 bytes, with each line's position and byte flags."""

    def __init__(self, joined: str):
        self.data = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
        breaks = np.flatnonzero(self.data == ord("\n"))
        self.starts = np.concatenate(([0], breaks + 1))
        self.lengths = np.append(breaks, len(self.data)) - self.starts

        # The _NUMBER_BYTE_FLAGS of all bytes of a line, combined. A segment
        # of reduceat runs up to the next start given, so a filled line's
        # segment also covers the line breaks of the empty lines after it,
        # which carry no flag.
        filled = self.lengths > 0
        self.flags = np.zeros(len(self.starts), dtype=np.uint8)
        if filled.any():
            flags = _NUMBER_BYTE_FLAGS[self.data]
            self.flags[filled] = np.bitwise_or.reduceat(flags, self.starts[filled])

    def whole_numbers(self, lines: np.ndarray) -> np.ndarray:
        """Return the value of each line in the mask ``lines``; each is 1 to 15 ASCII digits."""
        starts = self.starts[lines]
        lengths = self.lengths[lines]
        values = np.zeros(len(starts), dtype=np.int64)
        # One digit of every line per step, most significant first.
        for offset in range(int(lengths.max(initial=0))):
            inside = lengths > offset
            digits = self.data[np.where(inside, starts + offset, 0)].astype(np.int64) - ord("0")
            values = np.where(inside, values * 10 + digits, values)
        return values.astype(np.float64)


def _read_csv_column(joined: str, count: int) -> np.ndarray | None:
    """Read one float per line with pandas' C reader; None when a line does not parse."""
    try:
        frame = pd.read_csv(
            io.StringIO(joined),
            header=None,
            names=["value"],
            dtype=np.float64,
            engine="c",
            sep="\x1f",  # a separator no value contains: one column
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=False,
            na_filter=False,
        )
    except (ValueError, pd.errors.ParserError):
        return None
    if len(frame) != count:
        return None
    return frame["value"].to_numpy(dtype=np.float64, copy=True)


def parse_amount_strings(texts: list[str]) -> np.ndarray:
    """Return the amount of each cleaned text as float64, NaN where invalid."""
    normal = nfkc(texts)
    numbers = _bulk_float(_simplified(normal))
    rest = np.flatnonzero(np.isnan(numbers))
    parsed = apply_distinct(parse_amount_text, normal, rest)
    numbers[rest] = [np.nan if number is None else number for number in parsed]
    return numbers


def _native_numbers(cells: Cells) -> np.ndarray:
    """Return the value of each int or float cell, NaN for all other cells."""
    values = np.full(len(cells), np.nan)
    native = cells.mask(CATEGORY_NUMBER)
    if native.any():
        values[native] = cells.raw[native].astype(np.float64)
        values[~np.isfinite(values)] = np.nan
    return values


def parse_number(cells: Cells) -> Parsed:
    """Parse number and currency cells to float64 (see parse_amount_text for the forms)."""
    values = _native_numbers(cells)
    textual = cells.mask(CATEGORY_STR) | cells.mask(CATEGORY_OTHER)
    if textual.any():
        values[textual] = parse_amount_strings(cells.text[textual].tolist())
    values[~np.isfinite(values)] = np.nan  # 1e400 overflows to inf
    return Parsed(values, np.isnan(values))


def parse_percent(cells: Cells) -> Parsed:
    """Parse percent cells to a fraction: "12%", "１２％" and 12 all become 0.12.

    A value with a percent sign is divided by 100. A bare number whose
    absolute value is above 1 is read in percent units (12 -> 0.12, -5 ->
    -0.05), and one of at most 1 as a fraction already (0.12 -> 0.12, 1 -> 1.0).
    """
    values = _native_numbers(cells)
    has_sign = np.zeros(len(cells), dtype=bool)
    textual = cells.mask(CATEGORY_STR) | cells.mask(CATEGORY_OTHER)
    if textual.any():
        normal = nfkc(cells.text[textual].tolist())
        signed = np.fromiter((text.endswith("%") for text in normal), bool, len(normal))
        stripped = [
            text[:-1].rstrip() if sign else text for text, sign in zip(normal, signed, strict=True)
        ]
        numbers = _bulk_float(stripped)
        rest = np.flatnonzero(np.isnan(numbers))
        numbers[rest] = apply_distinct(_parse_percent_number, stripped, rest)
        values[textual] = numbers
        has_sign[textual] = signed
    scaled = has_sign | (np.abs(values) > 1)
    values = np.where(scaled, values / 100.0, values)
    return Parsed(values, np.isnan(values))


def _parse_percent_number(text: str) -> float:
    sign = 1.0
    if text and text[0] in _MINUS_SIGNS:
        sign = -1.0
        text = text[1:].lstrip()
    if not _PLAIN_RE.fullmatch(text):
        return np.nan
    return sign * float(text.replace(",", ""))
