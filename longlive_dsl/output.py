"""Writing a file whole or not at all: a temporary file beside the target, renamed over it at the end.

Every file llv writes as a result (a compiled program, a take, a preview, a clip, a report, a
picture, a formatted storyboard) goes through here, so that an interrupted or failing write never
leaves half a file, and so that a target that is not a regular file (a device such as /dev/full, a
FIFO, a socket, a folder) is refused instead of being replaced by the rename.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))


def _check_target(path: str) -> str:
    """The real path a result is written to (through symbolic links); OSError when it exists and is
    not a regular file, which a rename would destroy."""
    real = os.path.realpath(path)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return real
    for test, kind in _KINDS:
        if test(mode):
            raise OSError(errno.EEXIST, f"it is {kind}, not a regular file", path)
    return real


@contextlib.contextmanager
def replacing(path: str, suffix: str = ".tmp") -> Iterator[str]:
    """A temporary path beside `path` to write the whole result to; on leaving without an error it
    replaces `path` (keeping an existing file's mode), otherwise it is removed. The link itself is
    kept when `path` is a symbolic link: its target is rewritten."""
    real = _check_target(path)
    tmp = _new_file(os.path.dirname(real), f".{os.path.basename(real)}.", suffix)
    try:
        yield tmp
        with contextlib.suppress(OSError):
            os.chmod(tmp, os.stat(real).st_mode & 0o7777)
        os.replace(tmp, real)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _new_file(folder: str, prefix: str, suffix: str) -> str:
    """Create an empty file of a fresh name in `folder`, with the mode a new file gets (0666 less the umask)."""
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{secrets.token_hex(4)}{suffix}")
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))
        except FileExistsError:
            continue
        return name
    raise FileExistsError(errno.EEXIST, "no free temporary name", folder)


def write_text(path: str, text: str) -> None:
    """Write `text` (UTF-8, `\\n` line ends) to `path` whole or not at all; OSError on failure."""
    with replacing(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
