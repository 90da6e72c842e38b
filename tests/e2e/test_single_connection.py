"""`llv serve` accepts the single-connection WebRTC signalling published SDKs still send.

``@reactor-team/js-sdk`` 2.9.0 offers on ``POST /sessions/{id}/transport/webrtc/sdp_params`` (one
connection per session), polls the answer on the same path, opens one data channel (``data``)
and never sends ``resume_track``. The simulator maps that onto the runtime's per-connection
negotiation as connection 1001 (``longlive_dsl/sim/compat.py``). These tests check the routes over
plain HTTP and play a short run with a hand-written aiortc client that behaves like that SDK; the
SDK itself, in Chromium, is tests/e2e/test_js_sdk.py.

Run as a script (``python test_single_connection.py BASE_URL``) it is that client: it prints one
JSON object with what it saw.
"""

from __future__ import annotations

import sys
from pathlib import Path

FPS, FPC, TIME_SCALE = 24, 6, 2.0
SIZE = (320, 192)
CHUNKS = 3
OPENER = "a red fox trots through fresh snow at dawn"
WEBRTC = {"Reactor-WebRTC-Version": "1.0"}


# --------------------------------------------------------------------------- the client (script)


async def client_main(url: str) -> dict:
    import asyncio

    import httpx
    from aiortc import RTCPeerConnection, RTCSessionDescription

    from longlive_dsl import model
    from longlive_dsl.runtime.peer import encode_command, encode_runtime, parse_message
    from longlive_dsl.sim.frames import read_stamp

    messages: list[dict] = []
    stamps: list[list[int] | None] = []
    opened = asyncio.Event()
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        sid = (await http.post("/start_session", json={})).json()["session_id"]
        base = f"/sessions/{sid}/transport/webrtc"
        ice = (await http.get(f"{base}/ice_servers", headers=WEBRTC)).json()["ice_servers"]
        pc = RTCPeerConnection()
        transceiver = pc.addTransceiver("video", direction="recvonly")
        data = pc.createDataChannel(model.DATA_CHANNEL)  # the only channel, as in SDK 2.9.0
        data.on("open", opened.set)
        data.on("message", lambda frame: messages.append(_as_dict(parse_message(frame))))

        async def pump(track) -> None:
            while True:
                try:
                    frame = await track.recv()
                except Exception:
                    return
                stamp = read_stamp(frame.to_ndarray(format="rgb24"))
                stamps.append(None if stamp is None else [stamp.session_chunk, stamp.frame_in_chunk])

        pc.on("track", lambda track: asyncio.ensure_future(pump(track)))
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"sdp_offer": pc.localDescription.sdp, "ice_servers": ice,
                 "client_info": {"sdk_version": "2.9.0", "sdk_type": "js"},
                 "track_mapping": [{"mid": transceiver.mid, "name": model.VIDEO_TRACK, "kind": "video",
                                    "direction": "recvonly"}]}
        posted = await http.post(f"{base}/sdp_params", json=offer, headers=WEBRTC)
        polls = []
        for _ in range(50):
            answer = await http.get(f"{base}/sdp_params", headers=WEBRTC)
            polls.append(answer.status_code)
            if answer.status_code != 202:
                break
            await asyncio.sleep(0.1)
        await pc.setRemoteDescription(RTCSessionDescription(answer.json()["sdp_answer"], "answer"))
        await asyncio.wait_for(opened.wait(), 20)
        data.send(encode_command(model.SET_SHOT, {"prompt": OPENER}))
        data.send(encode_command(model.START, {}))
        data.send(encode_runtime("ping"))
        for _ in range(400):
            done = [m for m in messages if m["type"] == model.CHUNK_COMPLETE and m["data"]["session_chunk"] >= CHUNKS - 1]
            if done:
                break
            await asyncio.sleep(0.025)
        await asyncio.sleep(0.3)
        await pc.close()
        await http.post("/stop_session", json={})
    return {"posted": [posted.status_code, posted.json()], "polls": polls, "answer_keys": sorted(answer.json()),
            "messages": messages, "stamps": stamps}


def _as_dict(message) -> dict:
    return {"scope": message.scope, "type": message.type, "data": message.data}


if __name__ == "__main__":
    import asyncio
    import json

    print(json.dumps(asyncio.run(client_main(sys.argv[1]))))
    sys.exit(0)


# --------------------------------------------------------------------------- the tests

import pytest  # noqa: E402

from longlive_dsl.sim.server import Simulator, http_json, running_simulator  # noqa: E402

pytestmark = pytest.mark.usefixtures("require_runtime")


def test_the_single_connection_path_stands_for_connection_1001():
    from longlive_dsl.sim.compat import per_connection_path

    assert per_connection_path("/sessions/abc/transport/webrtc/sdp_params") == (
        "/sessions/abc/transport/webrtc/connections/1001/sdp_params")
    assert per_connection_path("/sessions/abc/transport/webrtc/connections/5001/sdp_params") is None
    assert per_connection_path("/sessions/abc/transport/webrtc/ice_servers") is None
    assert per_connection_path("/sessions/a/b/transport/webrtc/sdp_params") is None


def test_the_single_connection_routes_answer_like_the_runtime():
    with running_simulator(port=0) as url:
        sid = http_json("POST", url + "/start_session", {})[1]["session_id"]
        base = f"{url}/sessions/{sid}/transport/webrtc/sdp_params"
        status, _, _ = http_json("GET", base, headers=WEBRTC)
        assert status == 202  # no answer yet: poll again
        status, body, _ = http_json("POST", base, {"track_mapping": []}, headers=WEBRTC)
        assert status == 422 and "sdp_offer" in str(body)  # the runtime's own validation
        status, body, _ = http_json("PUT", base, {"track_mapping": []}, headers=WEBRTC)
        assert status == 422 and "sdp_offer" in str(body)  # a reconnect's re-offer takes the same route
        status, body, _ = http_json("POST", f"{url}/sessions/nope/transport/webrtc/sdp_params",
                                    {"sdp_offer": "v=0"}, headers=WEBRTC)
        assert status == 404, body


def test_a_single_channel_client_gets_messages_and_video_without_resume_track(netns, tmp_path):
    import aiortc  # noqa: F401
    sim = Simulator(0, fps=FPS, frames_per_chunk=FPC, size=SIZE, time_scale=TIME_SCALE, netns=netns.name,
                    log=tmp_path / "sim.log")
    with sim:
        result = netns.run_json(__file__, sim.base_url)
    assert result["posted"] == [202, {"connection_id": 1001}]
    assert result["polls"][-1] == 200 and "sdp_answer" in result["answer_keys"]
    kinds = [m["type"] for m in result["messages"] if m["scope"] == "application"]
    assert kinds[0] == "state"  # the wire counted as open with the data channel alone
    assert "shot_set" in kinds and "generation_started" in kinds
    chunks = [m["data"]["session_chunk"] for m in result["messages"] if m["type"] == "chunk_complete"]
    assert chunks[:CHUNKS] == list(range(CHUNKS))
    stamped = [tuple(s) for s in result["stamps"] if s is not None]
    assert len(stamped) >= 0.75 * CHUNKS * FPC, f"{len(stamped)} stamped frames"  # video flowed unasked
    assert stamped == sorted(stamped)


if Path(__file__).name != "test_single_connection.py":  # pragma: no cover
    raise ImportError("keep this file's name: it runs itself as the client script")
