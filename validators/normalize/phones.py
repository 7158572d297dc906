"""Phone number cells, validated with phonenumbers' metadata.

Calling phonenumbers.parse costs tens of microseconds per number, too slow
for a column of 100k distinct numbers. For Japan, the regional metadata patterns
are turned into tables of valid number prefixes once, and numbers in the
usual national and +81 forms are looked up in those tables with numpy. Other
regions and unusual forms go through phonenumbers.parse.
"""

from __future__ import annotations

import itertools
import string
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

from validators.normalize.core import (
    ByteLines,
    Cells,
    Parsed,
    apply_distinct,
    byte_classes,
    byte_table,
    nfkc,
    remove_characters,
    transform_joined,
)

# Separators people type inside phone numbers, the long vowel mark ー included.
_SEPARATORS = " \t-‐‑‒–—―−ー()."

# Number types that make a number valid, as in phonenumbers' _number_type_helper (9.0.x).
_NUMBER_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
_ALL_DIGITS = frozenset(range(10))
MAX_NATIONAL_LENGTH = 17  # phonenumbers' maximum national number length (MAX_LENGTH_FOR_NSN)


class UnsupportedPatternError(ValueError):
    """A metadata pattern uses regex syntax outside digits, classes, groups and counts."""


# --- metadata patterns to prefix tables -----------------------------------

# A pattern is parsed into alternatives of sequences of (atom, min, max).
# An atom is a set of digits or a nested alternation.
_Alternation = list["_Sequence"]
_Sequence = list[tuple["frozenset[int] | _Alternation", int, int]]


class _PatternParser:
    """Parse the regex subset of phonenumbers' national number patterns."""

    def __init__(self, pattern: str):
        self.text = pattern
        self.position = 0

    def parse(self) -> _Alternation:
        alternation = self._alternation()
        if self.position != len(self.text):
            raise UnsupportedPatternError(self.text)
        return alternation

    def _peek(self) -> str:
        return self.text[self.position] if self.position < len(self.text) else ""

    def _take(self, expected: str) -> None:
        if not self.text.startswith(expected, self.position):
            raise UnsupportedPatternError(self.text)
        self.position += len(expected)

    def _alternation(self) -> _Alternation:
        sequences = [self._sequence()]
        while self._peek() == "|":
            self.position += 1
            sequences.append(self._sequence())
        return sequences

    def _sequence(self) -> _Sequence:
        items: _Sequence = []
        while self._peek() not in ("", "|", ")"):
            atom = self._atom()
            low, high = self._count()
            items.append((atom, low, high))
        return items

    def _atom(self) -> frozenset[int] | _Alternation:
        character = self._peek()
        if character.isdigit():
            self.position += 1
            return frozenset({int(character)})
        if character == "\\":
            self._take("\\d")
            return _ALL_DIGITS
        if character == "[":
            return self._digit_class()
        if character == "(":
            self._take("(?:")
            alternation = self._alternation()
            self._take(")")
            return alternation
        raise UnsupportedPatternError(self.text)

    def _digit_class(self) -> frozenset[int]:
        self._take("[")
        digits: set[int] = set()
        while self._peek() != "]":
            if self._peek() == "\\":
                self._take("\\d")
                digits |= _ALL_DIGITS
                continue
            first = self._peek()
            if not first.isdigit():
                raise UnsupportedPatternError(self.text)
            self.position += 1
            last = first
            if self._peek() == "-":
                self.position += 1
                last = self._peek()
                if not last.isdigit():
                    raise UnsupportedPatternError(self.text)
                self.position += 1
            digits |= set(range(int(first), int(last) + 1))
        self._take("]")
        return frozenset(digits)

    def _count(self) -> tuple[int, int]:
        if self._peek() == "?":
            self.position += 1
            return 0, 1
        if self._peek() != "{":
            return 1, 1
        end = self.text.index("}", self.position)
        bounds = self.text[self.position + 1 : end].split(",")
        self.position = end + 1
        low = int(bounds[0])
        return low, int(bounds[-1]) if bounds[-1] else MAX_NATIONAL_LENGTH


_Expansion = frozenset[tuple[frozenset[int], ...]]


