"""End to end: the official reactor-sdk client drives the served simulator inside a network namespace.

The test starts the simulator (reactor-runtime + LongLiveSim) inside a private namespace, then runs
this very file as a script inside the same namespace: the script connects with ``reactor_sdk``
(local mode, the binary v1 framing), sends a hand-written storyboard, records every message and
the stamp of every frame it receives, and prints one JSON object. The test checks the messages
came in the planned order and that the frames prove which beat played on which chunk, at the
configured rate.

Run as a script: ``python test_serve_sdk.py BASE_URL CLOUD_KEY_OR_-`` (the storyboard run) or
``python test_serve_sdk.py BASE_URL controls`` (the run-control script).
"""

from __future__ import annotations

import sys
from pathlib import Path

FPC = 6  # frames per chunk
BUDGET = 4  # chunks per scene
FPS, TIME_SCALE = 24, 2.0
SIZE = (320, 192)
OPENER = "a red fox trots through fresh snow at dawn"
SHOT = "the fox stops and looks back at the camera"
CUT = "a lighthouse on a cliff in a violent storm at night"
SHOT_AT, CUT_AT = 2, BUDGET  # the cut lands exactly where scene 0 would have completed
TOTAL = 2 * BUDGET

STORYBOARD = [
    ("set_seed", {"seed": 42}),
    ("set_shot", {"prompt": OPENER}),
    ("schedule_shot", {"prompt": SHOT, "at_session_chunk": SHOT_AT}),
    ("schedule_scene_cut", {"prompt": CUT, "at_session_chunk": CUT_AT}),
    ("start", {}),
]


def expected_prompt(session_chunk: int) -> str:
    return OPENER if session_chunk < SHOT_AT else SHOT if session_chunk < CUT_AT else CUT


def expected_stamp(session_chunk: int, frame: int) -> tuple[int, int, int, int]:
    scene = 0 if session_chunk < CUT_AT else 1
    return (session_chunk, session_chunk - (CUT_AT if scene else 0), scene, frame)


# --------------------------------------------------------------------------- the client (script)


async def client_main(url: str, api_key: str | None) -> dict:
    import asyncio
    import time

    import numpy as np
    from reactor_sdk import Reactor

    from longlive_dsl.sim.frames import read_stamp

    t0 = time.monotonic()
    messages: list[dict] = []
    frames: list[tuple[float, list | None]] = []
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    if api_key:
        r = Reactor(model_name="longlive-v2", api_key=api_key, api_url=url)
    else:
        r = Reactor(model_name="longlive-v2", local=True, api_url=url)

    @r.on_message
    def on_message(m):
        messages.append({"t": time.monotonic() - t0, "type": m.get("type"), "data": m.get("data")})
        if m.get("type") == "generation_complete":
            loop.call_soon_threadsafe(done.set)

    track = r.track("main_video")

    @track.on_raw_frame
    def on_frame(data, width, height, *rest):
        arr = np.frombuffer(bytes(data), dtype=np.uint8).reshape(height, width, 4)[..., :3]
        stamp = read_stamp(arr)
        frames.append((time.monotonic() - t0, None if stamp is None else [
            stamp.session_chunk, stamp.chunk_in_scene, stamp.scene_number, stamp.frame_in_chunk]))

    replies = []
    async with r:
        await r.connect()
        connected = time.monotonic() - t0
        for command, data in STORYBOARD:
            reply = await r.send_command(command, data)
            replies.append(repr(reply)[:200])
        # An invalid command (wrong type): the runtime's schema check refuses it before the engine.
        invalid = None
        try:
            await r.send_command("schedule_shot", {"prompt": "x", "at_session_chunk": "soon"})
        except Exception as e:  # noqa: BLE001 — recorded, checked by the test
            invalid = f"{type(e).__name__}: {e}"
        await asyncio.wait_for(done.wait(), 30)
        await asyncio.sleep(0.3)
    return {"connected_s": connected, "messages": messages, "frames": frames,
            "replies": replies, "invalid": invalid}


