"""`llv direct` in a pseudo-terminal, its screen kept by pyte: what the tests type and read.

The child is started by `subprocess` (whose fork runs no Python before exec, unlike `pty.fork`,
which is unsafe in the test process's many threads) through util-linux `setsid --ctty`, which makes
the pseudo-terminal the child's controlling terminal, as a terminal emulator does.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time

import pyte

ROWS, COLS = 32, 110


class Terminal:
    """`llv direct` in a pseudo-terminal, its screen kept by pyte."""

    def __init__(self, argv: list[str]):
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(ROWS)}
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        try:
            self.proc = subprocess.Popen(["setsid", "--ctty", *argv], stdin=slave, stdout=slave, stderr=slave,
                                         env=env, close_fds=True)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.fd: int | None = master
        self.log = b""

    def pump(self, seconds: float) -> None:
        """Read what the child writes for `seconds` (less once it has exited and all is read)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and self.fd is not None:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError as e:
                if e.errno != errno.EIO:  # EIO: every copy of the terminal's other side is closed
                    raise
                data = b""
            if not data:
                return
            self.log += data
            self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(pattern, self.text())
            if m:
                return m
            self.pump(0.1)
        raise AssertionError(f"{pattern!r} never appeared on the screen:\n{self.text()}")

    def session_chunk(self) -> int:
        return int(self.wait_for(r"session chunk (\d+)").group(1))

    def send(self, text: str) -> None:
        """Type `text` (keys, control characters) without reading the screen."""
        assert self.fd is not None, "the terminal is closed"
        os.write(self.fd, text.encode("utf-8"))

    def type(self, text: str) -> None:
        self.send(text)
        self.pump(0.2)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        if self.alive():
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """End the child at once (a test that failed midway) and close the terminal."""
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)
        self._close()

    def finish(self, timeout: float = 30.0) -> int:
        """Wait for the child to exit; its exit code (128 + N for signal N)."""
        end = time.monotonic() + timeout
        while self.alive() and time.monotonic() < end:
            self.pump(0.2)
        self.pump(0.2)
        assert not self.alive(), f"llv direct did not exit:\n{self.text()}"
        self._close()
        code = self.proc.returncode
        return code if code >= 0 else 128 - code

    def _close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
