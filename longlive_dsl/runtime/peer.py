"""The WebRTC peer: one recvonly `main_video` transceiver and the `data` and `control` channels.

Speaks the v0 framing (JSON text frames): commands and runtime requests on `data`, track verbs on
`control`. Every number the model sends has been through a protobuf `Struct` and arrives as a
float; `parse_message` turns the integer fields of the known messages back into ints and refuses
a non-integral value rather than rounding it.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import model
from . import Failure, RunError
from .trace import Trace

PING_SECONDS = 5.0
"""The runtime drops a client silent for 20 s; ping well inside that."""


class WireError(ValueError):
    """A frame that does not follow the v0 framing, or a number that should be an integer but isn't."""


# ---------------------------------------------------------------------------- framing (pure)


def encode_command(type_: str, data: dict[str, Any]) -> str:
    """A model command as a v0 text frame for the `data` channel."""
    return json.dumps({"scope": "application", "data": {"type": type_, "data": data}}, ensure_ascii=False)


def encode_runtime(type_: str, data: dict[str, Any] | None = None) -> str:
    """A platform request (`ping`, `requestSchema`, ...) as a v0 text frame for the `data` channel."""
    return json.dumps({"scope": "runtime", "data": {"type": type_, "data": data or {}}})


def encode_track_verb(event: str, track: str) -> str:
    """A track verb (`resume_track`, `pause_track`) as a v0 text frame for the `control` channel."""
    return json.dumps({"type": "notification", "event": event, "data": {"name": track}})


@dataclass(frozen=True)
class Message:
    """One decoded frame: scope (`application` or `runtime`), type and data."""

    scope: str
    type: str
    data: dict[str, Any]


# Integer fields of the model's messages (lists: every item is an integer).
INT_FIELDS: dict[str, tuple[str, ...]] = {
    model.STATE: (model.SEED, model.CURRENT_CHUNK, model.CURRENT_FRAME, model.SESSION_CHUNK, model.SCHEDULED_SHOTS, model.SCHEDULED_SCENE_CUTS),
    model.CHUNK_COMPLETE: (model.CHUNK_INDEX, model.SESSION_CHUNK, model.FRAMES_EMITTED),
    model.SHOT_SCHEDULED: (model.AT_SESSION_CHUNK,),
    model.SCENE_CUT_SCHEDULED: (model.AT_SESSION_CHUNK,),
    model.SCENE_CUT_FIRED: (model.AT_SESSION_CHUNK,),
    model.GENERATION_STARTED: (model.FRAME_NUM,),
    model.GENERATION_COMPLETE: (model.TOTAL_CHUNKS,),
}