async def controls_main(url: str) -> dict:
    """Run control through the served model: refusals, pause (frames stop), resume, reset."""
    import asyncio
    import time

    from reactor_sdk import Reactor

    t0 = time.monotonic()
    messages: list[dict] = []
    frame_times: list[float] = []
    r = Reactor(model_name="longlive-v2", local=True, api_url=url)

    @r.on_message
    def on_message(m):
        messages.append({"t": time.monotonic() - t0, "type": m.get("type"), "data": m.get("data")})

    @r.track("main_video").on_raw_frame
    def on_frame(*args):
        frame_times.append(time.monotonic() - t0)

    async def until(kind: str, **fields) -> None:
        for _ in range(1000):
            for m in messages:
                if m["type"] == kind and all(int(m["data"].get(k, -1)) == v for k, v in fields.items()):
                    return
            await asyncio.sleep(0.01)
        raise TimeoutError(kind)

    marks = {}
    async with r:
        await r.connect()
        await r.send_command("start", {})  # no prompt yet: refused by the model
        await r.send_command("scene_cut", {"prompt": "too early"})  # not started: refused
        await r.send_command("set_shot", {"prompt": OPENER})
        await r.send_command("start", {})
        await until("chunk_complete", session_chunk=1)
        await r.send_command("pause", {})
        await until("generation_paused")
        await asyncio.sleep(0.35)  # let buffered frames drain
        marks["paused"] = time.monotonic() - t0
        await asyncio.sleep(0.6)
        marks["resumed"] = time.monotonic() - t0
        await r.send_command("resume", {})
        await until("chunk_complete", session_chunk=2)
        await r.send_command("reset", {})
        await until("generation_reset")
        await asyncio.sleep(0.2)
    return {"messages": messages, "frames": frame_times, "marks": marks}


if __name__ == "__main__":
    import asyncio
    import json

    if sys.argv[2:3] == ["controls"]:
        print(json.dumps(asyncio.run(controls_main(sys.argv[1]))))
        sys.exit(0)
    key = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
    print(json.dumps(asyncio.run(client_main(sys.argv[1], key))))
    sys.exit(0)


# --------------------------------------------------------------------------- the tests

import pytest  # noqa: E402

from longlive_dsl.sim.server import Simulator  # noqa: E402

pytestmark = pytest.mark.usefixtures("require_runtime", "sdk")


def _non_state(messages: list[dict]) -> list[tuple]:
    out = []
    for m in messages:
        t, d = m["type"], m["data"] or {}
        if t == "state":
            continue
        if t == "chunk_complete":
            out.append((t, int(d["session_chunk"]), int(d["chunk_index"]), d["active_prompt"]))
        elif t in ("scene_cut", "shot_scheduled", "scene_cut_scheduled"):
            out.append((t, d["prompt"], int(d["at_session_chunk"])))
        elif t == "generation_complete":
            out.append((t, int(d["total_chunks"])))
        elif t == "shot_set":
            out.append((t, d["prompt"]))
        else:
            out.append((t,))
    return out


def planned_messages() -> list[tuple]:
    plan: list[tuple] = [
        ("shot_set", OPENER),
        ("shot_scheduled", SHOT, SHOT_AT),
        ("scene_cut_scheduled", CUT, CUT_AT),
        ("generation_started",),
    ]
    for chunk in range(TOTAL):
        if chunk == CUT_AT:
            plan.append(("scene_cut", CUT, CUT_AT))
        scene_chunk = chunk - (CUT_AT if chunk >= CUT_AT else 0)
        plan.append(("chunk_complete", chunk, scene_chunk, expected_prompt(chunk)))
    plan.append(("generation_complete", TOTAL))
    return plan


def check_run(result: dict) -> None:
    # Messages: the planned order exactly (states aside), then the final state.
    assert _non_state(result["messages"]) == planned_messages()
    states = [m["data"] for m in result["messages"] if m["type"] == "state"]
    assert states[0]["session_chunk"] == 0 and not states[0]["started"]
    final = states[-1]
    assert final["started"] is False and int(final["session_chunk"]) == TOTAL
    assert int(final["seed"]) == 42
    # The invalid command never reached the engine: no command_error, and the SDK saw a refusal.
    assert result["invalid"] and "invalid" in result["invalid"].lower()
    # Frames: every stamped one says exactly which chunk/scene/frame it is, in order. (A loaded
    # machine may drop a few frames on the way: the encoder skips frames under CPU pressure.)
    frames = result["frames"]
    stamps = [tuple(s) for _, s in frames if s is not None]
    assert len(stamps) >= 0.75 * TOTAL * FPC, f"only {len(stamps)} stamped frames of {TOTAL * FPC}"
    assert stamps == sorted(stamps), "frames out of order"
    for stamp in stamps:
        assert stamp == expected_stamp(stamp[0], stamp[3])
    assert {s[0] for s in stamps} == set(range(TOTAL)), "a chunk never showed"
    # chunk_complete(k) is sent as chunk k's last frame is handed to the runtime; playout is
    # buffered, so it arrives a few frame periods before that frame is shown: close, not after.
    last_frame = {s[0]: t for t, s in frames if s is not None and s[3] == FPC - 1}
    for m in result["messages"]:
        if m["type"] == "chunk_complete" and int(m["data"]["session_chunk"]) in last_frame:
            assert abs(m["t"] - last_frame[int(m["data"]["session_chunk"])]) < 0.5
    # Rate: the stamps' frame index advances at fps * time_scale frames per second of arrival.
    stamped = [(t, s[0] * FPC + s[3]) for t, s in frames if s is not None]
    (t0, i0), (t1, i1) = stamped[0], stamped[-1]
    rate = (i1 - i0) / (t1 - t0)
    want = FPS * TIME_SCALE
    assert 0.8 * want <= rate <= 1.25 * want, f"{rate:.1f} frames/s, wanted {want}"


