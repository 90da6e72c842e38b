"""The monitor: a page on 127.0.0.1 showing the take's picture live beside its plan.

A run hands the monitor each decoded video frame (`Monitor.frame`, from the thread that already
decodes it for the recorder) and each event the terminal display gets (the `Listener` calls
`status`, `info`, `progress`, `problem`, or `Monitor.event`). Nothing the monitor does can hold
the run up: `frame` only appends the frame to a short queue (the oldest pushed out when full) and
returns; a separate thread encodes each queued frame to JPEG once, for every viewer, and only while
someone watches; the server (Starlette on uvicorn) runs on its own thread and event loop, and
gives each tab a `fanout.Mailbox` that keeps only the newest frames and state, so a slow or stalled
tab loses frames for itself alone.

Each tab holds one HTTP stream, `GET /live`: records of `kind (1 byte) · length (4 bytes, big
endian) · payload`. Kind `S`: the run's state as JSON. Kind `F`: a frame, `header length (2
bytes) · JSON header · JPEG`, the header saying the frame's number, size, and when it was received
and encoded (ms since the epoch), so the page can show (and the benchmark measure) its latency.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import sys
import threading
import time
from collections import deque
from fractions import Fraction
from importlib import resources
from typing import Any

from .. import model
from ..program import Program
from ..timeline import Timeline
from .fanout import FRAME, STATE, Fanout
from .view import RunState, plan_view

HOST = "127.0.0.1"
ASSETS = {"index.html": "text/html; charset=utf-8", "monitor.js": "text/javascript; charset=utf-8",
          "monitor.css": "text/css; charset=utf-8"}
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
                               "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
}
START_TIMEOUT = 10.0
"""Seconds the server may take to start."""
CLOSE_GRACE = 1
"""Seconds the tabs get to read the final state before their connections are cut."""
ENCODE_QUEUE = 4
"""Frames waiting for the JPEG encoder at most (WebRTC delivers frames in pairs and threes); older ones are dropped."""
JPEG_QUALITY = 4
"""The MJPEG encoder's fixed quantiser (2 best .. 31 worst)."""


def record(kind: bytes, payload: bytes) -> bytes:
    """One record of the live stream: kind, length, payload."""
    return kind + struct.pack(">I", len(payload)) + payload


def frame_record(jpeg: bytes, header: dict[str, Any]) -> bytes:
    """The `F` record of one JPEG frame with its JSON header."""
    head = json.dumps(header, separators=(",", ":")).encode()
    return record(b"F", struct.pack(">H", len(head)) + head + jpeg)


def state_record(state: dict[str, Any]) -> bytes:
    """The `S` record of a state snapshot."""
    return record(b"S", json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode())


class JpegEncoder:
    """Decoded video frames (`av.VideoFrame`) to JPEG with FFmpeg's MJPEG encoder, one context per frame size."""

    def __init__(self, quality: int = JPEG_QUALITY) -> None:
        self.quality = quality
        self._ctx: Any = None
        self._size: tuple[int, int] | None = None
        self._n = 0

    def _open(self, width: int, height: int) -> None:
        import av

        ctx = av.CodecContext.create("mjpeg", "w")
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = "yuvj420p"
        ctx.time_base = Fraction(1, model.FPS)
        ctx.options = {"qmin": str(self.quality), "qmax": str(self.quality)}
        ctx.open()
        self._ctx, self._size = ctx, (width, height)

    def encode(self, frame: Any) -> bytes:
        """One frame as a JPEG file's bytes."""
        width, height = frame.width - frame.width % 2, frame.height - frame.height % 2
        if self._size != (width, height):
            self._open(width, height)
        picture = frame.reformat(width=width, height=height, format="yuvj420p")
        picture.time_base = self._ctx.time_base  # the frame's own (WebRTC's 1/90000) would be rescaled
        picture.pts = self._n
        self._n += 1
        return b"".join(bytes(p) for p in self._ctx.encode(picture))


