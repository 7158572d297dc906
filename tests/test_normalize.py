"""Tests of cell normalisation: one table of (raw cell, expected value) per property type."""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email

from validators.normalize import (
    FORMULA_ERRORS,
    KINDS,
    Normalized,
    OptionSpec,
    clean_text,
    company_match_key,
    corporate_check_digit,
    email_match_key,
    is_blank,
    normalize_column,
    normalize_prepared,
    prepare_column,
)
from validators.normalize.core import prepare
from validators.normalize.dates import (
    _FAST_FORMATS,
    FORMAT_SAMPLE_SIZE,
    _parse_format,
    _sampled_formats,
)
from validators.normalize.numbers import (
    _bulk_float,
    _read_csv_column,
    _read_floats_as_csv,
    _to_numeric,
)
from validators.normalize.urls import _normalized_url

INVALID = object()  # expected outcome: invalid, value missing
EMPTY = object()  # expected outcome: empty, value missing


def normalize_one(value, kind, **kwargs) -> Normalized:
    return normalize_column(pd.Series([value], dtype=object), kind, **kwargs)


def assert_outcome(result: Normalized, expected) -> None:
    """Check the single cell of ``result`` against a value, INVALID or EMPTY."""
    value = result.values.iloc[0]
    if expected is INVALID:
        assert bool(result.invalid.iloc[0]) is True
        assert bool(result.empty.iloc[0]) is False
        assert pd.isna(value)
    elif expected is EMPTY:
        assert bool(result.empty.iloc[0]) is True
        assert bool(result.invalid.iloc[0]) is False
        assert pd.isna(value)
    else:
        assert bool(result.invalid.iloc[0]) is False
        assert bool(result.empty.iloc[0]) is False
        assert value == expected
    assert bool(result.formula_error.iloc[0]) is False


# --- cleaning -------------------------------------------------------------

CLEAN_TEXT_CASES = [
    ("  abc  ", "abc"),
    ("\u3000株式会社テスト\u3000", "株式会社テスト"),
    ("\u00a0x\u00a0", "x"),
    ("\u200bx\ufeff", "x"),
    ("a\u200bb", "ab"),
    ("\u200d x \u200c", "x"),
    ("0123", "0123"),
    (123.0, "123"),
    (123, "123"),
    (0.5, "0.5"),
    (-1.0, "-1"),
    (1e20, "100000000000000000000"),
    (np.int64(7), "7"),
    (np.float64(2.0), "2"),
    (True, "TRUE"),
    (False, "FALSE"),
    (dt.date(2024, 4, 1), "2024-04-01"),
    (dt.datetime(2024, 4, 1), "2024-04-01"),
    (dt.datetime(2024, 4, 1, 10, 30), "2024-04-01 10:30:00"),
    (pd.Timestamp("2024-04-01 10:30"), "2024-04-01 10:30:00"),
    ("", None),
    ("   ", None),
    ("\u3000\u3000", None),
    ("\u200b", None),
    (None, None),
    (float("nan"), None),
    (pd.NaT, None),
    (pd.NA, None),
    (np.datetime64("NaT"), None),
]


@pytest.mark.parametrize(("raw", "expected"), CLEAN_TEXT_CASES)
def test_clean_text_cases(raw, expected):
    result = clean_text(pd.Series([raw], dtype=object))
    assert result.dtype == object
    assert result.iloc[0] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, True),
        (float("nan"), True),
        (pd.NaT, True),
        ("", True),
        (" \t", True),
        ("\u3000", True),
        ("\u200b\u3000", True),
        ("x", False),
        ("\u3000x", False),
        (0, False),
        (False, False),
        ("#N/A", False),
    ],
)
def test_is_blank_cases(raw, expected):
    assert bool(is_blank(pd.Series([raw], dtype=object)).iloc[0]) is expected


def test_is_blank_keeps_index():
    series = pd.Series(["a", "", None], index=[10, 20, 30], dtype=object)
    result = is_blank(series)
    assert list(result.index) == [10, 20, 30]
    assert result.tolist() == [False, True, True]


def test_clean_text_on_string_dtype():
    series = pd.Series([" a ", None, "b"])  # pandas' default str dtype
    assert clean_text(series).tolist() == ["a", None, "b"]


# --- text -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0123", "0123"),
        (" ABC-001 ", "ABC-001"),
        ("\u3000顧客\u3000", "顧客"),
        (42.0, "42"),
        ("未定", "未定"),
        ("", EMPTY),
        ("\u3000", EMPTY),
        (None, EMPTY),
    ],
)
def test_text_cases(raw, expected):
    assert_outcome(normalize_one(raw, "text"), expected)


# --- number and currency --------------------------------------------------

NUMBER_CASES = [
    (1200, 1200.0),
    (12.5, 12.5),
    (np.int64(3), 3.0),
    ("1200", 1200.0),
    ("1,200", 1200.0),
    ("1,234,567.89", 1234567.89),
    ("１２３", 123.0),
    ("１，２００", 1200.0),
    ("¥1,200", 1200.0),
    ("￥1,200", 1200.0),
    ("\\1,200", 1200.0),
    ("1,200円", 1200.0),
    ("1,200 円", 1200.0),
    ("$99.5", 99.5),
    ("1万", 10000.0),
    ("3.5万", 35000.0),
    ("1.1万", 11000.0),
    ("1億", 100000000.0),
    ("1億2000万円", 120000000.0),
    ("1億2,000万円", 120000000.0),
    ("2千万", 20000000.0),
    ("5千", 5000.0),
    ("1万5000", 15000.0),
    ("1,000万円", 10000000.0),
    ("0万", 0.0),
    ("-500", -500.0),
    ("−500", -500.0),
    ("▲500", -500.0),
    ("△1,000", -1000.0),
    ("▲5万", -50000.0),
    ("(1,000)", -1000.0),
    ("（１，０００）", -1000.0),
    ("¥-1,000", -1000.0),
    ("-¥1,000", -1000.0),
    ("+5", 5.0),
    (".5", 0.5),
    ("1e3", 1000.0),
    ("\u30001,000\u3000", 1000.0),
    ("未定", INVALID),
    ("abc", INVALID),
    ("万", INVALID),
    ("1,00", INVALID),
    ("12,3456", INVALID),
    ("1.234,5", INVALID),
    ("--5", INVALID),
    ("5-", INVALID),
    ("1.5.5", INVALID),
    ("1万2億", INVALID),
    ("nan", INVALID),
    ("inf", INVALID),
    ("1e400", INVALID),
    ("1_000", INVALID),
    ("(▲5)", INVALID),
    ("TRUE", INVALID),
    ("false", INVALID),
    (True, INVALID),
    (float("inf"), INVALID),
    (dt.date(2024, 4, 1), INVALID),
    ("", EMPTY),
    (None, EMPTY),
    (float("nan"), EMPTY),
]