def test_sdk_plays_storyboard_in_planned_order(netns_module, tmp_path):
    sim = Simulator(0, fps=FPS, frames_per_chunk=FPC, scene_budget=BUDGET, size=SIZE,
                    time_scale=TIME_SCALE, netns=netns_module.name, log=tmp_path / "sim.log")
    with sim:
        result = netns_module.run_json(__file__, sim.base_url, "-")
        try:
            check_run(result)
        except AssertionError:
            print(sim.log_text()[-6000:])
            raise


def test_run_control_through_the_served_model(netns_module, tmp_path):
    sim = Simulator(0, fps=FPS, frames_per_chunk=FPC, scene_budget=BUDGET, size=SIZE,
                    time_scale=TIME_SCALE, netns=netns_module.name, log=tmp_path / "sim.log")
    with sim:
        result = netns_module.run_json(__file__, sim.base_url, "controls")
    kinds = [m["type"] for m in result["messages"] if m["type"] not in ("state", "chunk_complete")]
    assert kinds == ["command_error", "command_error", "shot_set", "generation_started", "generation_paused",
                     "generation_resumed", "generation_reset"]
    errors = [m["data"] for m in result["messages"] if m["type"] == "command_error"]
    assert [e["command"] for e in errors] == ["start", "scene_cut"] and all(e["reason"] for e in errors)
    paused, resumed = result["marks"]["paused"], result["marks"]["resumed"]
    assert not [t for t in result["frames"] if paused < t < resumed], "frames kept coming while paused"
    assert [t for t in result["frames"] if t > resumed], "no frames after resume"
    final = [m["data"] for m in result["messages"] if m["type"] == "state"][-1]
    assert final["started"] is False and int(final["session_chunk"]) == 0 and final["current_prompt"] is None


def test_a_crashed_client_does_not_block_the_next(netns_module, tmp_path):
    """A client killed mid-stream leaves the one session streaming; the next client still gets in."""
    sim = Simulator(0, fps=FPS, frames_per_chunk=FPC, scene_budget=BUDGET, size=SIZE,
                    time_scale=TIME_SCALE, netns=netns_module.name, log=tmp_path / "sim.log")
    crasher = (
        "import asyncio, os, sys\n"
        "from reactor_sdk import Reactor\n"
        "async def main():\n"
        "    r = Reactor(model_name='longlive-v2', local=True, api_url=sys.argv[1])\n"
        "    await r.connect()\n"
        "    await r.send_command('set_shot', {'prompt': 'doomed'})\n"
        "    await r.send_command('start', {})\n"
        "    await asyncio.sleep(0.5)\n"
        "    print('connected', flush=True)\n"
        "    os._exit(3)\n"
        "asyncio.run(main())\n"
    )
    script = tmp_path / "crasher.py"
    script.write_text(crasher)
    with sim:
        done = netns_module.run([sys.executable, str(script), sim.base_url], capture_output=True,
                                text=True, timeout=60)
        assert "connected" in done.stdout, done.stderr[-3000:]
        result = netns_module.run_json(__file__, sim.base_url, "-")
        check_run(result)
        assert "ending the open session to start a new one" in sim.log_text()


if Path(__file__).name != "test_serve_sdk.py":  # pragma: no cover
    raise ImportError("keep this file's name: it runs itself as the client script")