def _expand_alternation(alternation: _Alternation) -> _Expansion:
    """Return every fixed-length sequence of digit sets the alternation can match."""
    result: set[tuple[frozenset[int], ...]] = set()
    for sequence in alternation:
        result |= _expand_sequence(sequence)
    return frozenset(result)


def _expand_sequence(sequence: _Sequence) -> _Expansion:
    results: set[tuple[frozenset[int], ...]] = {()}
    for atom, low, high in sequence:
        options = {(atom,)} if isinstance(atom, frozenset) else set(_expand_alternation(atom))
        repeated: set[tuple[frozenset[int], ...]] = set()
        for count in range(low, high + 1):
            for parts in itertools.product(options, repeat=count):
                repeated.add(tuple(itertools.chain.from_iterable(parts)))
        results = {
            head + tail
            for head in results
            for tail in repeated
            if len(head) + len(tail) <= MAX_NATIONAL_LENGTH
        }
    return frozenset(results)


@dataclass
class PrefixTable:
    """Valid national numbers by length, as sorted integer prefixes of each prefix length.

    A number of length L is in the table when its first k digits are in
    ``prefixes[L][k]`` for some k. The remaining digits can be anything.
    """

    prefixes: dict[int, dict[int, np.ndarray]]

    @classmethod
    def from_descriptions(cls, descriptions: list[object]) -> PrefixTable:
        found: dict[int, dict[int, set[int]]] = {}
        for description in descriptions:
            pattern = getattr(description, "national_number_pattern", None)
            lengths = set(getattr(description, "possible_length", ()) or ())
            if not pattern or -1 in lengths:
                continue
            for sequence in _expand_alternation(_PatternParser(pattern).parse()):
                if lengths and len(sequence) not in lengths:
                    continue
                constrained = [i for i, digits in enumerate(sequence) if digits != _ALL_DIGITS]
                width = constrained[-1] + 1 if constrained else 0
                values = found.setdefault(len(sequence), {}).setdefault(width, set())
                for digits in itertools.product(*(sorted(d) for d in sequence[:width])):
                    values.add(int("".join(map(str, digits))) if digits else 0)
        prefixes = {
            length: {
                width: np.array(sorted(values), dtype=np.int64)
                for width, values in by_width.items()
            }
            for length, by_width in found.items()
        }
        return cls(prefixes)

    def contains(self, digits: np.ndarray) -> np.ndarray:
        """Return which numbers are in the table, given as rows of digits of one length."""
        found = np.zeros(len(digits), dtype=bool)
        for width, values in self.prefixes.get(digits.shape[1], {}).items():
            keys = digits[:, :width] @ (10 ** np.arange(width - 1, -1, -1, dtype=np.int64))
            index = np.minimum(np.searchsorted(values, keys), len(values) - 1)
            found |= values[index] == keys
        return found


@dataclass
class NationalNumberChecker:
    """The validity test of phonenumbers for one region's national numbers, as prefix tables."""

    general: PrefixTable
    types: PrefixTable

    def is_valid(self, digits: np.ndarray) -> np.ndarray:
        """Return which numbers are valid, given as rows of digits of one length."""
        return self.general.contains(digits) & self.types.contains(digits)


@lru_cache(maxsize=8)
def national_number_checker(region: str) -> NationalNumberChecker | None:
    """Return the checker for a region, or None when its metadata uses unsupported syntax."""
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    try:
        general = PrefixTable.from_descriptions([metadata.general_desc])
        types = PrefixTable.from_descriptions([getattr(metadata, name) for name in _NUMBER_TYPES])
    except UnsupportedPatternError:
        return None
    return NationalNumberChecker(general, types)


# --- parsing ----------------------------------------------------------------


