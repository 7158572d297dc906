"""Shared machinery: result types, cell cleaning and the distinct-value pipeline.

A column is parsed once per distinct raw value when its values repeat, as
they do in most sheet columns. Where they do not (e-mails, phone numbers),
the kind parsers use batch operations over all values at once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

# Error values that Google Sheets and Excel show in place of a formula's result.
FORMULA_ERRORS = frozenset(
    {
        "#REF!",
        "#N/A",
        "#VALUE!",
        "#DIV/0!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#ERROR!",
        "#SPILL!",
        "#CALC!",
    }
)


@dataclass(frozen=True)
class OptionSpec:
    """One option of an enumeration property."""

    value: str  # internal value, as HubSpot stores it
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Normalized:
    """Normalised cells of one column, each Series with the input's index.

    ``empty``, ``invalid`` and ``formula_error`` never overlap. ``values`` is
    None, NaN or NaT wherever one of them is True.
    """

    values: pd.Series
    empty: pd.Series  # blank after cleaning, or one of the column's blank values
    invalid: pd.Series  # not empty, but not a valid value of the kind
    formula_error: pd.Series  # a spreadsheet error value such as #REF!
    # A suggested fix (str) per invalid cell where one exists, else None. The
    # whole field is None when no cell has one.
    suggestion: pd.Series | None = None


# Python types of raw cells, one code per distinct value.
CATEGORY_STR = 0
CATEGORY_NUMBER = 1  # int or float, numpy scalars included, bool excluded
CATEGORY_BOOL = 2
CATEGORY_TEMPORAL = 3  # datetime.date, datetime.datetime, pd.Timestamp, np.datetime64
CATEGORY_OTHER = 4

# infer_dtype results under which every non-missing value has one category.
_UNIFORM_CATEGORIES = {
    "string": CATEGORY_STR,
    "empty": CATEGORY_STR,
    "integer": CATEGORY_NUMBER,
    "floating": CATEGORY_NUMBER,
    "mixed-integer-float": CATEGORY_NUMBER,
    "boolean": CATEGORY_BOOL,
    "datetime": CATEGORY_TEMPORAL,
    "datetime64": CATEGORY_TEMPORAL,
    "date": CATEGORY_TEMPORAL,
}

# Invisible characters that spreadsheets and web copy-paste leave in cells.
# U+200C and U+200D join emoji and some scripts, so they are only stripped at
# the ends of a value (see _strip_invisible).
_INVISIBLE_RE = re.compile("[\u200b\u2060\ufeff]")
_JOINERS = "\u200c\u200d"
_ALL_INVISIBLE = "\u200b\u2060\ufeff\u200c\u200d"

# Joins strings for batch operations. A cell that contains it makes the batch
# helpers fall back to one call per value.
SEPARATOR = "\x00"


def apply_distinct(
    function: Callable[[str], Any], texts: Sequence[str], positions: np.ndarray
) -> list:
    """Return function(texts[i]) for each position, calling it once per distinct text.

    The slow paths use it: a column that was not deduplicated as a whole
    still repeats its faulty values ("未定", "-") many times.
    """
    chosen = [texts[position] for position in positions]
    results = {text: function(text) for text in dict.fromkeys(chosen)}
    return [results[text] for text in chosen]


def transform_joined(texts: Sequence[str], transform: Callable[[str], str]) -> list[str]:
    """Apply a str -> str transform to all texts in one call on their joined form.

    One C-level call over the joined text (NFKC, casefold, re.sub) is several
    times faster than one call per value. ``transform`` must map the separator
    to itself and never create or remove one.
    """
    if not texts:
        return []
    joined = SEPARATOR.join(texts)
    if joined.count(SEPARATOR) != len(texts) - 1:
        return [transform(text) for text in texts]
    return transform(joined).split(SEPARATOR)


def distinct_characters(text: str) -> list[str]:
    """Return the distinct characters of a text, counted in numpy rather than with set()."""
    if text.isascii():
        codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    else:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return [chr(code) for code in np.flatnonzero(np.bincount(codes))]


def remove_characters(joined: str, characters: str) -> str:
    """Remove every occurrence of the given characters, one str.replace per character present.

    Much faster than a regex character class over a long text.
    """
    present = set(distinct_characters(joined))
    for character in characters:
        if character in present:
            joined = joined.replace(character, "")
    return joined


def fixed_width_codes(texts: Sequence[str], width: int) -> np.ndarray:
    """Return the code points of texts that all have ``width`` characters, one row per text."""
    array = np.array(texts, dtype=f"U{width}")
    return array.view(np.uint32).reshape(len(texts), width)


class ByteLines:
    """Texts joined by line breaks as one byte array, for checks done in numpy.

    Non-ASCII characters become one "?" byte each, so byte offsets match
    string offsets, and ``ascii`` is True for the texts that had none.
    ``usable`` is False when a text contains a line break itself.

    ``classes`` maps each byte to bit flags. The positions of all flagged
    bytes are found in one pass, so that each check afterwards only touches
    those positions, not every byte again.
    """

    def __init__(self, texts: Sequence[str], classes: np.ndarray):
        count = len(texts)
        joined = "\n".join(texts)
        self.data = np.frombuffer(joined.encode("ascii", "replace"), dtype=np.uint8)
        newlines = np.flatnonzero(self.data == ord("\n"))
        self.usable = count > 0 and len(newlines) == count - 1
        self.starts = np.concatenate(([0], newlines + 1))
        self.ends = np.concatenate((newlines, [len(self.data)]))
        if joined.isascii():
            self.ascii = np.ones(count, dtype=bool)
        else:
            self.ascii = np.fromiter(map(str.isascii, texts), bool, count)
        self._flagged = np.flatnonzero(classes[self.data])
        self._flags = classes[self.data[self._flagged]]
        # Line index of each byte: the number of line breaks before it.
        breaks_before = np.cumsum(self.data == ord("\n"), dtype=np.int32)
        breaks_before -= self.data == ord("\n")
        self._lines = breaks_before[self._flagged]

    def find(self, flag: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the positions of bytes with the flag, and the index of the text of each."""
        mask = (self._flags & flag) != 0
        return self._flagged[mask], self._lines[mask]

    def byte_at(self, positions: np.ndarray) -> np.ndarray:
        """Return the byte at each position; positions past the end read as a line break."""
        padded = np.append(self.data, np.uint8(ord("\n")))
        return padded[np.clip(positions, 0, len(self.data))]

    def starts_with(self, prefix: str) -> np.ndarray:
        """Return which texts start with an ASCII prefix."""
        padded = np.append(self.data, np.zeros(len(prefix), dtype=np.uint8))
        expected = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
        offsets = self.starts[:, None] + np.arange(len(prefix))
        return (padded[offsets] == expected).all(axis=1)


