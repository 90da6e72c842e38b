"""A small HTTP/1.1 server (plain asyncio) that answers each signalling step as a test tells it to.

Unlike a well-behaved framework, it can send anything: non-JSON with a 200, a body that dribbles
one byte every few seconds, a gigabyte of filler, headers and then nothing, a closed socket.
Every other step gets a plausible answer, so the client reaches the step under test::

    server = HostileServer(local_steps(answer=Reply(200, b"null")), netns=ns.name)
    with server:
        url = server.url            # http://127.0.0.1:<port>, inside the namespace
        ...                         # run `llv run --server url` inside the namespace
        server.calls()              # [("POST", "/start_session"), ...]

The server runs on its own thread, which lives inside network namespace `netns` (when given), so
it is reachable only from there, and so is the ICE candidate of an SDP answer it makes with aiortc.
Steps are named as in the protocol: start, stop (local); tokens, sessions, polling, delete,
ice_servers (cloud); connections, offer, answer (both); schema.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

SID = "hostile-1"
CID = 7
RTC = rf"/sessions/{SID}/transport/webrtc"


@dataclass
class Reply:
    """How to answer one request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    dribble: float | None = None  # seconds between the body's bytes
    filler: int | None = None  # send this many bytes of filler as the body (streamed, never held)
    hang: bool = False  # read the request, then never answer
    drop: bool = False  # close the connection without answering
    endless_headers: bool = False  # a status line, then header lines for ever


def js(value: Any, status: int = 200, **headers: str) -> Reply:
    """A JSON answer."""
    return Reply(status, json.dumps(value).encode(), {"Content-Type": "application/json", **headers})


Handler = Callable[[str, str, bytes], "Reply | Awaitable[Reply]"]

_STEPS = {
    "start": ("POST", r"/start_session"),
    "stop": ("POST", r"/stop_session"),
    "schema": ("GET", r"/schema"),
    "tokens": ("POST", r"/tokens"),
    "sessions": ("POST", r"/sessions"),
    "polling": ("GET", rf"/sessions/{SID}"),
    "delete": ("DELETE", rf"/sessions/{SID}"),
    "ice_servers": ("GET", rf"{RTC}/ice_servers"),
    "connections": ("POST", rf"{RTC}/connections"),
    "offer": ("POST", rf"{RTC}/connections/[^/]+/sdp_params"),
    "answer": ("GET", rf"{RTC}/connections/[^/]+/sdp_params"),
}

READY = {"session_id": SID, "state": "ACTIVE", "capabilities": {"tracks": []},
         "selected_transport": {"protocol": "webrtc", "version": "1.0"}}


def local_steps(**over: Reply | Handler) -> dict[str, Reply | Handler]:
    """A runtime's answers at every step, with the steps named in `over` replaced."""
    steps: dict[str, Reply | Handler] = {
        "start": js({"session_id": SID, "state": "waiting"}),
        "stop": js({"ok": True}),
        "schema": js({"paths": {}}),
        "connections": js({"connection_id": CID, "track_map": {}}, 201),
        "offer": js({"connection_id": CID}, 202),
        "answer": Reply(202),
    }
    steps.update(over)
    return steps


def cloud_steps(**over: Reply | Handler) -> dict[str, Reply | Handler]:
    """The cloud coordinator's answers at every step, with the steps named in `over` replaced."""
    steps: dict[str, Reply | Handler] = {
        "tokens": js({"jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJob3N0aWxlIn0.c2ln", "expires_at": 4_000_000_000}),
        "sessions": js({"session_id": SID, "state": "PENDING"}, 201),
        "polling": js(READY),
        "delete": js({"session_id": SID, "state": "CLOSED"}),
        "ice_servers": js({"ice_servers": []}),
        "connections": js({"connection_id": CID, "track_map": {}}, 201),
        "offer": js({"connection_id": CID}, 202),
        "answer": Reply(202),
    }
    steps.update(over)
    return steps