@pytest.mark.parametrize(("raw", "expected"), NUMBER_CASES)
@pytest.mark.parametrize("kind", ["number", "currency"])
def test_number_cases(raw, expected, kind):
    result = normalize_one(raw, kind)
    assert result.values.dtype == np.float64
    assert_outcome(result, expected)


def test_number_batch_matches_single_cells():
    """The batch fast path must agree with parsing each cell alone."""
    raws = [raw for raw, _expected in NUMBER_CASES]
    together = normalize_column(pd.Series(raws * 400, dtype=object), "number")
    for position, (raw, expected) in enumerate(NUMBER_CASES):
        value = together.values.iloc[position]
        if expected is INVALID:
            assert together.invalid.iloc[position], raw
        elif expected is EMPTY:
            assert together.empty.iloc[position], raw
        else:
            assert value == expected, raw


def test_number_column_of_words_stays_invalid():
    result = normalize_column(pd.Series(["TRUE", "FALSE", "yes"], dtype=object), "number")
    assert result.invalid.tolist() == [True, True, True]


def test_number_batch_with_misplaced_commas():
    series = pd.Series([f"{i:,}" for i in range(5000)] + ["1,00"], dtype=object)
    result = normalize_column(series, "number")
    assert result.values.iloc[4999] == 4999.0
    assert result.invalid.iloc[-1]
    assert int(result.invalid.sum()) == 1


def _numbers_with(faults: list, count: int = 2000) -> pd.Series:
    """Return plain whole numbers 0..count-1 with ``faults`` spread between them."""
    cells: list = [str(number) for number in range(count)]
    step = count // (len(faults) + 1)
    for offset, fault in enumerate(faults, start=1):
        cells[offset * step] = fault
    return pd.Series(cells, dtype=object)


def test_number_batch_with_faulty_lines():
    faults = ["abc", "未定額", "12x", "nan", "inf", "-inf", "TRUE", "-", "円", "1\x1f2"]
    series = _numbers_with(faults)
    assert _read_floats_as_csv(series.tolist()) is not None  # lines set aside, not to_numeric
    result = normalize_column(series, "number")
    faulty = series.isin(faults)
    assert result.invalid[faulty].all()
    assert not result.invalid[~faulty].any()
    expected = pd.to_numeric(series[~faulty]).astype(float)
    assert result.values[~faulty].tolist() == expected.tolist()


def test_number_batch_with_plain_looking_fault():
    """A line of number characters that does not parse sends the whole column to to_numeric."""
    series = _numbers_with(["1-2", "e5", "abc"])
    assert _read_floats_as_csv(series.tolist()) is None
    result = normalize_column(series, "number")
    assert int(result.invalid.sum()) == 3
    assert result.values.iloc[1] == 1.0


def test_number_batch_with_carriage_return():
    series = _numbers_with(["¥\r100", "abc"])
    result = normalize_column(series, "number")
    position = series.tolist().index("¥\r100")
    assert result.values.iloc[position] == 100.0
    assert int(result.invalid.sum()) == 1


def test_number_batch_with_non_ascii_digits():
    # Arabic-Indic digits keep their form under NFKC; float() reads them.
    series = _numbers_with(["٣", "٣٤", "abc"])
    result = normalize_column(series, "number")
    values = dict(zip(series.tolist(), result.values.tolist(), strict=True))
    assert values["٣"] == 3.0
    assert values["٣٤"] == 34.0
    assert int(result.invalid.sum()) == 1


def test_number_batch_with_long_plus_number():
    """A long number with "+" is read by whichever converter reads its whole column.

    pandas 3.1's C reader rounds "+2310680533962272097" one unit in the last
    place away from pd.to_numeric. The C reader reads a column of plain
    numbers, and to_numeric gives every value of a column with a faulty cell.
    """
    plus = "+2310680533962272097"
    plain = _numbers_with([plus, "+5", "1e+5"]).tolist()
    faulty = _numbers_with([plus, "+5", "1e+5", "abc"]).tolist()
    read = _read_csv_column("\n".join(plain), len(plain))
    assert _bulk_float(plain)[plain.index(plus)] == read[plain.index(plus)]
    assert _bulk_float(faulty)[faulty.index(plus)] == _to_numeric(faulty)[faulty.index(plus)]
    assert _bulk_float(faulty)[faulty.index("+5")] == 5.0
    assert _bulk_float(faulty)[faulty.index("1e+5")] == 100000.0


@pytest.mark.parametrize("faults", [[], ["abc"]])
def test_number_whole_lines_match_to_numeric(faults):
    """Whole numbers read in numpy, up to 15 digits, equal to_numeric's values."""
    rng = random.Random(5)
    texts = [str(rng.randint(0, 10 ** rng.randint(1, 20))) for _ in range(3000)]
    texts += ["0", "00012", "000000000000000", "999999999999999", "9999999999999999", *faults]
    expected = _to_numeric(texts)
    assert _read_floats_as_csv(texts) is not None
    numbers = _bulk_float(texts)
    assert np.array_equal(numbers, expected, equal_nan=True)


def test_number_fast_path_matches_to_numeric():
    """Lines read by the C reader get the value pd.to_numeric gives them."""
    rng = random.Random(3)
    texts = [
        f"{rng.choice(['', '-', ' '])}{rng.randint(0, 10**18)}.{rng.randint(0, 999)}e{rng.randint(-30, 30)}"
        for _ in range(3000)
    ]
    texts += ["abc", "-0", "0.1", "00012", "\t7", "1e400", "1e-400", "-", "", "."]
    texts += ["１２", "٣", "1\x012", "1e5x", "Infinity", "-inf", "nan", "1_000", "0x10", "+5"]
    expected = _to_numeric(texts)
    expected[~np.isfinite(expected)] = np.nan
    assert _read_floats_as_csv(texts) is not None  # the C reader, not to_numeric as a whole
    numbers = _bulk_float(texts)
    assert np.array_equal(numbers, expected, equal_nan=True)
    assert np.array_equal(np.signbit(numbers), np.signbit(expected))


