"""The single-connection WebRTC signalling that published SDKs still send, served by ``llv serve``.

reactor-runtime 3.10.0 (and the JavaScript SDK's current source) negotiate **per connection**:
``POST …/transport/webrtc/connections`` mints a connection id, then the offer and the answer go
through ``…/connections/{cid}/sdp_params``, and the client opens two data channels, ``data`` and
``control``, and asks for each output track with ``resume_track`` on ``control``.

The JavaScript SDK published on npm as ``@reactor-team/js-sdk`` 2.9.0 speaks the older,
**single-connection** form, one connection per session:

- ``POST /sessions/{sid}/transport/webrtc/sdp_params`` ``{sdp_offer, client_info,
  track_mapping}`` → 202 (``PUT`` for a reconnect's re-offer), the offer holding every ICE
  candidate (no trickle);
- ``GET /sessions/{sid}/transport/webrtc/sdp_params`` → 202 while pending, 200 ``{sdp_answer}``;
- ``GET …/ice_servers`` as today;
- one data channel, ``data`` (pings, commands and messages), no ``control`` channel, and never a
  ``resume_track``: the tracks flow as soon as the peer connects.

The runtime keeps connection id 1001 for such callers (``OFFERED_CONN_ID_MIN``). This module maps
the old form onto it:

- :class:`SingleConnectionRoutes`, an ASGI wrapper, rewrites the three single-connection routes to
  ``…/connections/1001/sdp_params`` before the runtime routes them (the runtime then checks the
  session, the body and the version header exactly as for any connection);
- :func:`peer_factory` negotiates connection 1001 with a :class:`SingleChannelPeer`: the wire
  counts as open once the peer connection and the ``data`` channel are (a ``control`` channel is
  used if the client opens one anyway), frames meant for ``control`` go on ``data``, and the output
  tracks start unpaused. Every other connection gets the runtime's own peer, unchanged.

:class:`SingleChannelPeer` overrides two hooks of the runtime's ``WebRTCPeer``
(``_negotiate`` and ``_set_channel_open``); they are internal, which is one more reason
reactor-runtime is pinned to an exact version (tests/e2e/test_js_sdk.py drives this path with the
published SDK in Chromium).
"""

from __future__ import annotations

import re
from typing import Any

from reactor_runtime.core import ConnId, TrackDirection
from reactor_runtime.log import get_logger
from reactor_runtime.protocol import Channel, ProtocolVersion
from reactor_runtime.transport.router import OFFERED_CONN_ID_MIN
from reactor_runtime.transport.webrtc.config import WebRtcConfig
from reactor_runtime.transport.webrtc.peer import WebRTCPeer, libwebrtc_peer_factory
from reactor_runtime.transport.webrtc.signaling import SdpAnswer, SdpOffer, TrackMap

logger = get_logger(__name__)

SINGLE_CONNECTION_ID = OFFERED_CONN_ID_MIN
"""The connection id the runtime keeps for single-connection callers (1001)."""

_SINGLE_SDP_PARAMS = re.compile(r"^(/sessions/[^/]+/transport/webrtc)/sdp_params$")
_METHODS = ("GET", "POST", "PUT")


def per_connection_path(path: str) -> str | None:
    """The per-connection route a single-connection ``sdp_params`` path stands for, else None."""
    match = _SINGLE_SDP_PARAMS.match(path)
    if match is None:
        return None
    return f"{match.group(1)}/connections/{SINGLE_CONNECTION_ID}/sdp_params"


class SingleConnectionRoutes:
    """ASGI wrapper: serves ``…/transport/webrtc/sdp_params`` as ``…/connections/1001/sdp_params``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("method") in _METHODS:
            path = per_connection_path(scope.get("path", ""))
            if path is not None:
                if scope["method"] != "GET":
                    logger.info(f"single-connection offer, negotiated as connection {SINGLE_CONNECTION_ID}",
                                method=scope["method"])
                scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)


class SingleChannelPeer(WebRTCPeer):
    """A connection negotiated the single-connection way: one data channel, tracks sent at once."""

    async def _negotiate(self, sdp_offer: str) -> str:
        answer = await super()._negotiate(sdp_offer)
        # The runtime pauses every output track until the client sends `resume_track` on the
        # control channel; a single-connection client has no such channel and expects video as
        # soon as it connects. (The pause the runtime just scheduled finds nothing paused.)
        for info in self._track_by_mid.values():
            if info.direction is TrackDirection.OUT:
                self.resume_track(info.name)
        return answer

    def _set_channel_open(self, channel: Channel, is_open: bool) -> None:
        if channel is Channel.DATA and self._control_channel is None:
            with self._ready_lock:
                self._control_open = is_open  # `data` carries everything: it stands for both
        super()._set_channel_open(channel, is_open)

    def send_control(self, payload: bytes | str) -> None:
        """Send a control frame on ``control`` when the client opened one, else on ``data``."""
        if self._control_channel is None:
            self.send_message(payload)
        else:
            super().send_control(payload)


async def peer_factory(
    conn_id: ConnId,
    offer: SdpOffer,
    tracks: TrackMap,
    config: WebRtcConfig,
    version: ProtocolVersion,
) -> tuple[WebRTCPeer, SdpAnswer]:
    """The runtime's peer factory, with :class:`SingleChannelPeer` for the single connection."""
    if conn_id != SINGLE_CONNECTION_ID:
        return await libwebrtc_peer_factory(conn_id, offer, tracks, config, version)
    peer = SingleChannelPeer()
    # What libwebrtc_peer_factory does for its own peer (reactor-runtime 3.10.0).
    peer.protocol_version = version
    peer._config = config
    peer._track_map = tracks
    peer._track_by_mid = {mapped.mid: mapped.info for mapped in tracks.tracks}
    answer_sdp = await peer._negotiate(offer.sdp)
    return peer, SdpAnswer(sdp=answer_sdp)
