"""Checks and choices for the paths of local source and output files."""

from __future__ import annotations

import logging
import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from bridge.errors import (
    EmptyFileError,
    NotAFileError,
    OutputIsSourceError,
    OutputNotWritableError,
    SourceNotFoundError,
    TextFileSuffixError,
    UnsupportedFileError,
)
from bridge.reasons import FOLDER_MISSING, IS_A_DIRECTORY, NO_WRITE_PERMISSION, Reason, os_reason

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".xlsx", ".csv")
TEXT_SUFFIXES = (".txt", ".tsv")  # delimited text the .csv reader reads once renamed
CHECKED_SUFFIX = ".checked"


class DefaultOutput(NamedTuple):
    """Output path chosen for a source, and whether it had to move to the working directory."""

    path: Path
    in_working_directory: bool


def file_kind(path: Path) -> str:
    """Return "xlsx" or "csv" from the path's extension, or raise UnsupportedFileError."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        raise TextFileSuffixError(path, SUPPORTED_SUFFIXES)
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(path, SUPPORTED_SUFFIXES)
    return suffix.removeprefix(".")


def check_source(path: Path) -> str:
    """Return the kind of a readable, non-empty source file, or raise an InputError."""
    if not path.exists():
        raise SourceNotFoundError(path)
    if path.is_dir():
        raise NotAFileError(path)
    kind = file_kind(path)
    if path.stat().st_size == 0:
        raise EmptyFileError(path)
    return kind


def is_writable_directory(directory: Path) -> bool:
    """Return True when new files can be created in ``directory``.

    A folder without any write permission bit counts as read-only even for
    root, who could write there anyway: such a folder (a shared data set, say)
    was made read-only on purpose.
    """
    if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
        return False
    return bool(directory.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def is_checked_file(path: Path) -> bool:
    """Return True for a file the bridge wrote, named ``<stem>.checked<suffix>``."""
    return path.stem.endswith(CHECKED_SUFFIX)


def check_output(output: Path, source: Path) -> str:
    """Return the kind of ``output`` after checking that the bridge may write it.

    The output may be the source itself only when the source is a ``.checked``
    file. openpyxl drops the parts of a workbook that it does not support
    (shapes, form controls, threaded comments), so the user's original is
    never overwritten.
    """
    if output.is_dir():
        raise OutputNotWritableError(output, Reason(IS_A_DIRECTORY))
    kind = file_kind(output)
    if output.resolve() == source.resolve() and not is_checked_file(source):
        raise OutputIsSourceError(output)
    check_writable_file(output)
    return kind


def check_writable_file(path: Path) -> None:
    """Raise OutputNotWritableError when ``path`` is a folder or its folder cannot take it.

    Commands check their output files before the work, so that a mistyped
    folder stops the run at once instead of after the sheet was written.
    """
    if path.is_dir():
        raise OutputNotWritableError(path, Reason(IS_A_DIRECTORY))
    directory = path.parent
    if not directory.is_dir():
        raise OutputNotWritableError(path, Reason(FOLDER_MISSING, {"directory": str(directory)}))
    if not is_writable_directory(directory):
        raise OutputNotWritableError(
            path, Reason(NO_WRITE_PERMISSION, {"directory": str(directory)})
        )


def write_text_file(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` through a temporary file.

    Raises OutputNotWritableError with the reason when the file cannot be written.
    """

    def write(temporary: Path) -> None:
        temporary.write_text(text, encoding="utf-8")

    replace_atomically(path, write)  # a folder at ``path`` fails with "it is a folder"


def default_output_path(source: Path) -> DefaultOutput:
    """Return ``<stem>.checked<suffix>`` beside ``source``, or in the working directory.

    A source that already is a ``.checked`` file maps to itself, so running the
    bridge on its own output rewrites that file. When the source's directory
    is not writable, the path moves to the current working directory and
    ``in_working_directory`` is True.
    """
    name = (
        source.name if is_checked_file(source) else f"{source.stem}{CHECKED_SUFFIX}{source.suffix}"
    )
    beside = source.with_name(name)
    if is_writable_directory(beside.parent):
        return DefaultOutput(beside, in_working_directory=False)

    fallback = Path.cwd() / name
    logger.info("Cannot write in %s, so the output goes to %s", beside.parent, fallback)
    return DefaultOutput(fallback, in_working_directory=True)


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary file beside ``path``, then move it onto ``path``.

    A failed write leaves any earlier ``path`` as it was. Raises
    OutputNotWritableError when the file cannot be created or replaced.
    """
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as error:
        raise OutputNotWritableError(path, os_reason(error)) from error
    finally:
        temporary.unlink(missing_ok=True)