# --- percent --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12%", 0.12),
        ("１２％", 0.12),
        ("12.5 %", 0.125),
        ("0.5%", 0.005),
        ("150%", 1.5),
        ("-5%", -0.05),
        ("−5%", -0.05),
        (12, 0.12),
        (12.0, 0.12),
        ("12", 0.12),
        (0.12, 0.12),
        ("0.12", 0.12),
        (1, 1.0),
        (0, 0.0),
        (-5, -0.05),
        (-0.5, -0.5),
        ("abc", INVALID),
        ("%", INVALID),
        ("12%%", INVALID),
        (True, INVALID),
        ("", EMPTY),
    ],
)
def test_percent_cases(raw, expected):
    result = normalize_one(raw, "percent")
    if expected is INVALID or expected is EMPTY:
        assert_outcome(result, expected)
    else:
        assert result.values.iloc[0] == pytest.approx(expected)
        assert not result.invalid.iloc[0]


# --- date -----------------------------------------------------------------

APRIL_1 = pd.Timestamp("2024-04-01")

DATE_CASES = [
    ("2024-04-01", APRIL_1),
    ("2024-4-1", APRIL_1),
    ("2024/04/01", APRIL_1),
    ("2024/4/1", APRIL_1),
    ("2024.4.1", APRIL_1),
    ("20240401", APRIL_1),
    ("2024年4月1日", APRIL_1),
    ("2024年 4月 1日", APRIL_1),
    ("２０２４／４／１", APRIL_1),
    ("２０２４年４月１日", APRIL_1),
    ("2024/4/1(月)", APRIL_1),
    ("2024年4月1日（月曜日）", APRIL_1),
    ("2024/4/1 10:30", APRIL_1),
    ("令和6年4月1日", APRIL_1),
    ("令和６年４月１日", APRIL_1),
    ("R6.4.1", APRIL_1),
    ("R6/4/1", APRIL_1),
    ("r06.04.01", APRIL_1),
    ("令和6/4/1", APRIL_1),
    ("㋿6年4月1日", APRIL_1),
    ("令和元年5月1日", pd.Timestamp("2019-05-01")),
    ("R1.5.1", pd.Timestamp("2019-05-01")),
    ("平成31年4月30日", pd.Timestamp("2019-04-30")),
    ("H31.4.30", pd.Timestamp("2019-04-30")),
    ("平成元年1月8日", pd.Timestamp("1989-01-08")),
    ("昭和64年1月7日", pd.Timestamp("1989-01-07")),
    ("S64.1.7", pd.Timestamp("1989-01-07")),
    ("昭和元年12月25日", pd.Timestamp("1926-12-25")),
    ("大正15年12月24日", pd.Timestamp("1926-12-24")),
    ("明治45年7月29日", pd.Timestamp("1912-07-29")),
    ("01-Jan-2015", pd.Timestamp("2015-01-01")),
    ("1-jan-2015", pd.Timestamp("2015-01-01")),
    ("Jan 1, 2015", pd.Timestamp("2015-01-01")),
    ("January 1, 2015", pd.Timestamp("2015-01-01")),
    ("Sept 30 2015", pd.Timestamp("2015-09-30")),
    ("1 January 2015", pd.Timestamp("2015-01-01")),
    ("1st Jan. 2015", pd.Timestamp("2015-01-01")),
    (45383, APRIL_1),
    (45383.0, APRIL_1),
    (45383.99, APRIL_1),
    ("45383", APRIL_1),
    (2, pd.Timestamp("1900-01-01")),
    (20240401, APRIL_1),
    (dt.date(2024, 4, 1), APRIL_1),
    (dt.datetime(2024, 4, 1, 23, 59), APRIL_1),
    (pd.Timestamp("2024-04-01 12:00"), APRIL_1),
    (np.datetime64("2024-04-01T08:00"), APRIL_1),
    # 23:00 UTC on March 31 is already April 1 in Tokyo.
    (dt.datetime(2024, 3, 31, 23, 0, tzinfo=dt.UTC), APRIL_1),
    (pd.Timestamp("2024-03-31 23:00", tz="UTC"), APRIL_1),
    ("2024-03-31T23:00:00Z", APRIL_1),
    ("2024-04-01T08:00:00+09:00", APRIL_1),
    ("2024/2/30", INVALID),
    ("2023/2/29", INVALID),
    ("2024-13-01", INVALID),
    ("令和6年13月1日", INVALID),
    ("令和6年2月30日", INVALID),
    ("令和元年4月30日", INVALID),
    ("平成31年5月1日", INVALID),
    ("平成32年1月1日", INVALID),
    ("昭和64年1月8日", INVALID),
    ("平成0年1月1日", INVALID),
    ("明治5年1月1日", INVALID),
    ("R6.4", INVALID),
    ("2024/4", INVALID),
    ("4/1", INVALID),
    ("2024/4-1", INVALID),
    ("Foo 1, 2015", INVALID),
    ("未定", INVALID),
    ("2024-04-01 25:00", INVALID),
    (1, INVALID),
    (110001, INVALID),
    (-5, INVALID),
    ("0", INVALID),
    ("0224-04-01", INVALID),
    ("9999-12-31", INVALID),
    ("2201-01-01", INVALID),
    ("2200-12-31", pd.Timestamp("2200-12-31")),
    ("1800-01-01", pd.Timestamp("1800-01-01")),
    (dt.date(1, 1, 1), INVALID),
    (dt.datetime(9999, 12, 31), INVALID),
    (np.datetime64("2300-01-01"), INVALID),
    (99991231, INVALID),
    (109990, INVALID),
    (20241301, INVALID),
    ("2024", INVALID),  # a year typed as text, not serial day 2024
    ("４５３８３", pd.Timestamp("2024-04-01")),  # serial typed as full-width text
    (True, INVALID),
    ("", EMPTY),
    ("\u3000", EMPTY),
    (None, EMPTY),
    (pd.NaT, EMPTY),
]


