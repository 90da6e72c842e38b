"""Headless Chromium (Debian's ``chromium`` package) driven over the DevTools protocol, for tests.

No browser download and no driver: Chromium is started with ``--remote-debugging-pipe`` and
speaks the Chrome DevTools Protocol (CDP) on two pipes, which Chromium expects as file
descriptors 3 (commands in) and 4 (replies and events out), each message a JSON object ended by
a NUL byte. A pipe needs no port, so the browser can live in a network namespace while the test
drives it from outside.

API::

    from browser import Browser, find_chromium

    with Browser(find_chromium(), profile=tmp_path / "profile", wrap=ns.argv) as browser:
        page = browser.open("http://127.0.0.1:8000/page.html")
        page.wait_for("window.llv && window.llv.ready")
        page.evaluate("llv.connect()")        # awaits a promise, returns its value as JSON
        page.console                           # what the page logged, as text lines

``wrap`` turns an argv into the argv that runs it elsewhere (e.g. ``NetNamespace.argv``).
A JavaScript exception, a rejected promise or a crashed page raises :class:`BrowserError`
carrying the message and the tail of the page's console.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    # a hidden headless page must not have its timers or video callbacks throttled
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    # WebRTC host candidates with real addresses, not mDNS names a server cannot resolve
    "--disable-features=WebRtcHideLocalIpsWithMdns",
)


class BrowserError(RuntimeError):
    """The browser or the page failed (the message says how, with the console's tail)."""


def find_chromium() -> str | None:
    """The path of Debian's Chromium (or another Chromium on PATH), or None."""
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _above_nine(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Browser:
    """One headless Chromium process and its DevTools pipe."""

    def __init__(self, executable: str, *, profile: Path, wrap: Callable[[list[str]], list[str]] | None = None,
                 flags: Sequence[str] = FLAGS, log: Path | None = None) -> None:
        self.executable = executable
        self.profile = Path(profile)
        self.wrap = wrap or (lambda argv: argv)
        self.flags = list(flags)
        self.log_path = log or self.profile.with_name(self.profile.name + ".log")
        self._ids = itertools.count(1)
        self._replies: dict[int, dict] = {}
        self._events: list[dict] = []
        self._cond = threading.Condition()
        self._closed = False
        self._proc: subprocess.Popen | None = None
        self._to_browser: int | None = None
        self._reader: threading.Thread | None = None

    # ------------------------------------------------------------------ process

    def start(self) -> Browser:
        self.profile.mkdir(parents=True, exist_ok=True)
        cmd_read, cmd_write = os.pipe()
        out_read, out_write = os.pipe()
        # The child's ends move above 9 first, so that putting them on 3 and 4 clobbers neither.
        cmd_read, out_write = _above_nine(cmd_read), _above_nine(out_write)
        argv = [self.executable, *self.flags, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
                "about:blank"]
        # bash puts the pipe ends on the descriptors Chromium reads (3) and writes (4), then execs it.
        shim = ["bash", "-c", f'exec "$@" 3<&{cmd_read} 4>&{out_write} {cmd_read}<&- {out_write}>&-', "chromium"]
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self.wrap([*shim, *argv]), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=(cmd_read, out_write), start_new_session=True,
            )
        os.close(cmd_read)
        os.close(out_write)
        self._to_browser = cmd_write
        self._reader = threading.Thread(target=self._read, args=(out_read,), daemon=True, name="cdp-reader")
        self._reader.start()
        try:
            self.send("Browser.getVersion", timeout=30)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Ask the browser to close, then make sure its process is gone."""
        if self._proc is None:
            return
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, 9)
            self._proc.wait()
        if self._to_browser is not None:
            with contextlib.suppress(OSError):
                os.close(self._to_browser)
            self._to_browser = None
        if self._reader is not None:
            self._reader.join(5)
        self._proc = None

    def __enter__(self) -> Browser:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    # ------------------------------------------------------------------ protocol

    def _read(self, fd: int) -> None:
        buffer = b""
        with open(fd, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(1 << 16)
                if not chunk:
                    break
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                with self._cond:
                    for raw in messages:
                        message = json.loads(raw)
                        if "id" in message:
                            self._replies[message["id"]] = message
                        else:
                            self._events.append(message)
                    self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def send(self, method: str, params: dict | None = None, *, session: str | None = None,
             timeout: float = 30.0) -> dict:
        """Send one command and wait for its result (BrowserError on a protocol error)."""
        if self._to_browser is None:
            raise BrowserError("the browser is not running")
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while ident not in self._replies:
                left = deadline - time.monotonic()
                if self._closed:
                    raise BrowserError(f"the browser exited during {method}\n{self.log_tail()}")
                if left <= 0:
                    raise BrowserError(f"{method}: no reply after {timeout:.0f} s")
                self._cond.wait(left)
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def events(self, session: str | None = None) -> list[dict]:
        with self._cond:
            return [e for e in self._events if session is None or e.get("sessionId") == session]

    def open(self, url: str) -> Page:
        """A new tab, attached, with its console recorded, navigated to ``url``."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self.send("Runtime.enable", session=session)
        self.send("Page.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        return page


def _remote_value(obj: dict) -> str:
    if "value" in obj:
        return obj["value"] if isinstance(obj["value"], str) else json.dumps(obj["value"])
    return obj.get("description") or obj.get("type", "?")


class Page:
    """One attached tab."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    @property
    def console(self) -> list[str]:
        """The page's console output and uncaught exceptions so far, one line each."""
        lines = []
        for event in self.browser.events(self.session):
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                lines.append(f"{params.get('type')}: " + " ".join(_remote_value(a) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                lines.append("uncaught: " + _remote_value(details.get("exception", {})) if details.get("exception")
                             else "uncaught: " + details.get("text", "?"))
            elif method == "Inspector.targetCrashed":
                lines.append("the page crashed")
        return lines

    def _failure(self, what: str) -> BrowserError:
        tail = "\n".join(self.console[-40:])
        return BrowserError(f"{what}\n--- page console (tail) ---\n{tail}")

    def evaluate(self, expression: str, timeout: float = 30.0) -> Any:
        """Evaluate ``expression`` in the page, await it if it is a promise, return it as JSON."""
        result = self.browser.send("Runtime.evaluate", {
            "expression": expression, "awaitPromise": True, "returnByValue": True,
            "timeout": int(timeout * 1000),
        }, session=self.session, timeout=timeout + 5)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = _remote_value(details["exception"]) if details.get("exception") else details.get("text")
            raise self._failure(f"{expression[:80]!r} failed in the page: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Poll ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(f"Boolean({expression})", timeout=5)
            if value:
                return value
            if time.monotonic() > deadline:
                raise self._failure(f"{expression!r} still false after {timeout:.0f} s")
            time.sleep(0.05)
