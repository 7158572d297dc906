"""Reasons a file cannot be read or written, kept as a message id with its fields.

An error keeps its reason in this form so that the reason is translated when
the message is shown, like the error's own template. Otherwise an English
text such as the operating system's "Permission denied" would appear inside
a Japanese sentence.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any

from bridge.i18n import N_, gettext


@dataclass(frozen=True)
class Reason:
    template: str  # English message id, whose {fields} come from ``params``
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template.format(**self.params)

    def text(self, lang: str) -> str:
        return gettext(lang, self.template, **self.params)


IS_A_DIRECTORY = N_("it is a folder")
FOLDER_MISSING = N_("the folder {directory} does not exist")
NO_WRITE_PERMISSION = N_("no permission to write in {directory}")
NOT_A_WORKBOOK = N_("it is not a valid .xlsx workbook")
NOT_YAML_TEXT = N_(
    "it is not a UTF-8 text file. A design file is YAML text; to read the design from a tab "
    "of a workbook, give --design-tab NAME instead"
)
OTHER = "{detail}"  # a reason without a translation, shown in the system's own words

_OS_REASONS = {
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("permission denied"),
    errno.ENOENT: N_("no such file or folder"),
    errno.EISDIR: IS_A_DIRECTORY,
    errno.ENOTDIR: N_("a part of the path is not a folder"),
    errno.EROFS: N_("the disk is read-only"),
    errno.ENOSPC: N_("the disk is full"),
    errno.EBUSY: N_("another program is using the file"),
}


def os_reason(error: OSError) -> Reason:
    """Return the reason of an operating-system error, with a translation for the common ones."""
    template = _OS_REASONS.get(error.errno) if error.errno is not None else None
    if template is not None:
        return Reason(template)
    return Reason(OTHER, {"detail": error.strerror or str(error)})


def reason_of(reason: Reason | str) -> Reason:
    return reason if isinstance(reason, Reason) else Reason(OTHER, {"detail": reason})