@pytest.mark.parametrize(("raw", "expected"), DATE_CASES)
def test_date_cases(raw, expected):
    result = normalize_one(raw, "date")
    assert result.values.dtype == "datetime64[ns]"
    assert_outcome(result, expected)


def test_date_batch_matches_single_cells():
    """The per-format fast path (2,000 distinct values or more) must agree with single cells."""
    raws = [raw for raw, _expected in DATE_CASES]
    filler = [f"2020/{month}/{day}" for month in range(1, 13) for day in range(1, 29)] * 8
    filler += [f"2021-{month:02d}-{day:02d}" for month in range(1, 13) for day in range(1, 29)]
    together = normalize_column(pd.Series(raws + filler, dtype=object), "date")
    assert together.values.iloc[len(raws) :].notna().all()
    for position, (raw, expected) in enumerate(DATE_CASES):
        if expected is INVALID:
            assert together.invalid.iloc[position], raw
        elif expected is EMPTY:
            assert together.empty.iloc[position], raw
        else:
            assert together.values.iloc[position] == expected, raw


@pytest.mark.parametrize("kind", ["text", "number", "currency"])
def test_unique_texts_skip_hashing_alike(kind):
    """A small column of texts gives the same result with or without hashing."""
    texts = [f"{number}" for number in range(3000)]
    # Repeats and variants away from the sampled positions (every 30th text).
    texts[31] = texts[32] = " 17 "
    texts[61] = "#REF!"
    texts[62] = "-"
    texts[91] = "+2310680533962272097"
    texts[92] = "abc"
    texts[121] = "\u3000"
    series = pd.Series(texts, index=range(5, 3005), dtype=object)
    fast = normalize_column(series, kind, blank_values=["-"])
    hashed = prepare(series, ["-"], 0.0)
    assert not hashed.distinct.identity
    expected = normalize_prepared(hashed, series.index, kind)
    for field in ("values", "empty", "invalid", "formula_error"):
        pd.testing.assert_series_equal(getattr(fast, field), getattr(expected, field))
    assert prepare_column(series, kind).distinct.identity


def test_unique_texts_with_repeats_hashed():
    series = pd.Series([f"{number % 50}" for number in range(3000)], dtype=object)
    assert not prepare_column(series, "text").distinct.identity


def test_unique_texts_with_missing_cell_hashed():
    texts = [f"{number}" for number in range(3000)]
    texts[31] = None
    column = prepare_column(pd.Series(texts, dtype=object), "text")
    assert not column.distinct.identity
    assert column.distinct.codes[31] == -1


def _formats_of_every_sample_text(texts: np.ndarray) -> list[str]:
    """Return the fast formats of a sample as found by trying every format on every text."""
    sample = texts[:: len(texts) // FORMAT_SAMPLE_SIZE][:FORMAT_SAMPLE_SIZE]
    unmatched = np.ones(len(sample), dtype=bool)
    matches = []
    for format_ in _FAST_FORMATS:
        matched = _parse_format(sample[unmatched], format_).notna()
        if matched.any():
            matches.append((int(matched.sum()), format_))
            unmatched[np.flatnonzero(unmatched)[matched]] = False
            if not unmatched.any():
                break
    return [format_ for _count, format_ in sorted(matches, key=lambda match: -match[0])]


SAMPLE_TEXTS = [
    "2024-13-45",
    "2024-02-30",
    "来週",
    "today",
    "now",
    "Today",
    "2024-04-01t10:00:00",
    "2024-04-01 10:00",
    "2024/4/1",
    "2024.04.01",
    "2024年4月1日",
    "٢٠٢٤-٠٤-٠١",
    "2024-04-01T10:00:00+09:00",
    "2024-04-01T10:00:00.5",
    "--04-01",
    "-2024-04-01",
    "20240401",
]


@pytest.mark.parametrize("separator", ["-", "/"])
@pytest.mark.parametrize("odd", SAMPLE_TEXTS)
def test_sampled_formats_skip_only_impossible(odd, separator):
    """Skipping texts that lack a format's separators picks the same formats."""
    dates = [f"{year}{separator}{month:02d}{separator}{day:02d}" for year in (2021, 2022)
             for month in range(1, 13) for day in range(1, 29)]  # fmt: skip
    for offset in range(0, 100, 7):
        texts = np.array(dates[:offset] + [odd] * 5 + dates[offset:], dtype=object)
        assert _sampled_formats(texts) == _formats_of_every_sample_text(texts)


def test_sampled_formats_of_mixed_column():
    texts = np.array((SAMPLE_TEXTS * 40)[:600], dtype=object)
    assert _sampled_formats(texts) == _formats_of_every_sample_text(texts)


def test_date_in_other_time_zone():
    result = normalize_one("2024-04-01T02:00:00Z", "date", time_zone="America/New_York")
    assert result.values.iloc[0] == pd.Timestamp("2024-03-31")


# --- datetime -------------------------------------------------------------

TOKYO = "Asia/Tokyo"


def tokyo(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TOKYO)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-04-01T10:30:00", tokyo("2024-04-01 10:30")),
        ("2024-04-01 10:30", tokyo("2024-04-01 10:30")),
        ("2024-04-01T10:30:15.250", tokyo("2024-04-01 10:30:15.250")),
        ("2024-04-01T01:30:00Z", tokyo("2024-04-01 10:30")),
        ("2024-04-01T10:30:00+09:00", tokyo("2024-04-01 10:30")),
        ("2024-04-01T02:30:00+01:00", tokyo("2024-04-01 10:30")),
        ("2024-04-01 10:30 JST", tokyo("2024-04-01 10:30")),
        ("2024/4/1 10:30", tokyo("2024-04-01 10:30")),
        ("2024/4/1 9:05", tokyo("2024-04-01 09:05")),
        ("2024年4月1日 10時30分", tokyo("2024-04-01 10:30")),
        ("2024年4月1日10時", tokyo("2024-04-01 10:00")),
        ("2024年4月1日 午後3時", tokyo("2024-04-01 15:00")),
        ("2024/4/1 3:00 PM", tokyo("2024-04-01 15:00")),
        ("2024/4/1 12:00 am", tokyo("2024-04-01 00:00")),
        ("令和6年4月1日 10:30", tokyo("2024-04-01 10:30")),
        ("2024-04-01", tokyo("2024-04-01 00:00")),
        ("2024年4月1日", tokyo("2024-04-01 00:00")),
        (45383.4375, tokyo("2024-04-01 10:30")),
        ("45383.4375", tokyo("2024-04-01 10:30")),
        (45383, tokyo("2024-04-01 00:00")),
        (dt.datetime(2024, 4, 1, 10, 30), tokyo("2024-04-01 10:30")),
        (dt.date(2024, 4, 1), tokyo("2024-04-01 00:00")),
        (dt.datetime(2024, 4, 1, 1, 30, tzinfo=dt.UTC), tokyo("2024-04-01 10:30")),
        ("2024/4/1 25:00", INVALID),
        ("2024/4/1 10:61", INVALID),
        ("2024/4/1 13:00 PM", INVALID),
        ("2024/4/1 10:30 foo", INVALID),
        ("2024-04-01T10:30:00+09:00 extra", INVALID),
        ("未定", INVALID),
        ("", EMPTY),
    ],
)
def test_datetime_cases(raw, expected):
    result = normalize_one(raw, "datetime")
    assert str(result.values.dtype) == "datetime64[ns, Asia/Tokyo]"
    assert_outcome(result, expected)


