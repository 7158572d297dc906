"""E-mail address, phone number and URL cells.

Each parser first runs a regular expression over all values, which settles
the common forms, and hands only the rest to the slower library call
(email-validator, phonenumbers) once per distinct value.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

from validators.normalize.core import Cells, Parsed, nfkc, transform_joined

# --- e-mail ---------------------------------------------------------------

# Plain ASCII dot-atom addresses. email-validator accepts all of them, and
# leaves the local part as written, so the fast path only has to lower-case
# the domain, after checking that domain with email-validator once.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_SIMPLE_EMAIL_RE = re.compile(rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+{_LABEL})")
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
    the local part kept as written.
    """
    texts = nfkc(cells.text.tolist())
    values = np.full(len(texts), None, dtype=object)
    for position, text in enumerate(texts):
        match = _SIMPLE_EMAIL_RE.fullmatch(text)
        if match is None or len(text) > MAX_EMAIL_LENGTH:
            continue
        local, domain = match.groups()
        normal_domain = _normalized_domain(domain.lower())
        if normal_domain is not None:
            values[position] = f"{local}@{normal_domain}"

    suggestion = np.full(len(texts), None, dtype=object)
    for position in np.flatnonzero(np.equal(values, None)):
        text = texts[position]
        address = _validated_address(text)
        if address is not None:
            values[position] = address
        else:
            suggestion[position] = _email_suggestion(text)
    return Parsed(values, np.equal(values, None), suggestion)


# --- phone ----------------------------------------------------------------

# Separators people type inside phone numbers, the long vowel mark ー included.
_PHONE_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—―−ー().]")


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


# Japanese numbers in national form: trunk prefix 0, then the national number.
# 010 is Japan's international call prefix, so it never starts a national number.
_JAPAN_NATIONAL_RE = re.compile(r"0(?!10)([1-9]\d*)")
_JAPAN_INTERNATIONAL_RE = re.compile(r"\+81([1-9]\d*)")


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
    （03）1234-5678) are checked against phonenumbers' own metadata patterns
    in a batch; everything else goes through phonenumbers.parse.
    """
    texts = nfkc(cells.text.tolist())
    values = np.full(len(texts), None, dtype=object)
    decided = np.zeros(len(texts), dtype=bool)

    valid_national = _valid_national_number_re("JP") if region.upper() == "JP" else None
    if valid_national is not None:
        digits = transform_joined(texts, lambda joined: _PHONE_SEPARATORS_RE.sub("", joined))
        for position, number in enumerate(digits):
            match = _JAPAN_NATIONAL_RE.fullmatch(number) or _JAPAN_INTERNATIONAL_RE.fullmatch(
                number
            )
            if match is None:
                continue
            national = match[1]
            if valid_national.fullmatch(national):
                values[position] = "+81" + national
                decided[position] = True
            elif number[0] == "0":
                # The trunk-prefix form always parses to this national
                # number, so phonenumbers would reject it too.
                decided[position] = True

    for position in np.flatnonzero(~decided):
        values[position] = _phone_with_library(texts[position], region)

    suggestion = np.full(len(texts), None, dtype=object)
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


def parse_url(cells: Cells) -> Parsed:
    """Validate http(s) URLs and bare domains; a bare domain gets https://.

    The scheme and host are lower-cased. Other schemes, spaces, user names
    and hosts without a dot (localhost, 未定) are invalid.
    """
    texts = nfkc(cells.text.tolist())
    values = np.full(len(texts), None, dtype=object)
    suggestion = np.full(len(texts), None, dtype=object)
    for position, text in enumerate(texts):
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