def as_int(value: Any, where: str) -> int:
    """An integer that crossed the wire as a float (`5.0`) back to `5`; `5.5` is refused."""
    if isinstance(value, bool):
        raise WireError(f"{where}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise WireError(f"{where}: expected an integer, got {value!r}")
        return int(value)
    raise WireError(f"{where}: expected an integer, got {type(value).__name__}")


def ints_back(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """Return `data` with the integer fields of message `type_` parsed back to int (None stays None)."""
    fields = INT_FIELDS.get(type_)
    if not fields:
        return data
    out = dict(data)
    for name in fields:
        if name not in out or out[name] is None:
            continue
        v = out[name]
        if isinstance(v, list):
            out[name] = [as_int(x, f"{type_}.{name}[{i}]") for i, x in enumerate(v)]
        else:
            out[name] = as_int(v, f"{type_}.{name}")
    return out


def parse_message(frame: str | bytes) -> Message:
    """Decode one v0 frame from the model or the runtime."""
    if isinstance(frame, bytes):
        if frame[:1] not in (b"{", b"["):
            raise WireError("binary (v1) frame on a v0 connection")
        frame = frame.decode("utf-8")
    try:
        obj = json.loads(frame)
    except json.JSONDecodeError as e:
        raise WireError(f"not JSON: {e}") from None
    if not isinstance(obj, dict):
        raise WireError("frame is not a JSON object")
    scope = obj.get("scope", "application")
    inner = obj.get("data")
    if not isinstance(inner, dict) or not isinstance(inner.get("type"), str):
        raise WireError("frame has no {type, data} payload")
    data = inner.get("data") or {}
    if not isinstance(data, dict):
        raise WireError(f"{inner['type']}: data is not an object")
    if scope == "application":
        data = ints_back(inner["type"], data)
    return Message(scope=scope, type=inner["type"], data=data)


# ---------------------------------------------------------------------------- the peer


class Peer:
    """An aiortc peer connection to a Reactor runtime, receiving `main_video`."""

    def __init__(
        self,
        trace: Trace,
        on_message: Callable[[Message], None],
        on_frame: Callable[[Any], None],
        on_closed: Callable[[str], None],
        ice_servers: list[dict[str, Any]] | None = None,
    ):
        from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection

        servers = []
        for s in ice_servers or []:
            urls = s.get("uris") or s.get("urls") or []
            cred = s.get("credentials") or {}
            servers.append(RTCIceServer(urls=urls, username=cred.get("username"), credential=cred.get("password")))
        self.trace = trace
        self._on_message = on_message
        self._on_frame = on_frame
        self._on_closed = on_closed
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        self.transceiver = self.pc.addTransceiver("video", direction="recvonly")
        self.data = self.pc.createDataChannel(model.DATA_CHANNEL)
        self.control = self.pc.createDataChannel(model.CONTROL_CHANNEL)
        self._open = asyncio.Event()
        self._connected = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self.closed_reason: str | None = None
        self._wire()

    def _wire(self) -> None:
        for ch in (self.data, self.control):

            def opened(ch: Any = ch) -> None:
                self.trace.write("channel", channel=ch.label, state="open")
                if self.data.readyState == "open" and self.control.readyState == "open":
                    self._open.set()

            def closed(ch: Any = ch) -> None:
                self.trace.write("channel", channel=ch.label, state="closed")
                self._lost(f"the `{ch.label}` channel closed")

            def message(frame: Any, ch: Any = ch) -> None:
                try:
                    msg = parse_message(frame)
                except WireError as e:
                    self.trace.write("recv", channel=ch.label, raw=str(frame)[:2000], error=str(e))
                    return
                self.trace.frame("recv", ch.label, {"scope": msg.scope, "type": msg.type, "data": msg.data})
                self._on_message(msg)

            ch.on("open", opened)
            ch.on("close", closed)
            ch.on("message", message)

        @self.pc.on("connectionstatechange")
        def _state() -> None:
            state = self.pc.connectionState
            self.trace.write("peer", state=state)
            if state == "connected":
                self._connected.set()
            elif state in ("failed", "closed", "disconnected"):
                self._lost(f"the peer connection is {state}")

        @self.pc.on("track")
        def _track(track: Any) -> None:
            self.trace.write("track", track_kind=track.kind)
            self._tasks.append(asyncio.ensure_future(self._pump(track)))

    def _lost(self, reason: str) -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
            self._on_closed(reason)

    async def _pump(self, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                self.trace.write("track", track_kind=track.kind, state="ended")
                self._lost("the video track ended")
                return
            self._on_frame(frame)

    async def offer(self) -> tuple[str, list[dict[str, str]]]:
        """Create the offer (aiortc gathers every candidate first) and its track mapping."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        mid = self.transceiver.mid
        assert mid is not None  # setLocalDescription gave the transceiver its mid
        mapping = [
            {"mid": mid, "name": model.VIDEO_TRACK, "kind": "video", "direction": "recvonly"}
        ]
        return self.pc.localDescription.sdp, mapping

    async def accept(self, sdp_answer: str) -> None:
        """Apply the runtime's answer (its candidates are embedded)."""
        from aiortc import RTCSessionDescription

        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp_answer, "answer"))
        except Exception as e:  # aiortc raises several kinds on a bad answer
            raise RunError(Failure.SERVER, f"the server's SDP answer was refused: {e}") from None

    async def wait_open(self) -> None:
        """Wait until the peer is connected and both channels are open (the caller bounds the wait)."""
        await asyncio.gather(self._connected.wait(), self._open.wait())

    def _send(self, channel: Any, text: str) -> None:
        if channel.readyState != "open":
            raise RunError(Failure.CONNECTION_LOST, f"cannot send: the `{channel.label}` channel is {channel.readyState}")
        channel.send(text)
        self.trace.frame("send", channel.label, json.loads(text))

    def send_command(self, type_: str, data: dict[str, Any]) -> None:
        self._send(self.data, encode_command(type_, data))

    def send_runtime(self, type_: str, data: dict[str, Any] | None = None) -> None:
        self._send(self.data, encode_runtime(type_, data))

    def resume_track(self, name: str = model.VIDEO_TRACK) -> None:
        self._send(self.control, encode_track_verb("resume_track", name))

    def start_pinging(self, interval: float = PING_SECONDS) -> None:
        async def pinger() -> None:
            while True:
                await asyncio.sleep(interval)
                if self.data.readyState != "open":
                    return
                self.send_runtime("ping")

        self._tasks.append(asyncio.ensure_future(pinger()))

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        self.closed_reason = self.closed_reason or "closed by the client"
        try:
            await asyncio.wait_for(self.pc.close(), 5)
        except (TimeoutError, Exception):
            pass