class Monitor:
    """The live page of one run; `start()` it, feed it frames and events from any thread, `close()` it."""

    def __init__(self, program: Program, timeline: Timeline | None = None, diagnostics: list[Any] | None = None,
                 *, port: int = 0) -> None:
        self.plan = plan_view(program, timeline, diagnostics)
        self.port = port
        self.url = ""
        self.frames_in = 0
        self.frames_encoded = 0
        self.encode_errors = 0
        self.last_encode_error: str | None = None
        self._state = RunState(program)
        self._fanout = Fanout()
        self._lock = threading.Lock()
        self._pending: deque[tuple[Any, float, int]] = deque(maxlen=ENCODE_QUEUE)
        self.frames_skipped = 0
        """Frames pushed out of the encoder's queue before it got to them (the machine was too busy)."""
        self.frames_unwatched = 0
        """Frames given while no tab watched (never encoded)."""
        self._wake = threading.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._encoder: threading.Thread | None = None
        self._streams: set[asyncio.Task[Any]] = set()
        self._assets = {name: (resources.files(__package__) / "static" / name).read_bytes() for name in ASSETS}

    # -- the run's side ------------------------------------------------------------------------

    @property
    def viewers(self) -> int:
        """How many tabs are watching now."""
        return len(self._fanout.viewers)

    def frame(self, frame: Any) -> None:
        """A decoded frame arrived (`av.VideoFrame`); never blocks: it joins the encoder's short queue, or is dropped."""
        self.frames_in += 1
        if self._stopping or not self._fanout.viewers:
            self.frames_unwatched += 1
            return
        with self._lock:
            if len(self._pending) == ENCODE_QUEUE:
                self.frames_skipped += 1
            self._pending.append((frame, time.time(), self.frames_in))
        self._wake.set()

    def event(self, kind: str, /, **data: Any) -> None:
        """A run event: `status` (status, detail), `progress` (progress), `info` (text), `problem` (text), `end`.

        Any other kind (a live beat sent by `llv direct`, say) is shown among the notes as `kind: data`.
        """
        with self._lock:
            if kind == "status":
                self._state.on_status(str(data.get("status", "")), str(data.get("detail", "")))
            elif kind == "progress":
                self._state.on_progress(data["progress"])
            elif kind == "info":
                self._state.on_note(str(data.get("text", "")))
            elif kind == "problem":
                self._state.on_problem(str(data.get("text", "")))
            elif kind == "end":
                self._state.on_end()
            else:
                details = ", ".join(f"{k}={v}" for k, v in data.items())
                self._state.on_note(f"{kind}: {details}" if details else kind)
        self._call(self._publish_state)

    # The Listener protocol (runtime/session.py), so the monitor can listen beside the terminal display.
    def status(self, status: Any, detail: str) -> None:
        """Listener: the connection state."""
        self.event("status", status=getattr(status, "value", status), detail=detail)

    def info(self, text: str) -> None:
        """Listener: a note."""
        self.event("info", text=text)

    def progress(self, progress: Any) -> None:
        """Listener: a chunk completed."""
        self.event("progress", progress=progress)

    def problem(self, text: str) -> None:
        """Listener: a problem (a refused command)."""
        self.event("problem", text=text)

    def snapshot(self) -> dict[str, Any]:
        """The state the page shows now."""
        with self._lock:
            return self._state.snapshot()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Serve on 127.0.0.1 (a free port unless one was given); returns the page's URL."""
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((HOST, self.port))
            sock.listen(64)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}/"
        config = uvicorn.Config(self._app(), log_config=None, log_level="warning", access_log=False, lifespan="off",
                                http="h11", ws="none", loop="asyncio", timeout_graceful_shutdown=CLOSE_GRACE)
        self._server = uvicorn.Server(config)
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            ready.set()
            try:
                loop.run_until_complete(self._server.serve(sockets=[sock]))
            finally:
                loop.close()
                sock.close()

        self._thread = threading.Thread(target=serve, name="llv-monitor", daemon=True)
        self._thread.start()
        ready.wait(START_TIMEOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            self.close()
            raise OSError(f"the monitor could not start on {self.url}")
        self._encoder = threading.Thread(target=self._encode_loop, name="llv-monitor-encoder", daemon=True)
        self._encoder.start()
        self._call(self._publish_state)
        return self.url

    def close(self) -> None:
        """Send the final state to every tab, end their streams, stop the server (bounded; never raises)."""
        if self._stopping:
            return
        with self._lock:
            self._state.on_end()
        self._stopping = True
        self._wake.set()
        if self._encoder is not None:
            self._encoder.join(5)
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._finish(), loop).result(CLOSE_GRACE + 5)
        except Exception:  # the loop is gone or the tabs would not go: the server is stopped regardless
            pass
        if self._server is not None:
            self._server.should_exit = True
        thread.join(CLOSE_GRACE + 5)

    async def _finish(self) -> None:
        self._publish_state()
        self._fanout.close()
        deadline = time.monotonic() + CLOSE_GRACE
        while self._streams and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        # A tab that stopped reading still holds its stream: cut every connection so the server can stop.
        for connection in list(self._server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()

    def __enter__(self) -> Monitor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the monitor's own threads ---------------------------------------------------------------

    def _call(self, callback: Any, *args: Any) -> None:
        """Run `callback` on the server's loop (from any thread); dropped once the loop is gone."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            pass

    def _publish_state(self) -> None:
        with self._lock:
            snapshot = self._state.snapshot()
        snapshot["monitor"] = self.counts()
        self._fanout.publish(STATE, state_record(snapshot))

    def counts(self) -> dict[str, Any]:
        """Frames the monitor was given, encoded, skipped (its encoder fell behind), and dropped for slow tabs."""
        return {"frames_in": self.frames_in, "frames_encoded": self.frames_encoded,
                "frames_skipped": self.frames_skipped, "frames_unwatched": self.frames_unwatched, "encode_errors": self.encode_errors, "last_encode_error": self.last_encode_error,
                "viewers": len(self._fanout.viewers), "dropped_for_viewers": self._fanout.dropped}

    def _encode_loop(self) -> None:
        """Encode each waiting frame to JPEG, once for all tabs, until the monitor closes."""
        encoder = JpegEncoder()
        while True:
            self._wake.wait()
            with self._lock:
                pending = self._pending.popleft() if self._pending else None
                if not self._pending:
                    self._wake.clear()
            if self._stopping:
                return
            if pending is None:
                continue
            frame, received, number = pending
            try:
                jpeg = encoder.encode(frame)
            except Exception as e:  # a frame FFmpeg cannot take: skipped for the page, never the run's problem
                self.encode_errors += 1
                self.last_encode_error = f"{type(e).__name__}: {e}"
                continue
            self.frames_encoded += 1
            header = {"n": number, "w": frame.width, "h": frame.height, "received": received * 1000,
                      "encoded": time.time() * 1000}
            self._call(self._fanout.publish, FRAME, frame_record(jpeg, header))

    # -- the web side ------------------------------------------------------------------------------

    def _app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.middleware.trustedhost import TrustedHostMiddleware
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        def asset(name: str) -> Any:
            async def serve(request: Request) -> Response:
                return Response(self._assets[name], media_type=ASSETS[name], headers=SECURITY_HEADERS)
            return serve

        async def plan(request: Request) -> Response:
            body = json.dumps(self.plan, ensure_ascii=False).encode()
            return Response(body, media_type="application/json", headers=SECURITY_HEADERS)

        async def state(request: Request) -> Response:
            body = json.dumps(self.snapshot(), ensure_ascii=False).encode()
            return Response(body, media_type="application/json", headers=SECURITY_HEADERS)

        routes = [
            Route("/", asset("index.html")),
            Route("/monitor.js", asset("monitor.js")),
            Route("/monitor.css", asset("monitor.css")),
            Route("/plan", plan),
            Route("/state", state),
            Route("/live", _LiveStream(self)),
        ]
        # Only requests addressed to this machine by name or loopback address (no DNS rebinding).
        hosts = [HOST, "localhost"]
        return Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])


class _LiveStream:
    """`GET /live`: one tab's stream of state and frame records, fed from its mailbox."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        fanout = self.monitor._fanout
        box = fanout.subscribe()
        task = asyncio.current_task()
        if task is not None:
            self.monitor._streams.add(task)

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            fanout.unsubscribe(box)

        watcher = asyncio.ensure_future(watch())
        try:
            headers = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/octet-stream"), *headers]})
            while (item := await box.next()) is not None:
                await send({"type": "http.response.body", "body": item[1], "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the tab went away mid-write
            pass
        finally:
            watcher.cancel()
            fanout.unsubscribe(box)
            if task is not None:
                self.monitor._streams.discard(task)


# -- wiring into `llv run` ---------------------------------------------------------------------------


class Tee:
    """A Listener passing every call to the terminal display and to the monitor; `close` closes the display."""

    def __init__(self, display: Any, monitor: Any) -> None:
        self.display, self.monitor = display, monitor

    def status(self, status: Any, detail: str) -> None:
        self.display.status(status, detail)
        self.monitor.status(status, detail)

    def info(self, text: str) -> None:
        self.display.info(text)
        self.monitor.info(text)

    def progress(self, progress: Any) -> None:
        self.display.progress(progress)
        self.monitor.progress(progress)

    def problem(self, text: str) -> None:
        self.display.problem(text)
        self.monitor.problem(text)

    def close(self) -> None:
        self.display.close()


def plan_of(program: Program) -> tuple[Timeline | None, list[Any]]:
    """The Timeline (and diagnostics) of the storyboard a Program was compiled from, when its file can be read."""
    from ..analysis import analyse
    from ..source import SourceError, read_source

    if not program.source.endswith(".llv") or not os.path.isfile(program.source):
        return None, []
    try:
        analysis = analyse(read_source(program.source), program.source, program.clock.name
                           if program.clock.name in model.CLOCKS else None)
    except (SourceError, ValueError):
        return None, []
    return analysis.timeline, list(analysis.diagnostics)


def graphical_session() -> bool:
    """Whether a browser opened now would show on a screen (not a text browser taking over the terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> None:
    """Open `url` in the user's browser, on a thread of its own (a slow browser launch never holds the run)."""
    import webbrowser

    threading.Thread(target=webbrowser.open, args=(url,), name="llv-monitor-open", daemon=True).start()


def start_for_run(program: Program, display: Any, *, open_page: bool = True) -> Monitor:
    """The monitor of an `llv run`, started, its URL told to the display (and opened in a browser)."""
    timeline, diagnostics = plan_of(program)
    monitor = Monitor(program, timeline, diagnostics)
    url = monitor.start()
    opened = open_page and graphical_session()
    display.info(f"monitor: {url}" + (" (opening it in your browser)" if opened else ""))
    if opened:
        open_in_browser(url)
    return monitor