def byte_table(characters: str) -> np.ndarray:
    """Return a 256-entry lookup table that is True for the given ASCII characters."""
    table = np.zeros(256, dtype=bool)
    table[list(characters.encode("ascii"))] = True
    return table


def byte_classes(*tables: np.ndarray) -> np.ndarray:
    """Combine lookup tables into one table of bit flags: bit i for ``tables[i]``."""
    classes = np.zeros(256, dtype=np.uint8)
    for bit, table in enumerate(tables):
        classes |= table.astype(np.uint8) << bit
    return classes


def _nfkc_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def nfkc(texts: Sequence[str]) -> list[str]:
    """Return the NFKC form of each text (full-width digits and letters become ASCII).

    ASCII text is its own NFKC form, so only the other texts are normalised.
    """
    count = len(texts)
    ascii_only = np.fromiter(map(str.isascii, texts), bool, count)
    if ascii_only.all():
        return list(texts)
    if ascii_only.sum() < count // 2:
        return transform_joined(texts, _nfkc_text)
    result = list(texts)
    others = np.flatnonzero(~ascii_only)
    for position, text in zip(
        others, transform_joined([texts[i] for i in others], _nfkc_text), strict=True
    ):
        result[position] = text
    return result


def nfkc_casefold(texts: Sequence[str]) -> list[str]:
    return transform_joined(texts, lambda text: unicodedata.normalize("NFKC", text).casefold())


def _strip_invisible(text: str) -> str:
    text = _INVISIBLE_RE.sub("", text).strip()
    while text and (text[0] in _JOINERS or text[-1] in _JOINERS):
        text = text.strip(_JOINERS).strip()
    return text


def _has_invisible(text: str) -> bool:
    # One substring search per character beats a regex character class.
    return any(character in text for character in _ALL_INVISIBLE)


def clean_strings(strings: Sequence[str]) -> list[str]:
    """Strip whitespace (U+3000 and NBSP included) and zero-width characters."""
    return _clean_strings_and_join(strings)[0]


def _clean_strings_and_join(strings: Sequence[str]) -> tuple[list[str], str | None]:
    """Return clean_strings(strings) and, when the join served the check, the joined result."""
    stripped = list(map(str.strip, strings))
    joined = SEPARATOR.join(stripped)
    if not _has_invisible(joined):
        return stripped, joined
    return [_strip_invisible(text) if _has_invisible(text) else text for text in stripped], None


