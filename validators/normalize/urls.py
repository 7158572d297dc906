"""URL cells: http(s) URLs and bare domains."""

from __future__ import annotations

import re
import string

import numpy as np

from validators.normalize.core import (
    ByteLines,
    Cells,
    Parsed,
    apply_distinct,
    byte_classes,
    byte_table,
    nfkc,
)

# http(s) URLs and bare domains. Labels may be Unicode (internationalised
# domain names); the top-level domain is letters or an xn-- A-label. The
# host may also be a dotted IPv4 address, whose octets are not range-checked.
_URL_RE = re.compile(
    r"(?:(?P<scheme>https?)://)?"
    r"(?P<host>(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})"
    r"|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?P<port>:\d{1,5})?"
    r"(?P<path>[/?#]\S*)?",
    re.IGNORECASE,
)


# Byte classes for the numpy check of already normal URLs.
_NOT_HOST, _DOT, _HYPHEN, _DIGIT, _DELIMITER, _SPACE = 1, 2, 4, 8, 16, 32
_URL_CLASSES = byte_classes(
    ~byte_table(string.ascii_lowercase + string.digits + "-.\n"),
    byte_table("."),
    byte_table("-"),
    byte_table(string.digits),
    byte_table(":/?#"),
    # What re's \s matches among ASCII characters, apart from the line break.
    byte_table("\t\x0b\x0c\r\x1c\x1d\x1e\x1f "),
)
MAX_FAST_HOST_LENGTH = 63  # one DNS label at most, so no label can be too long


def _normal_url_lines(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return which texts are already normal URLs, and which of those have a scheme.

    Normal: an optional "http://" or "https://", a lower-case ASCII host of
    dot-separated labels (letters, digits, inner hyphens) ending in a
    top-level domain of two or more letters, then nothing or a path, query or
    fragment without spaces. _URL_RE accepts all of them and leaves them
    unchanged. URLs with a port take the slow path.
    """
    count = len(texts)
    lines = ByteLines(texts, _URL_CLASSES)
    if not lines.usable:
        return np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
    https = lines.starts_with("https://")
    http = lines.starts_with("http://")
    host_start = lines.starts + np.where(https, 8, np.where(http, 7, 0))

    # The host ends at the first ":", "/", "?" or "#" after its start, or at the line end.
    delimiters, _ = lines.find(_DELIMITER)
    host_end = np.append(delimiters, len(lines.data))[np.searchsorted(delimiters, host_start)]
    host_end = np.minimum(host_end, lines.ends)
    normal = lines.ascii & (host_end - host_start <= MAX_FAST_HOST_LENGTH)
    normal &= lines.byte_at(host_end) != ord(":")

    def lines_with(flag: int, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """Return the lines that have a byte with the flag at a position in low..high-1."""
        positions, owner = lines.find(flag)
        return owner[(positions >= low[owner]) & (positions < high[owner])]

    normal[lines_with(_NOT_HOST, host_start, host_end)] = False
    # Labels neither start nor end with "." or "-", so "..", ".-" and "-." are out too.
    marks, owner = lines.find(_DOT | _HYPHEN)
    adjacent = np.flatnonzero(np.diff(marks) == 1)
    in_host = marks[adjacent] >= host_start[owner[adjacent]]
    in_host &= marks[adjacent] < host_end[owner[adjacent]] - 1
    normal[owner[adjacent][in_host]] = False
    dot_or_hyphen = np.isin(lines.byte_at(host_start), [ord("."), ord("-")])
    dot_or_hyphen |= np.isin(lines.byte_at(host_end - 1), [ord("."), ord("-")])
    normal &= ~dot_or_hyphen

    # The top-level domain, after the last dot of the host, is two or more letters.
    dots, _ = lines.find(_DOT)
    last_dot = np.append([-1], dots)[np.searchsorted(dots, host_end)]
    normal &= (last_dot >= host_start) & (host_end - last_dot > 2)
    normal[lines_with(_DIGIT | _HYPHEN, last_dot + 1, host_end)] = False

    _, owner = lines.find(_SPACE)
    normal[owner] = False
    return normal, normal & (https | http)


def parse_url(cells: Cells) -> Parsed:
    """Validate http(s) URLs and bare domains. A bare domain gets https:// in front.

    The scheme and host are lower-cased. Other schemes, spaces, user names
    and hosts without a dot (localhost, 未定) are invalid.
    """
    texts = nfkc(cells.text.tolist())
    count = len(texts)
    values = np.full(count, None, dtype=object)
    normal, with_scheme = _normal_url_lines(texts)
    if normal.any():
        text_array = np.array(texts, dtype=object)
        values[with_scheme] = text_array[with_scheme]
        bare = text_array[normal & ~with_scheme].tolist()
        if bare:
            values[normal & ~with_scheme] = ("https://" + "\nhttps://".join(bare)).split("\n")

    suggestion = np.full(count, None, dtype=object)
    rest = np.flatnonzero(~normal)
    for position, (url, fix) in zip(rest, apply_distinct(_read_url, texts, rest), strict=True):
        values[position] = url
        suggestion[position] = fix
    return Parsed(values, np.equal(values, None), suggestion)


def _read_url(text: str) -> tuple[str | None, str | None]:
    """Return (normalised URL, suggestion) for a text the fast path did not take."""
    url = _normalized_url(text)
    if url is None and " " in text:
        return None, _normalized_url(text.replace(" ", ""))
    return url, None


def _normalized_url(text: str) -> str | None:
    match = _URL_RE.fullmatch(text)
    if match is None:
        return None
    host_end = match.end("host")
    if match["scheme"] is None:
        return "https://" + text[:host_end].lower() + text[host_end:]
    return text[:host_end].lower() + text[host_end:]
