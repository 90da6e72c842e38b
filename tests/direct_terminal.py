"""`llv direct` in a pseudo-terminal (pexpect), its screen kept by pyte: what the tests type and read."""

from __future__ import annotations

import os
import re
import time

import pexpect
import pyte

ROWS, COLS = 32, 110


class Terminal:
    """`llv direct` in a pseudo-terminal, its screen kept by pyte."""

    def __init__(self, argv: list[str]):
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(ROWS)}
        self.child = pexpect.spawn(argv[0], argv[1:], dimensions=(ROWS, COLS), env=env)
        self.child.delaybeforesend = None  # pexpect sleeps 50 ms before each send unless told not to
        self.log = b""

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.05)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
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

    def type(self, text: str) -> None:
        self.child.send(text)
        self.pump(0.2)

    def finish(self, timeout: float = 30.0) -> int:
        end = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < end:
            self.pump(0.2)
        self.pump(0.2)
        assert not self.child.isalive(), f"llv direct did not exit:\n{self.text()}"
        self.child.close()
        return self.child.exitstatus if self.child.exitstatus is not None else 128 + self.child.signalstatus
