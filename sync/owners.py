"""Map the owner column's values (emails or names) to HubSpot owner ids.

``hubspot_owner_id`` takes an owner id; a name sent there is rejected or,
worse, stored as nothing. A sheet value matches an owner by, in order: the
owner id itself, the login email (without case), then the full name in
Western order ("firstName lastName") or Japanese order ("lastName
firstName"). Names are compared after NFKC (full-width to half-width) with
every space removed, including U+3000, so "佐藤　花子" matches 佐藤 / 花子.
A name two owners share matches neither, because sending one of them would
be a guess.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")


def fold_name(text: str) -> str:
    """Return ``text`` in NFKC, without spaces and case: "Sato　Hanako" -> "satohanako"."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


class OwnerDirectory:
    """The portal's owners, looked up by id, email or name."""

    def __init__(self, owners: Iterable[Mapping[str, Any]]) -> None:
        self.ids: set[str] = set()
        self.by_email: dict[str, str] = {}
        by_name: dict[str, set[str]] = {}
        for owner in owners:
            owner_id = str(owner.get("id") or "").strip()
            if not owner_id:
                continue
            self.ids.add(owner_id)
            email = str(owner.get("email") or "").strip()
            if email:
                self.by_email[email.casefold()] = owner_id
            first = str(owner.get("firstName") or "")
            last = str(owner.get("lastName") or "")
            for name in (first + last, last + first):
                folded = fold_name(name)
                if folded:
                    by_name.setdefault(folded, set()).add(owner_id)
        self.by_name = {name: ids.pop() for name, ids in by_name.items() if len(ids) == 1}
        self.ambiguous = {name for name, ids in by_name.items() if len(ids) > 1}

    def owner_id(self, value: Any) -> str | None:
        """Return the owner id that ``value`` names, or None when it names no single owner."""
        text = str(value).strip()
        if not text:
            return None
        if text in self.ids:
            return text
        email = self.by_email.get(text.casefold())
        if email is not None:
            return email
        return self.by_name.get(fold_name(text))