def test_datetime_naive_in_other_time_zone():
    result = normalize_one("2024-07-01 09:00", "datetime", time_zone="America/New_York")
    assert result.values.iloc[0] == pd.Timestamp("2024-07-01 13:00", tz="UTC")
    assert str(result.values.dt.tz) == "America/New_York"


def test_datetime_in_daylight_saving_gap_moves_forward():
    result = normalize_one("2024-03-10 02:30", "datetime", time_zone="America/New_York")
    assert result.values.iloc[0] == pd.Timestamp("2024-03-10 03:00", tz="America/New_York")


def test_datetime_in_repeated_hour_takes_first():
    result = normalize_one("2024-11-03 01:30", "datetime", time_zone="America/New_York")
    assert result.values.iloc[0] == pd.Timestamp("2024-11-03 05:30", tz="UTC")


def test_datetime_batch_with_mixed_offsets():
    texts = [f"2024-04-01T10:{i % 60:02d}:00+09:00" for i in range(1500)]
    texts += [f"2024-04-01T01:{i % 60:02d}:00Z" for i in range(1500)]
    texts += [f"2024/4/1 10:{i % 60:02d}" for i in range(1500)]
    result = normalize_column(pd.Series(texts, dtype=object), "datetime")
    assert not result.invalid.any()
    assert result.values.iloc[0] == tokyo("2024-04-01 10:00")
    assert result.values.iloc[1500] == tokyo("2024-04-01 10:00")
    assert result.values.iloc[3000] == tokyo("2024-04-01 10:00")


# --- bool -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("はい", True),
        ("いいえ", False),
        ("○", True),
        ("◯", True),
        ("〇", True),
        ("×", False),
        ("✕", False),
        ("有", True),
        ("無", False),
        ("あり", True),
        ("なし", False),
        ("済", True),
        ("未", False),
        ("TRUE", True),
        ("true", True),
        ("True", True),
        ("ＴＲＵＥ", True),
        ("FALSE", False),
        ("yes", True),
        ("No", False),
        ("y", True),
        ("N", False),
        ("on", True),
        ("OFF", False),
        ("1", True),
        ("0", False),
        (" はい\u3000", True),
        (True, True),
        (False, False),
        (np.True_, True),
        (1, True),
        (0.0, False),
        (2, INVALID),
        ("2", INVALID),
        ("maybe", INVALID),
        ("未定", INVALID),
        (dt.date(2024, 4, 1), INVALID),
        ("", EMPTY),
        (None, EMPTY),
    ],
)
def test_bool_cases(raw, expected):
    result = normalize_one(raw, "bool")
    assert result.values.dtype == object
    assert_outcome(result, expected)
    if expected is True or expected is False:
        assert result.values.iloc[0] is expected


def test_bool_keeps_checkbox_apart_from_one():
    series = pd.Series([True, 1, "1", 0, False, 2], dtype=object)
    result = normalize_column(series, "bool")
    assert result.values.tolist() == [True, True, True, False, False, None]
    text = normalize_column(series, "text")
    assert text.values.tolist() == ["TRUE", "1", "1", "0", "FALSE", "2"]


# --- enum -----------------------------------------------------------------

PRODUCT_OPTIONS = [
    OptionSpec("gtx_pro", "GTX Pro", ("GTX-PRO",)),
    OptionSpec("gtx_basic", "GTX Basic"),
    OptionSpec("mg_special", "MG Special", ("エムジー",)),
]


@pytest.mark.parametrize(
    ("raw", "expected", "suggestion"),
    [
        ("GTX Pro", "gtx_pro", None),
        ("gtx pro", "gtx_pro", None),
        ("ＧＴＸ　Ｐｒｏ", "gtx_pro", None),
        ("  GTX Pro\u3000", "gtx_pro", None),
        ("gtx_pro", "gtx_pro", None),
        ("GTX_PRO", "gtx_pro", None),
        ("GTX-PRO", "gtx_pro", None),
        ("エムジー", "mg_special", None),
        ("ｴﾑｼﾞｰ", "mg_special", None),
        ("GTXPro", INVALID, "GTX Pro"),
        ("GTX  Pro", INVALID, "GTX Pro"),
        ("GTX Basc", INVALID, "GTX Basic"),
        ("MGSpecial", INVALID, "MG Special"),
        ("zzz", INVALID, None),
        ("", EMPTY, None),
    ],
)
def test_enum_cases(raw, expected, suggestion):
    result = normalize_one(raw, "enum", options=PRODUCT_OPTIONS)
    assert_outcome(result, expected)
    got = None if result.suggestion is None else result.suggestion.iloc[0]
    assert got == suggestion


def test_enum_value_wins_over_other_label():
    options = [OptionSpec("a", "B"), OptionSpec("b", "Other")]
    assert normalize_one("b", "enum", options=options).values.iloc[0] == "b"