def _phone_with_library(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


_NOT_DIGIT = 1
_PHONE_CLASSES = byte_classes(~byte_table(string.digits + "\n"))


# Forms of a number that _japanese_numbers reads.
_TRUNK, _INTERNATIONAL, _BARE = 0, 1, 2


def _japanese_numbers(
    digits: list[str], checker: NationalNumberChecker
) -> tuple[np.ndarray, np.ndarray]:
    """Check numbers whose national number phonenumbers.parse would take without surprises.

    Those are 0 + national number (_TRUNK), +81 + national number
    (_INTERNATIONAL), and a national number alone (_BARE: a number cell that
    lost its leading 0), where the national number is ASCII digits starting
    with 1-9. Excluded, and left to phonenumbers: 010..., Japan's
    international call prefix, and a bare 81..., which phonenumbers may
    read as country code 81.

    Return per number the outcome (1 valid, 0 invalid, -1 not one of these
    forms) and the form.
    """
    lines = ByteLines(digits, _PHONE_CLASSES)
    outcome = np.full(len(digits), -1, dtype=np.int8)
    if not lines.usable:
        return outcome, np.zeros(len(digits), dtype=np.int8)
    first, second, third, fourth = (lines.byte_at(lines.starts + k) for k in range(4))

    def is_digit(byte: np.ndarray, low: str = "0", high: str = "9") -> np.ndarray:
        return (byte >= ord(low)) & (byte <= ord(high))

    trunk = (
        (first == ord("0")) & is_digit(second, "1") & ~((second == ord("1")) & (third == ord("0")))
    )
    international = (first == ord("+")) & (second == ord("8")) & (third == ord("1"))
    international &= is_digit(fourth, "1")
    bare = is_digit(first, "1") & ~((first == ord("8")) & (second == ord("1")))
    form = np.where(trunk, _TRUNK, np.where(international, _INTERNATIONAL, _BARE)).astype(np.int8)
    national_start = lines.starts + np.array([1, 3, 0])[form]
    candidate = (trunk | international | bare) & lines.ascii

    bad, owner = lines.find(_NOT_DIGIT)
    candidate[owner[bad >= national_start[owner]]] = False
    lengths = lines.ends - national_start
    outcome[candidate] = 0
    for length in np.unique(lengths[candidate]):
        rows = np.flatnonzero(candidate & (lengths == length))
        offsets = national_start[rows, None] + np.arange(length)
        numbers = lines.data[offsets].astype(np.int64) - ord("0")
        outcome[rows[checker.is_valid(numbers)]] = 1
    return outcome, form


def _e164(digits: list[str], form: int) -> list[str]:
    """Return +81 + national number for numbers all written in one form."""
    if not digits:
        return []
    if form == _INTERNATIONAL:
        return digits
    if form == _BARE:
        return ("+81" + "\n+81".join(digits)).split("\n")
    return ("\n" + "\n".join(digits)).replace("\n0", "\n+81")[1:].split("\n")


def parse_phone(cells: Cells, region: str) -> Parsed:
    """Validate phone numbers with phonenumbers for ``region``; output E.164 (+81312345678).

    For region JP, numbers in the usual forms (03-1234-5678, +81 90 1234 5678,
    （03）1234-5678) are checked in a batch against prefix tables built from
    phonenumbers' own metadata. Everything else goes through phonenumbers.parse.
    """
    texts = nfkc(cells.text.tolist())
    count = len(texts)
    values = np.full(count, None, dtype=object)
    decided = np.zeros(count, dtype=bool)

    checker = national_number_checker("JP") if region.upper() == "JP" else None
    if checker is not None and count:
        digits = transform_joined(texts, lambda joined: remove_characters(joined, _SEPARATORS))
        outcome, forms = _japanese_numbers(digits, checker)
        for form in (_TRUNK, _INTERNATIONAL, _BARE):
            valid = np.flatnonzero((outcome == 1) & (forms == form))
            values[valid] = _e164([digits[i] for i in valid], form)
        decided = outcome >= 0

    suggestion = np.full(count, None, dtype=object)
    undecided = np.flatnonzero(~decided)
    read = apply_distinct(lambda text: _read_phone(text, region), texts, undecided)
    for position, (value, fix) in zip(undecided, read, strict=True):
        values[position] = value
        suggestion[position] = fix
    return Parsed(values, np.equal(values, None), suggestion)


def _read_phone(text: str, region: str) -> tuple[str | None, str | None]:
    """Return (E.164 number, suggestion) from phonenumbers."""
    number = _phone_with_library(text, region)
    # A phone number stored as a number loses its leading 0 (312345678).
    if number is None and text.isdigit() and not text.startswith("0"):
        return None, _phone_with_library("0" + text, region)
    return number, None