def number_text(value: Any) -> str:
    """Return a number as a spreadsheet shows it: 123.0 -> "123", 0.5 -> "0.5"."""
    if isinstance(value, float | np.floating):
        number = float(value)
        if number.is_integer():
            return str(int(number))
        return repr(number)
    return str(value)


def temporal_text(value: Any) -> str:
    """Return a date as YYYY-MM-DD, a datetime in ISO 8601 with a space separator."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    if value.tzinfo is None and value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat(sep=" ")


def _classify(values: np.ndarray) -> np.ndarray:
    """Return the category code of each value (an object array without missing values)."""
    inferred = infer_dtype(values, skipna=False)
    uniform = _UNIFORM_CATEGORIES.get(inferred)
    if uniform is not None:
        return np.full(len(values), uniform, dtype=np.int8)
    # A column contains a handful of Python types, so each type is classified once.
    type_codes, types = pd.factorize(
        np.fromiter(map(type, values), dtype=object, count=len(values))
    )
    categories = np.array([_category_of_type(kind) for kind in types], dtype=np.int8)
    return categories[type_codes]


def _category_of_type(kind: type) -> int:
    if issubclass(kind, str):
        return CATEGORY_STR
    if issubclass(kind, bool | np.bool_):
        return CATEGORY_BOOL
    if issubclass(kind, int | float | np.integer | np.floating):
        return CATEGORY_NUMBER
    if issubclass(kind, dt.date | np.datetime64):
        return CATEGORY_TEMPORAL
    return CATEGORY_OTHER


class Cells:
    """Distinct raw values of one column that a kind parser has to read.

    ``raw`` is an object array without missing values. ``text`` is each
    value's cleaned text, computed on first use because number and date
    parsers rarely need it for native numbers and dates.
    """

    def __init__(
        self,
        raw: np.ndarray,
        category: np.ndarray | None = None,
        text: np.ndarray | None = None,
    ):
        self.raw = raw
        self.category = _classify(raw) if category is None else category
        # ``text`` joined by SEPARATOR, when computing it produced that join.
        self.joined_text: str | None = None
        if text is not None:
            self.__dict__["text"] = text

    def __len__(self) -> int:
        return len(self.raw)

    @cached_property
    def text(self) -> np.ndarray:
        texts = np.empty(len(self.raw), dtype=object)
        if len(self.raw) == 0:
            return texts
        if (self.category == CATEGORY_STR).all():
            texts[:], self.joined_text = _clean_strings_and_join(self.raw.tolist())
            return texts
        if (self.category == self.category[0]).all():
            texts[:] = _texts_of(self.raw, int(self.category[0]))
            return texts
        for category in np.unique(self.category):
            mask = self.category == category
            texts[mask] = _texts_of(self.raw[mask], int(category))
        return texts

    def subset(self, mask: np.ndarray) -> Cells:
        if mask.all():
            return self
        text = self.__dict__.get("text")
        return Cells(self.raw[mask], self.category[mask], None if text is None else text[mask])

    def mask(self, category: int) -> np.ndarray:
        return self.category == category


def _texts_of(values: np.ndarray, category: int) -> list[str]:
    """Return the cleaned text of values that all have the given category."""
    if category == CATEGORY_STR:
        return clean_strings(values.tolist())
    if category == CATEGORY_NUMBER:
        return list(map(number_text, values))
    if category == CATEGORY_BOOL:
        return ["TRUE" if value else "FALSE" for value in values]
    if category == CATEGORY_TEMPORAL:
        return list(map(temporal_text, values))
    return clean_strings([str(value) for value in values])


@dataclass
class Parsed:
    """Output of a kind parser, one entry per cell it was given."""

    values: np.ndarray  # missing value of the output dtype where invalid
    invalid: np.ndarray  # bool
    suggestion: np.ndarray | None = None  # object: str or None


class Distinct:
    """The distinct values of a column and, per cell, the position of its value.

    ``codes`` is -1 for missing cells (None, NaN, NaT). Hashing every cell
    costs time, so it only happens when a random sample suggests that the
    distinct values are at most ``max_distinct_share`` of the cells.
    Otherwise every non-missing cell counts as its own value. The sample is
    random because sorted sheets keep repeats next to each other. Columns
    of at most 4 * SAMPLE_SIZE cells are always hashed, unless
    ``skip_unique_texts`` allows _looks_unique_texts to rule it out.
    """

    SAMPLE_SIZE = 5_000
    # Texts that _looks_unique_texts checks for repeats.
    SMALL_SAMPLE_SIZE = 100

    def __init__(
        self,
        series: pd.Series,
        max_distinct_share: float = 0.7,
        *,
        skip_unique_texts: bool = False,
    ):
        values = series.to_numpy(dtype=object)
        # True when every cell is its own distinct value, in order.
        self.identity = False
        # True when every value is known to be a str (and none is missing).
        self.all_text = skip_unique_texts and self._looks_unique_texts(values)
        if self.all_text or self._estimated_distinct_share(values) > max_distinct_share:
            missing = np.zeros(len(values), dtype=bool) if self.all_text else pd.isna(values)
            if missing.any():
                codes = np.full(len(values), -1, dtype=np.intp)
                codes[~missing] = np.arange(len(values) - int(missing.sum()), dtype=np.intp)
                self.values = values[~missing]
            else:
                codes = np.arange(len(values), dtype=np.intp)
                self.values = values
                self.identity = True
        else:
            codes, self.values = _factorize(values)
        self.codes = codes

    def _looks_unique_texts(self, values: np.ndarray) -> bool:
        """Return True for a small column of texts, none missing, whose sample repeats no text.

        Hashing such a column (ids, names, amounts) costs more than it saves.
        Equal texts normalise alike whether or not they were merged, so the
        result does not depend on this guess. Larger columns are sampled by
        _estimated_distinct_share instead.
        """
        count = len(values)
        if count <= self.SMALL_SAMPLE_SIZE or count > 4 * self.SAMPLE_SIZE:
            return False
        sample = values[:: count // self.SMALL_SAMPLE_SIZE].tolist()
        if len(set(sample)) < len(sample):
            return False
        return infer_dtype(values, skipna=False) == "string"  # no missing cell either

    def _estimated_distinct_share(self, values: np.ndarray) -> float:
        """Estimate distinct values / cells from the repeats in a random sample.

        Values seen three or more times in the sample are frequent: they fill
        their share of cells with few distinct values. For the others, if
        each occurs m times, two sampled cells hold the same value with
        probability about (m - 1) / cells, so the pairs seen give m, and
        those cells hold about 1 / m distinct values each.
        """
        count = len(values)
        if count <= 4 * self.SAMPLE_SIZE:
            return 0.0  # small columns are always hashed
        # A fixed seed keeps results and timings reproducible.
        positions = np.random.default_rng(0).choice(count, self.SAMPLE_SIZE, replace=False)
        try:
            repeats = Counter(values[positions].tolist()).values()
        except TypeError:  # unhashable cell values: let factorize decide
            return 0.0
        rare = sum(n for n in repeats if n <= 2)
        if rare < 2:
            return 0.0
        pairs = sum(1 for n in repeats if n == 2)
        rare_cells = count * rare / self.SAMPLE_SIZE
        occurrences = 1.0 + pairs * (rare_cells - 1) / (rare * (rare - 1) / 2)
        return rare / self.SAMPLE_SIZE / occurrences

    def expand(self, distinct_values: np.ndarray, missing: Any) -> np.ndarray:
        """Return one value per cell from one value per distinct value."""
        if self.identity:
            return distinct_values
        extended = np.empty(len(distinct_values) + 1, dtype=distinct_values.dtype)
        extended[:-1] = distinct_values
        extended[-1] = missing
        return extended.take(self.codes)  # code -1 takes the trailing missing value


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # factorize gives None, NaN, NaT and pd.NA the code -1.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    if infer_dtype(values, skipna=True) not in _UNIFORM_CATEGORIES:
        codes, uniques = _split_bools_from_numbers(values, codes, uniques)
    return codes, uniques


def _split_bools_from_numbers(
    values: np.ndarray, codes: np.ndarray, uniques: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Give checkbox values their own codes where factorize merged them with 1 or 0.

    True == 1 and False == 0 in Python, so factorize keeps whichever came
    first. Only cells whose value equals 0 or 1 need a type check.
    """
    # Elementwise == runs in C, and strings and dates compare unequal.
    suspects = np.flatnonzero((uniques == 1) | (uniques == 0))
    if not len(suspects):
        return codes, uniques
    extra: list[Any] = []
    for code in suspects:
        positions = np.flatnonzero(codes == code)
        unique_is_bool = isinstance(uniques[code], bool | np.bool_)
        is_bool = np.fromiter(
            (isinstance(value, bool | np.bool_) for value in values[positions]),
            bool,
            len(positions),
        )
        other = positions[is_bool != unique_is_bool]
        if len(other):
            codes[other] = len(uniques) + len(extra)
            extra.append(values[other[0]])
    if extra:
        added = np.empty(len(extra), dtype=object)
        added[:] = extra
        uniques = np.concatenate([uniques, added])
    return codes, uniques


