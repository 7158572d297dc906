"""E-mail address cells, validated with email-validator.

Plain ASCII addresses, the usual case, are checked in a batch with numpy,
and email-validator runs once per distinct domain. Everything else goes
through email-validator once per distinct value.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from itertools import repeat

import numpy as np
from email_validator import EmailNotValidError, validate_email

from validators.normalize.core import ByteLines, Cells, Parsed, byte_table, nfkc

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


def _simple_address_lines(texts: list[str]) -> np.ndarray:
    """Return which texts are plain ASCII dot-atom addresses, checked in numpy.

    Such an address has one "@", a local part of atext characters with
    single dots inside, and a domain of letters, digits, hyphens and dots.
    email-validator accepts the local part of all of them as written, so only
    the domain still needs its check.
    """
    lines = ByteLines(texts)
    if not lines.usable:
        return np.zeros(len(texts), dtype=bool)
    starts, ends = lines.starts, lines.ends

    ats = lines.positions_of(byte_table("@"))
    at_lines = lines.line_of(ats)
    at = np.zeros(len(texts), dtype=np.intp)
    at[at_lines] = ats
    simple = (np.bincount(at_lines, minlength=len(texts)) == 1) & lines.ascii
    simple &= (at > starts) & (ends > at + 1) & (ends - starts <= MAX_EMAIL_LENGTH)

    # Rare characters are located first, then assigned to their lines, so
    # the work per character is one table lookup.
    bad = lines.positions_of(~_LOCAL_CHARACTERS)
    owner = lines.line_of(bad)
    simple[owner[bad < at[owner]]] = False
    bad = lines.positions_of(~_DOMAIN_CHARACTERS & ~byte_table("\n"))
    owner = lines.line_of(bad)
    simple[owner[bad > at[owner]]] = False
    dots = lines.positions_of(byte_table("."))
    simple[lines.line_of(dots[:-1][np.diff(dots) == 1])] = False  # ".."
    # The local part neither starts nor ends with a dot.
    simple &= (lines.at(starts) != ord(".")) & (lines.at(at - 1) != ord("."))
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