class HostileServer:
    """The server; use as a context manager (or start()/stop())."""

    def __init__(self, steps: dict[str, Reply | Handler], netns: str | None = None):
        unknown = set(steps) - set(_STEPS)
        if unknown:
            raise ValueError(f"unknown steps: {sorted(unknown)}")
        self.steps = steps
        self.netns = netns
        self.requests: list[tuple[str, str, bytes]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="hostile-server", daemon=True)
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls(self) -> list[tuple[str, str]]:
        """(method, step) of every request so far, in order."""
        return [(m, self._step(m, p) or p) for m, p, _ in self.requests]

    def _step(self, method: str, path: str) -> str | None:
        for name, (m, pattern) in _STEPS.items():
            if m == method and re.fullmatch(pattern, path):
                return name
        return None

    # -- the thread ------------------------------------------------------------------------

    def _main(self) -> None:
        try:
            if self.netns:  # this thread lives in the namespace for good
                fd = os.open(f"/var/run/netns/{self.netns}", os.O_RDONLY)
                try:
                    os.setns(fd, os.CLONE_NEWNET)
                finally:
                    os.close(fd)
            asyncio.run(self._serve())
        except BaseException as e:  # pragma: no cover - reported by start()
            self._error = e
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        server = await asyncio.start_server(self._connection, sock=sock)
        self._ready.set()
        async with server:
            await self._stopped.wait()
            server.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, OSError):
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                path = target.split("?", 1)[0]
                self.requests.append((method, path, body))
                reply = await self._reply(method, path, body)
                await self._send(writer, reply)
            finally:
                writer.close()

    async def _reply(self, method: str, path: str, body: bytes) -> Reply:
        step = self._step(method, path)
        answer = self.steps.get(step) if step else None
        if answer is None:
            return js({"detail": "not found"}, 404)
        if callable(answer):
            got = answer(method, path, body)
            answer = await got if asyncio.iscoroutine(got) else got
        return answer  # type: ignore[return-value]

    async def _send(self, writer: asyncio.StreamWriter, reply: Reply) -> None:
        if reply.drop:
            return
        if reply.endless_headers:
            writer.write(b"HTTP/1.1 200 OK\r\n")
            line = b"X-Hostile: " + b"y" * 1000 + b"\r\n"
            assert self._stopped is not None
            while not self._stopped.is_set():
                writer.write(line * 64)
                await writer.drain()
            return
        if reply.hang:
            assert self._stopped is not None
            await self._stopped.wait()
            return
        length = reply.filler if reply.filler is not None else len(reply.body)
        head = [f"HTTP/1.1 {reply.status} Hostile", f"Content-Length: {length}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in reply.headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        if reply.filler is not None:
            chunk = b"x" * 65536
            left = reply.filler
            while left > 0:
                writer.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
                await writer.drain()
        elif reply.dribble is not None:
            for i in range(len(reply.body)):
                writer.write(reply.body[i : i + 1])
                await writer.drain()
                await asyncio.sleep(reply.dribble)
        else:
            writer.write(reply.body)
            await writer.drain()

    # -- control ---------------------------------------------------------------------------

    def start(self) -> str:
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise RuntimeError(f"the hostile server did not start: {self._error!r}")
        return self.url

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)

    def __enter__(self) -> HostileServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def dead_end_answer(method: str, path: str, offer: bytes) -> Reply:
    """A real SDP answer (made with aiortc) from a peer closed at once: ICE can never complete."""
    from aiortc import RTCPeerConnection, RTCSessionDescription

    sdp = json.loads(offer)["sdp_offer"]
    pc = RTCPeerConnection()
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return js({"sdp_answer": pc.localDescription.sdp, "connection_id": CID})
    finally:
        await pc.close()


class AnswerAfterOffer:
    """The `offer` and `answer` steps together: keeps the offer, answers with `make(offer)` once asked."""

    def __init__(self, make: Callable[[str, str, bytes], Awaitable[Reply]]):
        self.make = make
        self.offer: bytes | None = None

    def take_offer(self, method: str, path: str, body: bytes) -> Reply:
        self.offer = body
        return js({"connection_id": CID}, 202)

    async def give_answer(self, method: str, path: str, body: bytes) -> Reply:
        if self.offer is None:
            return Reply(202)
        return await self.make(method, path, self.offer)