@dataclass
class ColumnCells:
    """A column split into distinct values and classified before kind-specific parsing."""

    distinct: Distinct
    cells: Cells
    empty: np.ndarray  # per distinct value
    formula_error: np.ndarray  # per distinct value


# Hash a column for distinct values only when they are at most this share of
# its cells: parsing a value costs far more for most kinds than for text.
MAX_DISTINCT_SHARE = 0.7
MAX_DISTINCT_SHARE_FOR_TEXT = 0.3


def prepare(
    series: pd.Series,
    blank_values: Collection[str] | None = None,
    max_distinct_share: float = MAX_DISTINCT_SHARE,
    *,
    skip_unique_texts: bool = False,
) -> ColumnCells:
    """Split a column into distinct values and flag the empty and formula-error ones.

    ``skip_unique_texts`` lets a small column of texts without repeats skip
    hashing (see Distinct). Only kinds whose parser reads each text on its
    own, whatever the other texts, may allow it.
    """
    distinct = Distinct(series, max_distinct_share, skip_unique_texts=skip_unique_texts)
    known = (
        np.full(len(distinct.values), CATEGORY_STR, dtype=np.int8) if distinct.all_text else None
    )
    cells = Cells(distinct.values, known)
    empty = np.zeros(len(cells), dtype=bool)
    formula_error = np.zeros(len(cells), dtype=bool)

    # Only text can be blank or an error value, so the text of native numbers
    # and dates is left uncomputed unless blank values are to be matched.
    textual = cells.mask(CATEGORY_STR) | cells.mask(CATEGORY_OTHER)
    if textual.all():
        texts = cells.text
    elif blank_values:
        texts = cells.text[textual]
    else:
        texts = cells.subset(textual).text
    empty[textual] = texts == ""
    # Every error value starts with "#", so most columns skip the lookup.
    joined = cells.joined_text if textual.all() else None
    cells.joined_text = None  # a large sheet's column of text: do not keep it
    if joined is None:
        joined = SEPARATOR.join(texts.tolist())
    if "#" in joined:
        is_error = map(FORMULA_ERRORS.__contains__, texts)
        formula_error[textual] = np.fromiter(is_error, bool, len(texts))
    column = ColumnCells(distinct, cells, empty, formula_error)
    if blank_values:
        return with_blank_values(column, blank_values)
    return column