def test_enum_numeric_cell_matches_value():
    options = [OptionSpec("1", "One"), OptionSpec("2", "Two")]
    assert normalize_one(2.0, "enum", options=options).values.iloc[0] == "2"


def test_enum_without_suggestions_has_none():
    result = normalize_column(pd.Series(["GTX Pro", None]), "enum", options=PRODUCT_OPTIONS)
    assert result.suggestion is None


# --- email ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "suggestion"),
    [
        ("taro@example.co.jp", "taro@example.co.jp", None),
        ("Taro.Yamada@EXAMPLE.CO.JP", "Taro.Yamada@example.co.jp", None),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "taro@example.com", None),
        ("\u3000taro@example.com ", "taro@example.com", None),
        ("a+tag@sub.example.com", "a+tag@sub.example.com", None),
        ("user@ドメイン.jp", "user@ドメイン.jp", None),
        ("taro@example.com.", INVALID, "taro@example.com"),
        ("taro@example,com", INVALID, "taro@example.com"),
        ("taro@@example.com", INVALID, "taro@example.com"),
        ("taro @example.com", INVALID, "taro@example.com"),
        ("mailto:taro@example.com", INVALID, "taro@example.com"),
        ("山田 <taro@example.com>", INVALID, "taro@example.com"),
        ("taro(at)example.com", INVALID, "taro@example.com"),
        ("taro..yamada@example.com", INVALID, "taro.yamada@example.com"),
        ("taro@example", INVALID, None),
        ("taro@localhost", INVALID, None),
        ("taro@foo.test", INVALID, None),
        (".taro@example.com", INVALID, "taro@example.com"),
        ("taro", INVALID, None),
        ("未定", INVALID, None),
        # email-validator checks the 64-character local-part limit only in strict mode.
        ("a" * 65 + "@example.com", "a" * 65 + "@example.com", None),
        ("a@" + "b" * 250 + ".com", INVALID, None),
        ("", EMPTY, None),
    ],
)
def test_email_cases(raw, expected, suggestion):
    result = normalize_one(raw, "email")
    assert_outcome(result, expected)
    got = None if result.suggestion is None else result.suggestion.iloc[0]
    assert got == suggestion


def test_email_batch_matches_email_validator():
    rng = random.Random(3)
    alphabet = "abcXYZ09._-+@!#$%&'*/=?^`{|}~ü(),:;<>[]\\\"x"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(3, 12))) for _ in range(3000)]
    texts += [f"{text}@Example.com" for text in texts[:2000]]
    result = normalize_column(pd.Series(texts, dtype=object), "email")
    for text, value in zip(texts, result.values, strict=True):
        try:
            expected = validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            expected = None
        assert value == expected, text


# --- phone ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "suggestion"),
    [
        ("03-1234-5678", "+81312345678", None),
        ("0312345678", "+81312345678", None),
        ("090-1234-5678", "+819012345678", None),
        ("+81 90 1234 5678", "+819012345678", None),
        ("+81-3-1234-5678", "+81312345678", None),
        ("+81 (0)3-1234-5678", "+81312345678", None),
        ("０３－１２３４－５６７８", "+81312345678", None),
        ("（03）1234-5678", "+81312345678", None),
        ("(03) 1234 5678", "+81312345678", None),
        ("03ー1234ー5678", "+81312345678", None),
        ("0120-123-456", "+81120123456", None),
        ("+1 415 555 2671", "+14155552671", None),
        ("03-1234-567", INVALID, None),
        ("090-1234-567", INVALID, None),
        ("1234", INVALID, None),
        ("未定", INVALID, None),
        ("abc", INVALID, None),
        ("", EMPTY, None),
    ],
)
def test_phone_cases(raw, expected, suggestion):
    result = normalize_one(raw, "phone")
    assert_outcome(result, expected)
    got = None if result.suggestion is None else result.suggestion.iloc[0]
    assert got == suggestion


def test_phone_other_region():
    result = normalize_one("(415) 555-2671", "phone", phone_region="US")
    assert result.values.iloc[0] == "+14155552671"


def test_phone_number_cell_without_leading_zero():
    # phonenumbers accepts the national number without its trunk prefix.
    assert normalize_one(312345678, "phone").values.iloc[0] == "+81312345678"


def test_phone_batch_matches_phonenumbers():
    rng = random.Random(5)
    prefixes = ["0", "+81", "", "0" + "90", "0120", "+810", "010", "81", "0081"]
    texts = []
    for _ in range(6000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 17)))
        texts.append(rng.choice(prefixes) + digits)
    result = normalize_column(pd.Series(texts, dtype=object), "phone")
    assert result.values.notna().sum() > 200  # enough valid numbers to compare
    for text, value in zip(texts, result.values, strict=True):
        try:
            number = phonenumbers.parse(text, "JP")
        except phonenumbers.NumberParseException:
            expected = None
        else:
            valid = phonenumbers.is_valid_number(number)
            expected = phonenumbers.format_number(number, 0) if valid else None
        assert value == expected, text


# --- url ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "suggestion"),
    [
        ("https://example.co.jp", "https://example.co.jp", None),
        ("http://example.com/path?q=1#x", "http://example.com/path?q=1#x", None),
        ("HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path", None),
        ("example.co.jp", "https://example.co.jp", None),
        ("www.example.com/path", "https://www.example.com/path", None),
        ("example.com:8080/x", "https://example.com:8080/x", None),
        ("https://例え.jp/", "https://例え.jp/", None),
        ("http://192.168.0.1/admin", "http://192.168.0.1/admin", None),
        ("ｅｘａｍｐｌｅ．ｃｏｍ", "https://example.com", None),
        ("ftp://example.com", INVALID, None),
        ("mailto:taro@example.com", INVALID, None),
        ("taro@example.com", INVALID, None),
        ("http://localhost", INVALID, None),
        ("localhost", INVALID, None),
        ("未定", INVALID, None),
        ("https://", INVALID, None),
        ("example .com", INVALID, "https://example.com"),
        ("https://exa mple.com/a", INVALID, "https://example.com/a"),
        ("-example.com", INVALID, None),
        ("", EMPTY, None),
    ],
)
def test_url_cases(raw, expected, suggestion):
    result = normalize_one(raw, "url")
    assert_outcome(result, expected)
    got = None if result.suggestion is None else result.suggestion.iloc[0]
    assert got == suggestion


