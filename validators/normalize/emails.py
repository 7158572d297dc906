"""E-mail address cells, validated with email-validator.

Plain ASCII addresses, the usual case, are checked in a batch with numpy,
and email-validator runs once per distinct domain. Everything else goes
through email-validator once per distinct value.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

import numpy as np
from email_validator import EmailNotValidError, validate_email

from validators.normalize.core import (
    ByteLines,
    Cells,
    Parsed,
    apply_distinct,
    byte_classes,
    byte_table,
    nfkc,
)

# ASCII characters of a dot-atom local part (RFC 5322 atext, and the dot),
# and of an ASCII domain, as lookup tables indexed by byte.
_LOCAL_CHARACTERS = byte_table(f"{string.ascii_letters}{string.digits}!#$%&'*+/=?^_`{{|}}~-.")
_DOMAIN_CHARACTERS = byte_table(f"{string.ascii_letters}{string.digits}-.")
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


_NOT_LOCAL, _NOT_DOMAIN, _AT, _DOT, _UPPER = 1, 2, 4, 8, 16
_EMAIL_CLASSES = byte_classes(
    ~_LOCAL_CHARACTERS,
    ~_DOMAIN_CHARACTERS & ~byte_table("\n"),
    byte_table("@"),
    byte_table("."),
    byte_table(string.ascii_uppercase),
)


def _simple_addresses(texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """Find plain ASCII dot-atom addresses in numpy, and return texts with lower-cased domains.

    Such an address has one "@", a local part of atext characters with
    single dots inside, and a domain of letters, digits, hyphens and dots.
    email-validator accepts the local part of all of them as written, so only
    the domain still needs its check. The returned texts are only meaningful
    where the mask is True.
    """
    lines = ByteLines(texts, _EMAIL_CLASSES)
    if not lines.usable:
        return np.zeros(len(texts), dtype=bool), texts
    starts, ends = lines.starts, lines.ends

    ats, at_lines = lines.find(_AT)
    at = np.zeros(len(texts), dtype=np.intp)
    at[at_lines] = ats
    simple = (np.bincount(at_lines, minlength=len(texts)) == 1) & lines.ascii
    simple &= (at > starts) & (ends > at + 1) & (ends - starts <= MAX_EMAIL_LENGTH)

    bad, owner = lines.find(_NOT_LOCAL)
    simple[owner[bad < at[owner]]] = False
    bad, owner = lines.find(_NOT_DOMAIN)
    simple[owner[bad > at[owner]]] = False
    dots, owner = lines.find(_DOT)
    simple[owner[:-1][np.diff(dots) == 1]] = False  # ".."
    # The local part neither starts nor ends with a dot.
    simple &= (lines.byte_at(starts) != ord(".")) & (lines.byte_at(at - 1) != ord("."))

    upper, owner = lines.find(_UPPER)
    upper = upper[upper > at[owner]]
    if not len(upper):
        return simple, texts
    data = lines.data.copy()
    data[upper] += ord("a") - ord("A")
    return simple, data.tobytes().decode("ascii").split("\n")


def _email_suggestion(text: str) -> str | None:
    fixed = text
    for pattern, replacement in _EMAIL_FIXES:
        fixed = pattern.sub(replacement, fixed)
    if fixed == text:
        return None
    return _validated_address(fixed)


def parse_email(cells: Cells) -> Parsed:
    """Validate addresses with email-validator, without DNS lookups, and output the normalised address.

    Full-width input is NFKC-normalised first. The domain is lower-cased,
    the local part kept as written. Plain ASCII addresses are checked in a
    batch, with email-validator called once per distinct domain.
    """
    texts = nfkc(cells.text.tolist())
    count = len(texts)
    values = np.full(count, None, dtype=object)

    decided = np.zeros(count, dtype=bool)
    if count:
        simple_mask, lowered = _simple_addresses(texts)
        simple = np.flatnonzero(simple_mask)
    else:
        simple, lowered = np.array([], dtype=np.intp), []
    if len(simple):
        addresses = np.array(lowered, dtype=object)[simple]
        # Each has exactly one "@", so splitting the joined batch alternates
        # local part and domain.
        domains = "@".join(addresses.tolist()).split("@")[1::2]
        good_domains, bad_domains = set(), set()
        for domain in dict.fromkeys(domains):
            normal = _normalized_domain(domain)
            if normal == domain:
                good_domains.add(domain)
            elif normal is None:
                bad_domains.add(domain)
        # A domain that email-validator changes beyond lower case (none known)
        # leaves its addresses undecided, for the full check below.
        good = np.fromiter(map(good_domains.__contains__, domains), bool, len(domains))
        bad = np.fromiter(map(bad_domains.__contains__, domains), bool, len(domains))
        values[simple[good]] = addresses[good]
        decided[simple[good | bad]] = True

    undecided = np.flatnonzero(~decided)
    values[undecided] = apply_distinct(_validated_address, texts, undecided)

    invalid = np.equal(values, None)
    suggestion = np.full(count, None, dtype=object)
    misses = np.flatnonzero(invalid)
    suggestion[misses] = apply_distinct(_email_suggestion, texts, misses)
    return Parsed(values, invalid, suggestion)