def with_blank_values(column: ColumnCells, blank_values: Collection[str]) -> ColumnCells:
    """Return a copy of ``column`` that also flags the cells equal to a blank value as empty."""
    empty = column.empty | _matches_blank_values(column.cells.text, blank_values)
    formula_error = column.formula_error & ~empty
    return ColumnCells(column.distinct, column.cells, empty, formula_error)


def _matches_blank_values(texts: np.ndarray, blank_values: Collection[str]) -> np.ndarray:
    """Return True where a text equals a blank value, ignoring case and width."""
    markers = set(nfkc_casefold(clean_strings([str(value) for value in blank_values])))
    markers.discard("")
    result = np.zeros(len(texts), dtype=bool)
    if not markers:
        return result
    # Only short texts can normalise to a marker. NFKC shortens text only by
    # composing characters (ｶﾞ -> ガ, two into one), so four times the
    # longest marker is a generous bound.
    longest = 4 * max(len(marker) for marker in markers)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    candidates = np.flatnonzero((lengths > 0) & (lengths <= longest))
    if len(candidates):
        folded = nfkc_casefold(texts[candidates].tolist())
        result[candidates] = np.fromiter(map(markers.__contains__, folded), bool, len(candidates))
    return result


def clean_text(series: pd.Series) -> pd.Series:
    """Return each cell as stripped text, or None where the cell is blank.

    Numbers read as float lose a spurious ".0" (123.0 -> "123"), while text
    keeps its leading zeros ("0123"). Booleans become "TRUE"/"FALSE",
    dates YYYY-MM-DD.
    """
    column = prepare(series, max_distinct_share=MAX_DISTINCT_SHARE_FOR_TEXT)
    texts = column.cells.text.copy()
    texts[column.empty] = None
    values = column.distinct.expand(texts, None)
    return pd.Series(values, index=series.index, dtype=object)


def is_blank(series: pd.Series) -> pd.Series:
    """Return True where a cell is None, NaN, NaT, or only spaces and invisible characters."""
    column = prepare(series, max_distinct_share=MAX_DISTINCT_SHARE_FOR_TEXT)
    values = column.distinct.expand(column.empty, True)
    return pd.Series(values, index=series.index, dtype=bool)
