"""URL cells: http(s) URLs and bare domains."""

from __future__ import annotations

import re
import string
from itertools import repeat

import numpy as np

from validators.normalize.core import ByteLines, Cells, Parsed, byte_table, nfkc

# http(s) URLs and bare domains. Labels may be Unicode (internationalised
# domain names); the top-level domain is letters or an xn-- A-label.
_URL_RE = re.compile(
    r"(?:(?P<scheme>https?)://)?"
    r"(?P<host>(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})"
    r"|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?P<port>:\d{1,5})?"
    r"(?P<path>[/?#]\S*)?",
    re.IGNORECASE,
)


# Bytes allowed in an already normal host: lower-case ASCII labels and dots.
_HOST_BYTES = byte_table(string.ascii_lowercase + string.digits + "-.")
_LETTER_BYTES = byte_table(string.ascii_lowercase)
_PATH_START_BYTES = byte_table("/?#")
# What re's \s matches among ASCII characters: \t\n\v\f\r, \x1c-\x1f and space.
_SPACE_BYTES = byte_table("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ")
MAX_FAST_HOST_LENGTH = 63  # one DNS label at most, so no label can be too long


def _normal_url_lines(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return which texts are already normal URLs, and which of those have a scheme.

    Normal: an optional "http://" or "https://", a lower-case ASCII host of
    dot-separated labels (letters, digits, inner hyphens) ending in a
    top-level domain of two or more letters, an optional port of 1-5 digits,
    then nothing or a path, query or fragment without spaces. _URL_RE
    accepts all of them and leaves them unchanged. Checked in numpy.
    """
    count = len(texts)
    lines = ByteLines(texts)
    if not lines.usable:
        return np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
    https = np.fromiter(map(str.startswith, texts, repeat("https://")), bool, count)
    http = np.fromiter(map(str.startswith, texts, repeat("http://")), bool, count)
    host_start = lines.starts + np.where(https, 8, np.where(http, 7, 0))

    # The host ends at the first ":", "/", "?" or "#" after its start, or at the line end.
    delimiters = lines.positions_of(byte_table(":/?#"))
    host_end = np.append(delimiters, len(lines.data))[np.searchsorted(delimiters, host_start)]
    host_end = np.minimum(host_end, lines.ends)
    normal = lines.ascii & (host_end - host_start <= MAX_FAST_HOST_LENGTH)

    def inside(positions: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """Return the lines that have a position p with low <= p < high."""
        owner = lines.line_of(positions)
        return owner[(positions >= low[owner]) & (positions < high[owner])]

    normal[inside(lines.positions_of(~_HOST_BYTES), host_start, host_end)] = False
    # Labels neither start nor end with "." or "-", so "..", ".-" and "-." are out too.
    dot_or_hyphen = byte_table(".-")
    pairs = lines.positions_of(dot_or_hyphen)
    pairs = pairs[:-1][np.diff(pairs) == 1]
    normal[inside(pairs, host_start, host_end - 1)] = False
    normal &= ~dot_or_hyphen[lines.at(host_start)] & ~dot_or_hyphen[lines.at(host_end - 1)]

    # The top-level domain, after the last dot of the host, is two or more letters.
    dots = lines.positions_of(byte_table("."))
    last_dot = np.append([-1], dots)[np.searchsorted(dots, host_end)]
    normal &= (last_dot >= host_start) & (host_end - last_dot > 2)
    normal[inside(lines.positions_of(~_LETTER_BYTES), last_dot + 1, host_end)] = False

    # An optional port, then a path, query or fragment, all without spaces.
    has_port = lines.at(host_end) == ord(":")
    path_starts = lines.positions_of(_PATH_START_BYTES)
    port_end = np.append(path_starts, len(lines.data))[np.searchsorted(path_starts, host_end)]
    port_end = np.where(has_port, np.minimum(port_end, lines.ends), host_end)
    port_digits = port_end - host_end - 1
    normal &= ~has_port | ((port_digits >= 1) & (port_digits <= 5))
    not_digits = lines.positions_of(~byte_table(string.digits))
    normal[inside(not_digits, np.where(has_port, host_end + 1, host_end), port_end)] = False
    normal &= (port_end == lines.ends) | _PATH_START_BYTES[lines.at(port_end)]
    normal[lines.line_of(lines.positions_of(_SPACE_BYTES & ~byte_table("\n")))] = False
    return normal, normal & (https | http)


def parse_url(cells: Cells) -> Parsed:
    """Validate http(s) URLs and bare domains; a bare domain gets https://.

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
    for position in np.flatnonzero(~normal):
        text = texts[position]
        url = _normalized_url(text)
        if url is not None:
            values[position] = url
        elif " " in text:
            suggestion[position] = _normalized_url(text.replace(" ", ""))
    return Parsed(values, np.equal(values, None), suggestion)


def _normalized_url(text: str) -> str | None:
    match = _URL_RE.fullmatch(text)
    if match is None:
        return None
    host_end = match.end("host")
    if match["scheme"] is None:
        return "https://" + text[:host_end].lower() + text[host_end:]
    return text[:host_end].lower() + text[host_end:]
