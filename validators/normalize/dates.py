"""Date and datetime cells: ISO and Japanese forms, Japanese eras, English month names, serials.

Every cell is first read as either a wall-clock time (naive: no zone given,
so it is in the sheet's time zone) or an instant (a zone or offset was given,
or a tz-aware datetime object). ``parse_date`` and ``parse_datetime`` then
turn both into their output form.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from validators.normalize.core import (
    CATEGORY_NUMBER,
    CATEGORY_OTHER,
    CATEGORY_STR,
    CATEGORY_TEMPORAL,
    Cells,
    Parsed,
    apply_distinct,
    nfkc,
)

NAT = np.datetime64("NaT", "ns")

# Spreadsheet serial dates count days since 1899-12-30 (Google Sheets, and
# Excel from 1900-03-01 on). Serials 2..110000 span 1900-01-01..2201-03-02,
# and MAX_DATE below cuts them at the end of 2200. Other numbers in a date
# column are not dates.
SERIAL_EPOCH = np.datetime64("1899-12-30", "ns")
MIN_SERIAL = 2
MAX_SERIAL = 110_000

# Dates outside this range are rejected as typos (0224-04-01, 20224-04-01).
# Day units: comparing with values of a coarser unit than ns (pandas reads
# year 9999 in µs) must not convert those values to ns, where they overflow.
MIN_DATE = np.datetime64("1800-01-01", "D")
MAX_DATE = np.datetime64("2201-01-01", "D")  # exclusive
_FIRST_DATETIME = dt.datetime(1800, 1, 1)
_END_DATETIME = dt.datetime(2201, 1, 1)


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    first_year: int  # Gregorian year of the era's year 1 (元年)
    first_day: dt.date
    last_day: dt.date | None  # None while the era lasts


# Meiji dates before 1873-01-01 (Meiji 6) are in the old lunisolar calendar,
# which this module does not convert, so the Meiji range starts there.
ERAS = (
    Era("令和", "R", 2019, dt.date(2019, 5, 1), None),
    Era("平成", "H", 1989, dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    Era("昭和", "S", 1926, dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    Era("大正", "T", 1912, dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    Era("明治", "M", 1868, dt.date(1873, 1, 1), dt.date(1912, 7, 29)),
)
_ERA_BY_NAME = {era.name: era for era in ERAS} | {era.letter.lower(): era for era in ERAS}

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

# Date parts, tried in order at the start of the (NFKC) text. Each yields the
# groups y, m, d (or era, y, m, d, or mon for a month name).
_ERA_ALTERNATIVES = "|".join([era.name for era in ERAS] + [era.letter for era in ERAS])
_DATE_PATTERNS = [
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?!\d)"),
    re.compile(
        rf"(?P<era>{_ERA_ALTERNATIVES})\s*(?P<y>元|\d{{1,2}})\s*"
        r"(?:年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
        r"|(?P<sep>[-/.])(?P<m2>\d{1,2})(?P=sep)(?P<d2>\d{1,2}))",
        re.IGNORECASE,
    ),
    # 01-Jan-2015, 1 January 2015, 1st Jan. 2015
    re.compile(
        r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[-\s]\s*(?P<mon>[a-z]{3,9})\.?(?:[-\s]|,\s*)\s*(?P<y>\d{4})",
        re.IGNORECASE,
    ),
    # Jan 1, 2015, January 1 2015, Jan-01-2015
    re.compile(
        r"(?P<mon>[a-z]{3,9})\.?[-\s]\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?,?[-\s]\s*(?P<y>\d{4})",
        re.IGNORECASE,
    ),
]

# A weekday after the date, as in 2024/4/1(月) or 2024年4月1日（月曜日）.
_WEEKDAY_RE = re.compile(r"\s*\(\s*(?:[月火水木金土日](?:曜日?)?|[a-z]{3}\.?)\s*\)", re.IGNORECASE)

_TIME_PATTERNS = [
    re.compile(
        r"(?P<ampm>午前|午後|am|pm)?\s*(?P<h>\d{1,2}):(?P<mi>\d{2})"
        r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?\s*(?P<ampm2>am|pm|a\.m\.|p\.m\.)?",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?P<ampm>午前|午後)?\s*(?P<h>\d{1,2})\s*時(?:\s*(?P<mi>\d{1,2})\s*分"
        r"(?:\s*(?P<s>\d{1,2})\s*秒)?)?"
    ),
]
_ZONE_RE = re.compile(r"\s*(?P<z>Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT|JST)", re.IGNORECASE)
_NAMED_OFFSETS = {"z": 0, "utc": 0, "gmt": 0, "jst": 9 * 60}
_SERIAL_TEXT_RE = re.compile(r"\d+(?:\.\d+)?")

# Fast path: formats that pandas parses in one vectorised call per format.
# The ones a sample of the column matches are run over all values. What is
# left goes through parse_time_text one value at a time. Formats with %z
# give instants. A failed value costs pandas about 1 µs per format, which is
# why the sample picks them.
_FAST_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y.%m.%d",
    "%Y年%m月%d日",
)
MIN_VALUES_FOR_FAST_PATH = 500
FORMAT_SAMPLE_SIZE = 100


@dataclass(frozen=True)
class TimeValue:
    """A parsed cell: wall-clock time, plus the UTC offset in minutes if one was given."""

    wall: dt.datetime
    offset_minutes: int | None = None


def parse_time_text(text: str) -> TimeValue | None:
    """Parse one NFKC-normalised date or datetime text, or return None if it is not one."""
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match is not None:
            date = _date_from_match(match)
            if date is None:
                return None
            return _with_time(date, text[match.end() :])
    if _SERIAL_TEXT_RE.fullmatch(text):
        # Typed text "2024" means a year, not serial day 2024 (1905-07-16): too
        # vague to be a date. Serial numbers from a sheet arrive as numbers.
        if len(text) == 4 and 1800 <= int(text) <= 2200:
            return None
        return _serial_value(float(text))
    return None


def parse_date_text(text: str) -> dt.date | None:
    """Parse a date typed on a command line or in a form: 2024-04-01, 2024/4/1, 2024年4月1日, 令和6年4月1日.

    Full-width digits are read too. A time of day, a serial number or an
    impossible day gives None.
    """
    plain = unicodedata.normalize("NFKC", text).strip()
    if _SERIAL_TEXT_RE.fullmatch(plain):
        return None
    value = parse_time_text(plain)
    if value is None or value.wall.time() != dt.time(0) or value.offset_minutes is not None:
        return None
    return value.wall.date()


def _date_from_match(match: re.Match[str]) -> dt.date | None:
    groups = match.groupdict()
    try:
        if groups.get("era"):
            return _era_date(
                groups["era"], groups["y"], groups["m"] or groups["m2"], groups["d"] or groups["d2"]
            )
        if groups.get("mon"):
            month = _MONTHS.get(groups["mon"].lower())
            if month is None:
                return None
            return dt.date(int(groups["y"]), month, int(groups["d"]))
        return dt.date(int(groups["y"]), int(groups["m"]), int(groups["d"]))
    except ValueError:  # no such day, such as 2024-02-30
        return None


def _era_date(name: str, year: str, month: str, day: str) -> dt.date | None:
    """Convert an era date (令和6年4月1日, H31.4.30) to the Gregorian date, None if outside the era."""
    era = _ERA_BY_NAME[name.lower()] if name.isascii() else _ERA_BY_NAME[name]
    era_year = 1 if year == "元" else int(year)
    if era_year < 1:
        return None
    date = dt.date(era.first_year + era_year - 1, int(month), int(day))
    if date < era.first_day or (era.last_day is not None and date > era.last_day):
        return None
    return date


def _with_time(date: dt.date, rest: str) -> TimeValue | None:
    """Return the date with the time and zone that follow it, or None if the rest is not a time."""
    weekday = _WEEKDAY_RE.match(rest)
    if weekday is not None:
        rest = rest[weekday.end() :]
    rest = rest.strip()
    if not rest:
        return TimeValue(dt.datetime(date.year, date.month, date.day))
    if rest[0] in "Tt":
        rest = rest[1:]

    for pattern in _TIME_PATTERNS:
        match = pattern.match(rest)
        if match is not None:
            break
    else:
        return None
    hour = _hour(match)
    groups = match.groupdict()
    fraction = (groups.get("f") or "").ljust(6, "0")[:6]
    try:
        wall = dt.datetime(
            date.year,
            date.month,
            date.day,
            hour,
            int(groups["mi"] or 0),
            int(groups["s"] or 0),
            int(fraction),
        )
    except ValueError:  # 25:00, 10:61 and the like
        return None

    rest = rest[match.end() :]
    if not rest.strip():
        return TimeValue(wall)
    zone = _ZONE_RE.fullmatch(rest)
    if zone is None:
        return None
    return TimeValue(wall, _offset_minutes(zone["z"]))


def _hour(match: re.Match[str]) -> int:
    """Return the 24-hour clock hour, or -1 (rejected later) for a 12-hour value out of range."""
    hour = int(match["h"])
    marker = (match["ampm"] or match.groupdict().get("ampm2") or "").lower().replace(".", "")
    if not marker:
        return hour
    if hour > 12:
        return -1
    if marker in ("pm", "午後"):
        return hour % 12 + 12
    return hour % 12


def _offset_minutes(zone: str) -> int:
    named = _NAMED_OFFSETS.get(zone.lower())
    if named is not None:
        return named
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:] or 0))


def _serial_value(serial: float) -> TimeValue | None:
    if not MIN_SERIAL <= serial <= MAX_SERIAL:
        return None
    milliseconds = round(serial * 86_400_000)
    return TimeValue(dt.datetime(1899, 12, 30) + dt.timedelta(milliseconds=milliseconds))


@dataclass
class _Readings:
    """Per cell, a wall-clock time or a UTC instant as datetime64[ns], and NaT in the other array."""

    wall: np.ndarray
    instant: np.ndarray

    @classmethod
    def empty(cls, count: int) -> _Readings:
        return cls(np.full(count, NAT), np.full(count, NAT))


def _read_cells(cells: Cells) -> _Readings:
    readings = _Readings.empty(len(cells))
    numbers = cells.mask(CATEGORY_NUMBER)
    if numbers.any():
        readings.wall[numbers] = _read_numbers(cells.raw[numbers].astype(np.float64))
    temporal = cells.mask(CATEGORY_TEMPORAL)
    if temporal.any():
        wall, instant = _read_temporal(cells.raw[temporal])
        readings.wall[temporal] = wall
        readings.instant[temporal] = instant
    textual = cells.mask(CATEGORY_STR) | cells.mask(CATEGORY_OTHER)
    if textual.any():
        wall, instant = _read_strings(cells.text[textual].tolist())
        readings.wall[textual] = wall
        readings.instant[textual] = instant
    return readings


def _read_numbers(numbers: np.ndarray) -> np.ndarray:
    """Read serial numbers, and 8-digit numbers as YYYYMMDD (20240401)."""
    wall = np.full(len(numbers), NAT)
    serial = (numbers >= MIN_SERIAL) & (numbers <= MAX_SERIAL)
    milliseconds = np.round(numbers[serial] * 86_400_000).astype(np.int64)
    wall[serial] = SERIAL_EPOCH + milliseconds.astype("timedelta64[ms]")

    # Only years 1800-2200 are read, which keeps pandas inside its datetime range.
    compact = (numbers >= 18_000_101) & (numbers <= 22_001_231) & (numbers == np.floor(numbers))
    if compact.any():
        digits = numbers[compact].astype(np.int64)
        parts = pd.DataFrame(
            {"year": digits // 10_000, "month": digits // 100 % 100, "day": digits % 100}
        )
        wall[compact] = pd.to_datetime(parts, errors="coerce").to_numpy("datetime64[ns]")
    wall[(wall < MIN_DATE) | (wall >= MAX_DATE)] = NAT
    return wall


def _read_temporal(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Read date, datetime, Timestamp and datetime64 objects."""
    wall = np.full(len(values), NAT)
    instant = np.full(len(values), NAT)
    aware = np.fromiter(
        (getattr(value, "tzinfo", None) is not None for value in values), bool, len(values)
    )
    if (~aware).any():
        wall[~aware] = _to_ns(pd.to_datetime(values[~aware].tolist()))
    if aware.any():
        converted = pd.to_datetime(values[aware].tolist(), utc=True).tz_localize(None)
        instant[aware] = _to_ns(converted)
    return wall, instant


