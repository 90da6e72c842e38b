"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a pipe.

`--remote-debugging-pipe` makes Chromium read protocol messages on its fd 3 and write them on
fd 4, each a JSON object ended by a NUL byte: no port, no WebSocket library.

    with Chromium(profile_dir) as browser:
        page = browser.open("file:///.../report.html")     # waits for the load event
        page.evaluate("document.title")
        page.click_element("#planned-3")
        png = page.screenshot()
        page.errors                                        # console errors and uncaught exceptions
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from typing import Any


def chromium_path() -> str | None:
    """Debian's chromium (or another Chromium-family browser on PATH)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class ProtocolError(Exception):
    """The browser answered a command with an error, or did not answer in time."""


class Chromium:
    """One headless browser process and its DevTools pipe."""

    def __init__(self, profile: str, width: int = 1280, height: int = 1000) -> None:
        self.profile, self.width, self.height = profile, width, height
        self._ids = itertools.count(1)
        self._answers: dict[int, queue.Queue] = {}
        self._events: queue.Queue = queue.Queue()
        self._lock = threading.Lock()

    def __enter__(self) -> Chromium:
        browser = chromium_path()
        if browser is None:
            raise FileNotFoundError("chromium is not installed")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:  # in the child: our pipe ends become its fd 3 (read) and fd 4 (write)
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
             "--disable-background-networking", "--disable-component-update", "--disable-quic",
             "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars", "--mute-audio",
             f"--window-size={self.width},{self.height}", f"--user-data-dir={self.profile}",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (ProtocolError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                data = os.read(self._from_child, 1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            buffer += data
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        box = self._answers.get(message["id"])
                    if box is not None:
                        box.put(message)
                else:
                    self._events.put(message)
        os.close(self._from_child)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        """Send one command and wait for its result."""
        n = next(self._ids)
        box: queue.Queue = queue.Queue()
        with self._lock:
            self._answers[n] = box
        message: dict[str, Any] = {"id": n, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        try:
            answer = box.get(timeout=timeout)
        except queue.Empty:
            raise ProtocolError(f"{method}: no answer in {timeout} s") from None
        finally:
            with self._lock:
                self._answers.pop(n, None)
        if "error" in answer:
            raise ProtocolError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def open(self, url: str, timeout: float = 30) -> Page:
        """A new tab showing `url`, after its load event."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.send(domain, session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
                  session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        page.wait_for("Page.loadEventFired", timeout)
        return page


class Page:
    """One tab: evaluate script, click, take screenshots; collects console errors as they come."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser, self.session = browser, session
        self.errors: list[str] = []
        self._seen: list[dict] = []

    def _pump(self, timeout: float) -> dict | None:
        try:
            event = self.browser._events.get(timeout=timeout)
        except queue.Empty:
            return None
        if event.get("sessionId") == self.session:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                self.errors.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                self.errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                self.errors.append(params["entry"].get("text", "error"))
            self._seen.append(event)
        return event

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        """Wait for the next event named `method` on this tab."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self._pump(max(0.01, deadline - time.monotonic()))
            if event is not None and event.get("sessionId") == self.session and event.get("method") == method:
                return event
        raise ProtocolError(f"no {method} in {timeout} s")

    def settle(self, seconds: float) -> None:
        """Let `seconds` pass while collecting the tab's events."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._pump(max(0.01, deadline - time.monotonic()))

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        """The value of a JavaScript expression (promises awaited)."""
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                        "returnByValue": True}, self.session, timeout)
        self.settle(0)
        if "exceptionDetails" in result:
            raise ProtocolError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_until(self, expression: str, timeout: float = 20) -> Any:
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise ProtocolError(f"{expression!r} still false after {timeout} s")
            self.settle(0.05)

    def click_element(self, selector: str) -> tuple[float, float]:
        """A real mouse click (pressed, released) at the middle of the element; the point clicked."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
            " const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.browser.send("Input.dispatchMouseEvent",
                              {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}, self.session)
        return x, y

    def screenshot(self) -> bytes:
        """A PNG of the whole page."""
        data = self.browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                                 self.session)["data"]
        return base64.b64decode(data)
