"""Reading .llv files: every way a file can be unusable becomes one clear message."""

from __future__ import annotations

import os

MAX_SOURCE_BYTES = 4 * 1024 * 1024
"""Largest storyboard llv reads (a 10,000-beat storyboard is under 2 MB)."""


class SourceError(Exception):
    """A file that cannot be read as a storyboard; the message says why in plain words."""


def read_source(path: str) -> str:
    """The text of a .llv file as the parser reads it, or SourceError saying what is wrong with it."""
    return normalise_text(read_text(path))


def read_library(path: str) -> str:
    """The text of an included file: as `read_source`, but only from a regular file. A storyboard from
    elsewhere could name a FIFO (whose read waits for a writer forever) or a device."""
    import stat

    if path == "-":  # read_text's name for stdin: never an include's
        raise SourceError(f"{path}: no such file")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise SourceError(f"{path}: not a regular file")
    return normalise_text(read_text(path))


def read_text(path: str) -> str:
    """The text of a .llv file exactly as stored (a BOM and CR line ends kept), or SourceError."""
    if path == "-":
        import sys

        data = sys.stdin.buffer.read(MAX_SOURCE_BYTES + 1)
        return _decode(data, "<stdin>")
    if not os.path.exists(path):
        raise SourceError(f"{path}: no such file")
    if os.path.isdir(path):
        raise SourceError(f"{path}: is a directory, not a .llv file")
    try:
        size = os.path.getsize(path)
        if size > MAX_SOURCE_BYTES:
            raise SourceError(f"{path}: the file is {size / 1024 / 1024:.1f} MB; llv reads storyboards up to "
                              f"{MAX_SOURCE_BYTES // 1024 // 1024} MB")
        with open(path, "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except PermissionError:
        raise SourceError(f"{path}: permission denied") from None
    except OSError as e:
        raise SourceError(f"{path}: cannot read ({e.strerror or e})") from None
    return _decode(data, path)


def _decode(data: bytes, name: str) -> str:
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"{name}: more than {MAX_SOURCE_BYTES // 1024 // 1024} MB; llv reads storyboards up to that size")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise SourceError(f"{name}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                          f"save the file as UTF-8") from None
    if "\x00" in text:
        raise SourceError(f"{name}: contains NUL bytes; is this a binary file?")
    return text


def normalise_text(text: str) -> str:
    """The text as the parser reads it: no byte-order mark, and `\n` for CRLF and CR line ends."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")