def _random_url(rng: random.Random) -> str:
    scheme = rng.choice(["", "", "https://", "http://", "HTTP://", "ftp://", "https:/"])
    labels = ["www", "example", "ex-ample", "-bad", "bad-", "Ex", "例え", "a" * 64, "x_y", "1", ""]
    host = ".".join(rng.choice(labels) for _ in range(rng.randint(1, 3)))
    host += rng.choice([".jp", ".com", ".c0m", ".x", ".COM", ".xn--zckzah", "", "."])
    port = rng.choice(["", "", ":8080", ":", ":123456", ":8a"])
    rest = rng.choice(["", "", "/", "/Path", "/a b", "?q=1", "#f", "x", "/\u3000"])
    return scheme + host + port + rest


def test_url_batch_matches_full_pattern():
    rng = random.Random(9)
    texts = [_random_url(rng) for _ in range(8000)]
    result = normalize_column(pd.Series(texts, dtype=object), "url")
    assert result.values.notna().sum() > 400  # enough valid URLs to compare
    for text, value in zip(texts, result.values, strict=True):
        cleaned = unicodedata.normalize("NFKC", text).strip()
        expected = _normalized_url(cleaned) if cleaned else None
        assert value == expected, text


# --- postal code ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "suggestion"),
    [
        ("123-4567", "123-4567", None),
        ("〒123-4567", "123-4567", None),
        ("〒 123-4567", "123-4567", None),
        ("1234567", "123-4567", None),
        ("１２３－４５６７", "123-4567", None),
        ("〒１２３ー４５６７", "123-4567", None),
        ("123 4567", "123-4567", None),
        ("060-0000", "060-0000", None),
        (1234567, "123-4567", None),
        (600000, INVALID, "060-0000"),
        ("12-34567", INVALID, None),
        ("123-456", INVALID, None),
        ("12345678", INVALID, None),
        ("〒١٢٣-٤٥٦٧", INVALID, None),
        ("未定", INVALID, None),
        ("", EMPTY, None),
    ],
)
def test_postal_code_cases(raw, expected, suggestion):
    result = normalize_one(raw, "postal_code")
    assert_outcome(result, expected)
    got = None if result.suggestion is None else result.suggestion.iloc[0]
    assert got == suggestion


# --- corporate number -----------------------------------------------------

# 国税庁 (National Tax Agency), as published on its corporate number site.
NTA_CORPORATE_NUMBER = "7000012050002"


def test_corporate_check_digit_of_published_number():
    assert corporate_check_digit(NTA_CORPORATE_NUMBER[1:]) == 7


@pytest.mark.parametrize(
    ("raw", "expected", "suggestion"),
    [
        (NTA_CORPORATE_NUMBER, NTA_CORPORATE_NUMBER, None),
        ("７０００－０１２０－５０００２", NTA_CORPORATE_NUMBER, None),
        ("7000 0120 50002", NTA_CORPORATE_NUMBER, None),
        (7000012050002, NTA_CORPORATE_NUMBER, None),
        (7000012050002.0, NTA_CORPORATE_NUMBER, None),
        ("1000012050002", INVALID, None),
        ("7000012050003", INVALID, None),
        ("000012050002", INVALID, NTA_CORPORATE_NUMBER),
        ("70000120500021", INVALID, None),
        ("700001205000A", INVALID, None),
        ("未定", INVALID, None),
        ("", EMPTY, None),
    ],
)
def test_corporate_number_cases(raw, expected, suggestion):
    result = normalize_one(raw, "corporate_number")
    assert_outcome(result, expected)
    got = None if result.suggestion is None else result.suggestion.iloc[0]
    assert got == suggestion


def test_corporate_number_batch_checks_each_digit():
    base = NTA_CORPORATE_NUMBER[1:]
    texts = [f"{digit}{base}" for digit in range(1, 10)]
    result = normalize_column(pd.Series(texts, dtype=object), "corporate_number")
    assert result.invalid.tolist() == [digit != 7 for digit in range(1, 10)]


# --- formula errors and blank values --------------------------------------


@pytest.mark.parametrize("error", sorted(FORMULA_ERRORS))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_formula_error_for_every_kind(error, kind):
    result = normalize_one(f" {error} ", kind, options=PRODUCT_OPTIONS)
    assert bool(result.formula_error.iloc[0]) is True
    assert bool(result.empty.iloc[0]) is False
    assert bool(result.invalid.iloc[0]) is False
    assert pd.isna(result.values.iloc[0])


def test_formula_error_inside_text_ignored():
    result = normalize_one("see #REF! above", "text")
    assert not result.formula_error.iloc[0]
    assert result.values.iloc[0] == "see #REF! above"


@pytest.mark.parametrize(
    ("kind", "raw", "blank_values"),
    [
        ("number", "-1", {"-1"}),
        ("number", -1, {"-1"}),
        ("number", -1.0, {"-1"}),
        ("text", "N/A", {"n/a"}),
        ("text", "ｎ／ａ", {"N/A"}),
        ("date", "未定", {"未定"}),
        ("bool", "なし", {"なし"}),
        ("enum", "-", {"-"}),
        ("email", " - ", {"-"}),
        ("text", "#N/A", {"#N/A"}),
    ],
)
def test_blank_values_make_cells_empty(kind, raw, blank_values):
    result = normalize_one(raw, kind, blank_values=blank_values, options=PRODUCT_OPTIONS)
    assert_outcome(result, EMPTY)


def test_blank_values_leave_other_cells():
    series = pd.Series(["-1", "-2", -1, None], dtype=object)
    result = normalize_column(series, "number", blank_values={"-1"})
    assert result.empty.tolist() == [True, False, True, True]
    assert result.values.iloc[1] == -2.0


# --- whole columns --------------------------------------------------------


def test_mixed_type_column_as_number():
    series = pd.Series(
        [1, 2.5, "3", "¥4,000", None, dt.date(2024, 4, 1), True, "#DIV/0!", "", "x"],
        index=list("abcdefghij"),
        dtype=object,
    )
    result = normalize_column(series, "number")
    assert list(result.values.index) == list("abcdefghij")
    assert result.values.tolist()[:4] == [1.0, 2.5, 3.0, 4000.0]
    assert result.empty.tolist() == [False] * 4 + [True] + [False] * 3 + [True, False]
    assert result.invalid.tolist() == [False] * 5 + [True, True, False, False, True]
    assert result.formula_error.tolist() == [False] * 7 + [True, False, False]


