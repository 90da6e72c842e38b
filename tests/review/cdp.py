"""Headless Chromium for the report tests: tests/browser.py's driver, and what these tests add to it.

    with Chromium(profile_dir) as browser:
        page = browser.open("file:///.../report.html")     # waits for the load event
        page.evaluate("document.title")
        page.click_element("#planned-3")
        png = page.screenshot()
        page.errors                                        # console errors and uncaught exceptions
"""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for `import browser`

import browser  # noqa: E402
from browser import FLAGS, Browser, BrowserError, find_chromium  # noqa: E402

__all__ = ["BrowserError", "Chromium", "Page", "find_chromium"]


class Chromium:
    """One headless browser with a fixed viewport; `open` gives a :class:`Page`."""

    def __init__(self, profile: str, width: int = 1280, height: int = 1000) -> None:
        executable = find_chromium()
        if executable is None:
            raise FileNotFoundError("chromium is not installed")
        self.width, self.height = width, height
        self.browser = Browser(executable, profile=Path(profile),
                               flags=[*FLAGS, "--hide-scrollbars", f"--window-size={width},{height}"])

    def __enter__(self) -> Chromium:
        self.browser.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.browser.close()

    def open(self, url: str, timeout: float = 30) -> Page:
        """A new tab showing `url`, after its load event."""
        send = self.browser.send
        target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self.browser, session)
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            send(domain, session=session)
        send("Emulation.setDeviceMetricsOverride",
             {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        loads = page.count("Page.loadEventFired")
        send("Page.navigate", {"url": url}, session=session)
        deadline = time.monotonic() + timeout
        while page.count("Page.loadEventFired") == loads:
            if time.monotonic() > deadline:
                raise BrowserError(f"{url}: no load event in {timeout} s")
            time.sleep(0.02)
        return page


class Page(browser.Page):
    """One tab: browser.Page's evaluate and wait_for, and real clicks, screenshots and the page's errors."""

    def count(self, method: str) -> int:
        return sum(1 for e in self.browser.events(self.session) if e.get("method") == method)

    @property
    def errors(self) -> list[str]:
        """Console errors, failed assertions, uncaught exceptions and error log entries (a failed load) so far."""
        found = []
        for event in self.browser.events(self.session):
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(details.get("exception", {}).get("description") or details.get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append(params["entry"].get("text", "error"))
        return found

    def settle(self, seconds: float) -> None:
        """Let `seconds` pass (the browser's events are collected meanwhile)."""
        time.sleep(seconds)

    def wait_until(self, expression: str, timeout: float = 20) -> None:
        """Poll a JavaScript expression until it is truthy."""
        self.wait_for(expression, timeout)

    def click_element(self, selector: str) -> tuple[float, float]:
        """A real mouse click (pressed, released) at the middle of the element; the point clicked."""
        x, y = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
            " const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.browser.send("Input.dispatchMouseEvent",
                              {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}, session=self.session)
        return x, y

    def screenshot(self) -> bytes:
        """A PNG of the whole page."""
        data = self.browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                                 session=self.session)["data"]
        return base64.b64decode(data)
