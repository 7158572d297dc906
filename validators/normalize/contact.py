"""E-mail address, phone number and URL cells.

Each parser first runs a regular expression over all values, which settles
the common forms, and hands only the rest to the slower library call
(email-validator, phonenumbers) once per distinct value.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from itertools import repeat

import numpy as np
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

from validators.normalize.core import Cells, Parsed, nfkc, remove_characters, transform_joined

# --- e-mail ---------------------------------------------------------------

# ASCII characters of a dot-atom local part (RFC 5322 atext, and the dot),
# and of an ASCII domain, as lookup tables indexed by byte.
_LOCAL_CHARACTERS = np.zeros(256, dtype=bool)
_LOCAL_CHARACTERS[list(f"{string.ascii_letters}{string.digits}!#$%&'*+/=?^_`{{|}}~-.".encode())] = (
    True
)
_DOMAIN_CHARACTERS = np.zeros(256, dtype=bool)
_DOMAIN_CHARACTERS[list(f"{string.ascii_letters}{string.digits}-.".encode())] = True
MAX_EMAIL_LENGTH = 254  # longer addresses go to email-validator, which rejects them

# Typing slips that a suggestion may fix, applied in this order.
_EMAIL_FIXES = (
    (re.compile(r"^mailto:", re.IGNORECASE), ""),
    (re.compile(r"^.*<([^<>]+)>$"), r"\1"),  # Name <address>
    (re.compile(r"\s*[(\[]\s*at\s*[)\]]\s*", re.IGNORECASE), "@"),  # user(at)example.com
    (re.compile(r"\s+"), ""),
    (re.compile(r"@+"), "@"),
    (re.compile(r"[,。、]"), "."),
    (re.compile(r"\.{2,}"), "."),
    (re.compile(r"^[.;:]+|[.;:]+$"), ""),
)


def _validated_address(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@lru_cache(maxsize=4096)
def _normalized_domain(domain: str) -> str | None:
    """Return the domain as email-validator normalises it, None if it rejects it."""
    address = _validated_address(f"x@{domain}")
    return None if address is None else address.partition("@")[2]


def _simple_address_lines(texts: list[str]) -> np.ndarray:
    """Return which texts are plain ASCII dot-atom addresses, checked in numpy.

    Such an address has one "@", a local part of atext characters with
    single dots inside, and a domain of letters, digits, hyphens and dots.
    email-validator accepts the local part of all of them as written, so only
    the domain still needs its check.
    """
    count = len(texts)
    joined = "\n".join(texts)
    # Non-ASCII characters become one "?" byte each, so offsets stay aligned.
    data = np.frombuffer(joined.encode("ascii", "replace"), dtype=np.uint8)
    newlines = np.flatnonzero(data == ord("\n"))
    if len(newlines) != count - 1:  # a value contains a line break
        return np.zeros(count, dtype=bool)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(data)]))

    def line_of(positions: np.ndarray) -> np.ndarray:
        return np.searchsorted(starts, positions, side="right") - 1

    ats = np.flatnonzero(data == ord("@"))
    at_lines = line_of(ats)
    at = np.zeros(count, dtype=np.intp)
    at[at_lines] = ats
    simple = (np.bincount(at_lines, minlength=count) == 1) & (at > starts) & (ends > at + 1)
    simple &= ends - starts <= MAX_EMAIL_LENGTH
    if not joined.isascii():
        simple &= np.fromiter(map(str.isascii, texts), bool, count)

    # Rare characters are located first, then assigned to their lines, so
    # the work per character is one table lookup.
    bad = np.flatnonzero(~_LOCAL_CHARACTERS[data])
    lines = line_of(bad)
    simple[lines[bad < at[lines]]] = False
    bad = np.flatnonzero(~_DOMAIN_CHARACTERS[data] & (data != ord("\n")))
    lines = line_of(bad)
    simple[lines[bad > at[lines]]] = False
    dots = np.flatnonzero(data == ord("."))
    doubled = dots[:-1][np.diff(dots) == 1]
    simple[line_of(doubled)] = False
    # The local part neither starts nor ends with a dot.
    simple &= data[np.minimum(starts, len(data) - 1)] != ord(".")
    simple &= data[at - 1] != ord(".")
    return simple


def _join_addresses(local_parts: list[str], domains: list[str]) -> list[str]:
    """Return local@domain for each pair, built with one join instead of one f-string each."""
    parts = [""] * (4 * len(local_parts))
    parts[0::4] = local_parts
    parts[1::4] = repeat("@", len(local_parts))
    parts[2::4] = domains
    parts[3::4] = repeat("\n", len(local_parts))
    return "".join(parts).split("\n")[:-1]


def _email_suggestion(text: str) -> str | None:
    fixed = text
    for pattern, replacement in _EMAIL_FIXES:
        fixed = pattern.sub(replacement, fixed)
    if fixed == text:
        return None
    return _validated_address(fixed)


def parse_email(cells: Cells) -> Parsed:
    """Validate addresses with email-validator (no DNS lookups); output its normalised form.

    Full-width input is NFKC-normalised first. The domain is lower-cased,
    the local part kept as written. Plain ASCII addresses are checked in a
    batch, with email-validator called once per distinct domain.
    """
    texts = nfkc(cells.text.tolist())
    count = len(texts)
    values = np.full(count, None, dtype=object)

    decided = np.zeros(count, dtype=bool)
    simple = np.flatnonzero(_simple_address_lines(texts)) if count else np.array([], np.intp)
    if len(simple):
        decided[simple] = True
        addresses = np.array(texts, dtype=object)[simple]
        # Each has exactly one "@", so splitting the joined batch alternates
        # local part and domain.
        pieces = "@".join(addresses.tolist()).split("@")
        local_parts = np.array(pieces[0::2], dtype=object)
        domains = pieces[1::2]
        normal = {domain: _normalized_domain(domain.lower()) for domain in dict.fromkeys(domains)}
        normal_domains = np.array(list(map(normal.get, domains)), dtype=object)
        unchanged = np.array(domains, dtype=object) == normal_domains
        values[simple[unchanged]] = addresses[unchanged]
        changed = np.flatnonzero(np.not_equal(normal_domains, None) & ~unchanged)
        if len(changed):
            values[simple[changed]] = _join_addresses(
                local_parts[changed].tolist(), normal_domains[changed].tolist()
            )

    for position in np.flatnonzero(~decided):
        values[position] = _validated_address(texts[position])

    invalid = np.equal(values, None)
    suggestion = np.full(count, None, dtype=object)
    for position in np.flatnonzero(invalid):
        suggestion[position] = _email_suggestion(texts[position])
    return Parsed(values, invalid, suggestion)


# --- phone ----------------------------------------------------------------

# Separators people type inside phone numbers, the long vowel mark ー included.
_SEPARATORS = " \t-‐‑‒–—―−ー()."


def _length_lookahead(lengths: tuple[int, ...]) -> str:
    return "(?=(?:" + "|".join(rf"\d{{{length}}}" for length in lengths) + r")\Z)"


def _desc_pattern(desc: object) -> str | None:
    """Translate a phonenumbers PhoneNumberDesc into a regex; None if no number matches it.

    Mirrors phonenumbers' _is_number_matching_desc: the length must be one of
    the possible lengths (when any are listed) and the pattern must match in full.
    """
    pattern = getattr(desc, "national_number_pattern", None)
    if not pattern:
        return None
    lengths = tuple(getattr(desc, "possible_length", ()) or ())
    if -1 in lengths:
        return None
    prefix = _length_lookahead(lengths) if lengths else ""
    return f"{prefix}(?:{pattern})\\Z"


@lru_cache(maxsize=8)
def _valid_national_number_re(region: str) -> re.Pattern[str] | None:
    """Return a regex that matches exactly the national numbers phonenumbers calls valid.

    It mirrors phonenumbers' _number_type_helper (9.0.x): a number is valid
    when it matches the general description and at least one number type.
    """
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    general = _desc_pattern(metadata.general_desc)
    types = [
        _desc_pattern(getattr(metadata, name))
        for name in (
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
    ]
    alternatives = [pattern for pattern in types if pattern is not None]
    if general is None or not alternatives:
        return None
    return re.compile(f"(?={general})(?:" + "|".join(alternatives) + ")")


# Japanese numbers: trunk prefix 0 or country code +81, then a national
# number that _valid_national_number_re accepts. 010 is Japan's
# international call prefix, so it never starts a national number.
_JAPAN_PREFIX = r"(?:0(?!10)|\+81)"
_JAPAN_TRUNK_RE = re.compile(r"0(?!10)[1-9]\d*")


@lru_cache(maxsize=1)
def _valid_japanese_number_re() -> re.Pattern[str] | None:
    national = _valid_national_number_re("JP")
    return None if national is None else re.compile(_JAPAN_PREFIX + f"(?:{national.pattern})")


def _phone_with_library(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def parse_phone(cells: Cells, region: str) -> Parsed:
    """Validate phone numbers with phonenumbers for ``region``; output E.164 (+81312345678).

    For region JP, numbers in the usual forms (03-1234-5678, +81 90 1234 5678,
    （03）1234-5678) are checked in a batch against a regex built from
    phonenumbers' own metadata; everything else goes through phonenumbers.parse.
    """
    texts = nfkc(cells.text.tolist())
    count = len(texts)
    values = np.full(count, None, dtype=object)
    decided = np.zeros(count, dtype=bool)

    japanese = _valid_japanese_number_re() if region.upper() == "JP" else None
    if japanese is not None and count:
        digits = transform_joined(texts, lambda joined: remove_characters(joined, _SEPARATORS))
        matched = np.not_equal(np.array(list(map(japanese.fullmatch, digits)), dtype=object), None)
        numbers = [number for number, ok in zip(digits, matched, strict=True) if ok]
        # E.164: the trunk prefix 0 becomes +81; "+81..." is E.164 already.
        e164 = ("\n" + "\n".join(numbers)).replace("\n0", "\n+81")[1:].split("\n")
        values[matched] = e164 if numbers else []
        # A number with trunk prefix that fails the regex is invalid for
        # phonenumbers too, which strips the 0 the same way.
        decided = matched.copy()
        for position in np.flatnonzero(~matched):
            decided[position] = _JAPAN_TRUNK_RE.fullmatch(digits[position]) is not None

    for position in np.flatnonzero(~decided):
        values[position] = _phone_with_library(texts[position], region)

    suggestion = np.full(count, None, dtype=object)
    for position in np.flatnonzero(np.equal(values, None)):
        text = texts[position]
        # A phone number stored as a number loses its leading 0 (312345678).
        if text.isdigit():
            suggestion[position] = _phone_with_library("0" + text, region)
    return Parsed(values, np.equal(values, None), suggestion)


# --- URL ------------------------------------------------------------------

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


# Already normal URLs: lower-case ASCII scheme and host. They pass as they
# are, or with https:// in front; all others go through _normalized_url.
_NORMAL_URL_RE = re.compile(
    r"(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::\d{1,5})?(?:[/?#]\S*)?"
)


def parse_url(cells: Cells) -> Parsed:
    """Validate http(s) URLs and bare domains; a bare domain gets https://.

    The scheme and host are lower-cased. Other schemes, spaces, user names
    and hosts without a dot (localhost, 未定) are invalid.
    """
    texts = nfkc(cells.text.tolist())
    count = len(texts)
    values = np.full(count, None, dtype=object)
    normal = np.not_equal(np.array(list(map(_NORMAL_URL_RE.fullmatch, texts)), dtype=object), None)
    if normal.any():
        text_array = np.array(texts, dtype=object)
        schemes = ("http://", "https://")
        with_scheme = np.fromiter(map(str.startswith, texts, repeat(schemes)), bool, count)
        values[normal & with_scheme] = text_array[normal & with_scheme]
        values[normal & ~with_scheme] = [
            "https://" + text for text in text_array[normal & ~with_scheme]
        ]

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
