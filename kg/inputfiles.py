"""Reading a file a user names (a changeset, a query, a data set): bounded, and refused cleanly.

Every reader of a user's file goes through here, so that a folder, a device or pipe, an
unreadable or oversized file, bytes that are not UTF-8 and NUL bytes are each refused with one
InputFileError naming the file (and the line, for text), before any parser sees the content.
The size bound is the max_file_bytes setting (CHIPGRAPH_MAX_FILE_BYTES).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kg.settings import Settings


class InputFileError(ValueError):
    """Raised when a user's file cannot be read; the message names the file and, for text, the line."""


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The content of the regular file ``path``, at most ``limit`` bytes (default: the max_file_bytes setting).

    Never blocks on a pipe and never reads past the limit. Raises InputFileError for a missing,
    unreadable or oversized file, and for a folder, device or pipe.
    """
    limit = Settings().max_file_bytes if limit is None else limit
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise InputFileError(f"{path}: cannot read it: {error.strerror}") from error
    try:
        _check_regular(path, os.fstat(descriptor), limit)
        with open(descriptor, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise InputFileError(f"{path}: cannot read it: {error.strerror}") from error
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise InputFileError(f"{path}: larger than the limit of {limit} bytes (CHIPGRAPH_MAX_FILE_BYTES)")
    return data


def _check_regular(path: Path, info: os.stat_result, limit: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"{path}: is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(f"{path}: not a regular file (a device, pipe or socket)")
    if info.st_size > limit:
        raise InputFileError(
            f"{path}: {info.st_size} bytes, larger than the limit of {limit} bytes (CHIPGRAPH_MAX_FILE_BYTES)"
        )


def decode_text(data: bytes, where: str) -> str:
    """The UTF-8 text of ``data``, a leading byte-order mark dropped.

    Raises InputFileError naming ``where`` and the line of the first byte that is not UTF-8, or of
    the first NUL (a sign of a binary file).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise InputFileError(f"{where}: line {line}: not UTF-8 text (byte 0x{byte:02x})") from error
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise InputFileError(f"{where}: line {line}: a NUL byte: binary data, not text")
    return text


def read_text(path: Path, limit: int | None = None) -> str:
    """The UTF-8 text of the file ``path``; raises InputFileError as read_bytes and decode_text do."""
    return decode_text(read_bytes(path, limit), str(path))