def _to_ns(index: pd.DatetimeIndex) -> np.ndarray:
    """Return datetime64[ns] values, NaT for those outside MIN_DATE..MAX_DATE."""
    values = index.to_numpy()  # datetime64 in pandas' unit for the values
    inside = (values >= MIN_DATE) & (values < MAX_DATE)
    result = np.full(len(values), NAT)
    result[inside] = values[inside].astype("datetime64[ns]")
    return result


def _read_strings(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    count = len(texts)
    wall = np.full(count, NAT)
    instant = np.full(count, NAT)
    normal = np.array(nfkc(texts), dtype=object)

    remaining = np.arange(count)
    for format_ in _sampled_formats(normal):
        parsed = _parse_format(normal[remaining], format_)
        parsed_ok = parsed.notna()
        target = instant if "%z" in format_ else wall
        target[remaining[parsed_ok]] = _to_ns(parsed[parsed_ok])
        remaining = remaining[~parsed_ok]

    for position, value in zip(
        remaining, apply_distinct(parse_time_text, normal, remaining), strict=True
    ):
        if value is None:
            continue
        if value.offset_minutes is None:
            wall[position] = _checked(value.wall)
        else:
            utc = value.wall - dt.timedelta(minutes=value.offset_minutes)
            instant[position] = _checked(utc)
    return wall, instant


def _parse_format(texts: np.ndarray, format_: str) -> pd.DatetimeIndex:
    """Parse texts in one format: naive wall-clock times, or naive UTC for %z formats."""
    if "%z" in format_:
        parsed = pd.to_datetime(texts, format=format_, errors="coerce", utc=True)
        return parsed.tz_localize(None)
    return pd.to_datetime(texts, format=format_, errors="coerce")


def _sampled_formats(texts: np.ndarray) -> list[str]:
    """Return the fast formats that match part of a sample of texts, most matches first."""
    if len(texts) < MIN_VALUES_FOR_FAST_PATH:
        return []
    sample = texts[:: len(texts) // FORMAT_SAMPLE_SIZE][:FORMAT_SAMPLE_SIZE]
    unmatched = np.ones(len(sample), dtype=bool)
    matches: list[tuple[int, str]] = []
    for format_ in _FAST_FORMATS:
        # A call to pandas costs far more than the check, and in a column
        # with a few invalid values most formats have no candidate left.
        candidates = np.flatnonzero(unmatched)
        candidates = candidates[_may_parse(sample[candidates], format_)]
        if not len(candidates):
            continue
        matched = _parse_format(sample[candidates], format_).notna()
        if matched.any():
            matches.append((int(matched.sum()), format_))
            unmatched[candidates[matched]] = False
            if not unmatched.any():
                break
    return [format_ for _count, format_ in sorted(matches, key=lambda match: -match[0])]


# Texts that pandas' to_datetime reads as the current time whatever the format.
_ANY_FORMAT_TEXTS = frozenset({"now", "today"})


def _may_parse(texts: np.ndarray, format_: str) -> np.ndarray:
    """Return False for the texts that to_datetime cannot parse in ``format_``.

    pandas (3.1) tries its ISO 8601 parser, which compares each separator
    of the format with the text. Then it tries a regular expression, in
    which each character outside the directives matches itself, ignoring
    case, and whitespace matches any whitespace. So a text that lacks one
    of those characters does not parse, unless pandas reads it whatever
    the format.
    """
    literals = re.sub(r"%.|\s", "", format_).lower()
    return np.fromiter(
        (
            text in _ANY_FORMAT_TEXTS or all(literal in text.lower() for literal in literals)
            for text in texts.tolist()
        ),
        dtype=bool,
        count=len(texts),
    )


def _checked(value: dt.datetime) -> np.datetime64:
    # Compare before converting: numpy wraps years outside 1678..2261 silently.
    if not _FIRST_DATETIME <= value < _END_DATETIME:
        return NAT
    return np.datetime64(value, "ns")


def parse_date(cells: Cells, time_zone: str) -> Parsed:
    """Parse date cells to naive datetime64[ns] at midnight.

    A value with a zone or offset is converted to ``time_zone`` first, so
    2024-04-01T20:00Z is 2024-04-02 in Asia/Tokyo.
    """
    readings = _read_cells(cells)
    wall = readings.wall
    aware = ~np.isnat(readings.instant)
    if aware.any():
        local = pd.DatetimeIndex(readings.instant[aware]).tz_localize("UTC").tz_convert(time_zone)
        wall[aware] = local.tz_localize(None).as_unit("ns").to_numpy()
    dates = wall.astype("datetime64[D]").astype("datetime64[ns]")
    return Parsed(dates, np.isnat(dates))


def parse_datetime(cells: Cells, time_zone: str) -> Parsed:
    """Parse datetime cells to UTC instants as datetime64[ns].

    A value without a zone is a wall-clock time in ``time_zone``, and a date
    alone is midnight there. In a daylight-saving gap the time moves forward,
    and in a repeated hour the first occurrence wins.
    """
    readings = _read_cells(cells)
    instant = readings.instant
    naive = ~np.isnat(readings.wall)
    if naive.any():
        wall = pd.DatetimeIndex(readings.wall[naive])
        local = wall.tz_localize(
            time_zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
        )
        instant[naive] = local.tz_convert("UTC").tz_localize(None).as_unit("ns").to_numpy()
    return Parsed(instant, np.isnat(instant))