def test_mixed_type_column_as_date():
    series = pd.Series(
        [45383, "2024/4/1", dt.datetime(2024, 4, 1, 9), pd.Timestamp("2024-04-01"), None, 1.5],
        dtype=object,
    )
    result = normalize_column(series, "date")
    assert result.values.iloc[:4].tolist() == [APRIL_1] * 4
    assert result.empty.tolist() == [False] * 4 + [True, False]
    assert result.invalid.tolist() == [False] * 5 + [True]


def test_mixed_type_column_as_text():
    series = pd.Series([1, 2.0, "0123", True, dt.date(2024, 4, 1), None, 3.5], dtype=object)
    result = normalize_column(series, "text")
    assert result.values.tolist() == ["1", "2", "0123", "TRUE", "2024-04-01", None, "3.5"]


def test_native_dtypes():
    floats = normalize_column(pd.Series([1.0, np.nan, 3.0]), "number")
    assert floats.values.tolist()[::2] == [1.0, 3.0]
    assert floats.empty.tolist() == [False, True, False]
    dates = normalize_column(pd.Series(pd.to_datetime(["2024-04-01 10:00", None])), "date")
    assert dates.values.iloc[0] == APRIL_1
    assert dates.empty.tolist() == [False, True]
    bools = normalize_column(pd.Series([True, False]), "bool")
    assert bools.values.tolist() == [True, False]


def test_empty_series():
    result = normalize_column(pd.Series([], dtype=object), "date")
    assert len(result.values) == 0
    assert result.values.dtype == "datetime64[ns]"


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="unknown property type 'money'"):
        normalize_column(pd.Series(["1"]), "money")


def test_results_never_overlap():
    series = pd.Series(["1", "", "x", "#REF!", None, "2"] * 3, dtype=object)
    result = normalize_column(series, "number")
    flags = result.empty.astype(int) + result.invalid.astype(int) + result.formula_error.astype(int)
    assert flags.max() == 1
    assert result.values.notna().tolist() == (flags == 0).tolist()


# --- match keys -----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("株式会社ABC", "abc"),
        ("ABC株式会社", "abc"),
        ("ＡＢＣ（株）", "abc"),
        ("(株)ABC", "abc"),
        ("㈱ABC", "abc"),
        ("有限会社ABC", "abc"),
        ("(有)ABC", "abc"),
        ("合同会社 ABC", "abc"),
        ("ABC Inc.", "abc"),
        ("ABC, Inc", "abc"),
        ("ABC Co., Ltd.", "abc"),
        ("ABC Co.,Ltd.", "abc"),
        ("ABC Corp.", "abc"),
        ("ABC Corporation", "abc"),
        ("ABC LLC", "abc"),
        ("ABC K.K.", "abc"),
        ("  A・B・C  ", "abc"),
        ("Zinc Holdings", "zincholdings"),
        ("Cocoa", "cocoa"),
        ("株式会社", "株式会社"),
        ("テスト　株式会社", "テスト"),
        ("!!!", None),
        ("", None),
        (None, None),
    ],
)
def test_company_match_key_cases(raw, expected):
    assert company_match_key(pd.Series([raw], dtype=object)).iloc[0] == expected


def test_company_match_key_groups_variants():
    names = ["株式会社ABC", "ＡＢＣ（株）", "ABC Co., Ltd.", "abc inc", "ABD株式会社"]
    keys = company_match_key(pd.Series(names * 3, dtype=object))
    assert keys.iloc[:5].tolist() == ["abc", "abc", "abc", "abc", "abd"]
    assert keys.iloc[5:10].tolist() == keys.iloc[:5].tolist()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Taro@Example.COM", "taro@example.com"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "taro@example.com"),
        (" taro@example.com\u3000", "taro@example.com"),
        ("", None),
        (None, None),
    ],
)
def test_email_match_key_cases(raw, expected):
    assert email_match_key(pd.Series([raw], dtype=object)).iloc[0] == expected


# --- large columns ----------------------------------------------------------

LARGE = 200_000


def _large_column(kind: str) -> pd.Series:
    """Return a 200k-row column of mostly distinct, mostly valid values of a kind."""
    numbers = np.arange(LARGE)
    if kind in ("text", "enum"):
        values = [
            f"顧客{i}" if kind == "text" else ("GTX Pro", "GTX Basic")[i % 2] for i in numbers
        ]
    elif kind in ("number", "currency"):
        values = [f"¥{i * 37:,}" for i in numbers]
    elif kind == "percent":
        values = [f"{i % 1000 / 10}%" for i in numbers]
    elif kind == "date":
        values = [f"2024/{i % 12 + 1}/{i % 28 + 1}" for i in numbers]
    elif kind == "datetime":
        start = dt.datetime(2020, 1, 1)
        values = [(start + dt.timedelta(minutes=int(i))).isoformat(sep=" ") for i in numbers]
    elif kind == "bool":
        values = [("はい", "いいえ", True, None)[i % 4] for i in numbers]
    elif kind == "email":
        values = [f"user{i}@example{i % 97}.co.jp" for i in numbers]
    elif kind == "phone":
        values = [f"03-{1000 + i // 10_000:04d}-{i % 10_000:04d}" for i in numbers]
    elif kind == "url":
        values = [f"https://www.example{i}.co.jp/" for i in numbers]
    elif kind == "postal_code":
        values = [f"〒{100 + i // 10_000:03d}-{i % 10_000:04d}" for i in numbers]
    else:
        base = [f"{i:012d}" for i in numbers]
        values = [f"{corporate_check_digit(text)}{text}" for text in base[:1000]] * (LARGE // 1000)
    return pd.Series(values, dtype=object)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_large_column_completes(kind):
    series = _large_column(kind)
    result = normalize_column(series, kind, options=PRODUCT_OPTIONS)
    assert len(result.values) == LARGE
    assert result.invalid.mean() < 0.01
    assert not math.isnan(float(result.empty.mean()))
