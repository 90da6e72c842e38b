"""Takes that replay: a directed session (plan + live beats + pause + reset) on the real simulator,
written back with `llv take` as lint-clean storyboards; replaying the first segment fires every beat
on the same chunk (`llv verify` passes) and produces the same frame stamps."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import av
import pytest

from longlive_dsl.sim.frames import read_stamp

STORY = textwrap.dedent('''\
    seed 23
    scene "Fox"
      shot "A red fox trots across a frosted meadow at sunrise, warm light, 35mm lens, slow dolly"
      shot at 5 "The fox stops and lifts its head towards the tree line, breath steaming in cold air"
''')

SCRIPT = textwrap.dedent('''
    import asyncio, sys
    import longlive_dsl

    async def until(session, chunk):
        while session.session_chunk < chunk:
            await asyncio.sleep(0.03)

    async def main(story, trace, video):
        sim = {"time_scale": 1.0, "frames_per_chunk": 4, "size": (160, 96)}
        async with longlive_dsl.connect(story, trace=trace, video=video, simulator=sim) as session:
            await session.shot("A crow lands on a fence post, feathers ruffled", at="+2")
            await until(session, 6)
            await session.cut("A lighthouse on a cliff at dusk, waves breaking below")
            await until(session, 8)
            await session.pause()
            await asyncio.sleep(0.5)
            await session.resume()
            await until(session, 10)
            await session.reset()
            await session.shot("Inside the lamp room, brass gears turning slowly")
            await until(session, 3)

    asyncio.run(main(*sys.argv[1:]))
''')

SIM = ["--frames-per-chunk", "4", "--time-scale", "1", "--size", "160x96"]


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


def stamps(video) -> list[tuple[int, int, int, int]]:
    out = []
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            stamp = read_stamp(frame.to_ndarray(format="rgb24"))
            if stamp is not None:
                out.append((stamp.session_chunk, stamp.chunk_in_scene, stamp.scene_number, stamp.frame_in_chunk))
    return out


@pytest.fixture(scope="module")
def take(netns_module, require_runtime, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("take")
    (tmp / "story.llv").write_text(STORY, encoding="utf-8")
    (tmp / "play.py").write_text(SCRIPT, encoding="utf-8")
    done = netns_module.run([sys.executable, str(tmp / "play.py"), str(tmp / "story.llv"), str(tmp / "live.jsonl"),
                             str(tmp / "live.mp4")], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    made = subprocess.run(llv("take", str(tmp / "live.jsonl"), "-o", str(tmp / "take.llv")),
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    return netns_module, tmp


def test_a_reset_splits_the_take_into_two_storyboards(take):
    _, tmp = take
    first, second = (tmp / "take.llv").read_text(), (tmp / "take-2.llv").read_text()
    assert "segment 1 of 2" in first and "segment 2 of 2" in second
    assert 'shot "Inside the lamp room, brass gears turning slowly"' in second


def test_the_take_holds_the_seed_the_plan_and_the_live_beats_at_the_chunks_where_they_fired(take):
    _, tmp = take
    text = (tmp / "take.llv").read_text()
    assert "seed 23" in text
    assert 'shot at 2 "A crow lands on a fence post, feathers ruffled"' in text
    assert 'shot at 5 "The fox stops' in text
    assert "scene at 7\n" in text
    made = 0
    for line in (tmp / "live.jsonl").read_text().splitlines():
        frame = json.loads(line).get("frame") or {}
        if frame.get("type") == "generation_reset":
            break
        if frame.get("type") == "chunk_complete":
            made = frame["data"]["session_chunk"] + 1
    assert text.rstrip().endswith(f"end at {made}")  # the chunks made before the reset


@pytest.mark.parametrize("name", ["take.llv", "take-2.llv"])
def test_a_take_lints_clean(take, name):
    _, tmp = take
    done = subprocess.run(llv("lint", str(tmp / name)), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in (done.stdout + done.stderr)


def test_replaying_the_take_fires_every_beat_on_the_same_chunk_with_the_same_frame_stamps(take):
    ns, tmp = take
    replay = ns.run(llv("run", str(tmp / "take.llv"), *SIM, "--plain", "--trace", str(tmp / "replay.jsonl"),
                        "--video", str(tmp / "replay.mp4")), capture_output=True, text=True, timeout=180)
    assert replay.returncode == 0, replay.stderr[-3000:]
    verified = subprocess.run(llv("verify", str(tmp / "replay.jsonl"), str(tmp / "take.llv")),
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    live = stamps(tmp / "live.mp4")
    restart = next(i for i in range(1, len(live)) if live[i][0] < live[i - 1][0])  # the reset
    first_segment = live[:restart]
    replayed = stamps(tmp / "replay.mp4")
    # A frame is named by (session chunk, frame in chunk); its stamp also carries the scene and the
    # chunk in that scene, which the replay must reproduce exactly.
    live_frames = {(s[0], s[3]): s for s in first_segment}
    replayed_frames = {(s[0], s[3]): s for s in replayed}
    both = live_frames.keys() & replayed_frames.keys()
    assert [live_frames[k] for k in sorted(both)] == [replayed_frames[k] for k in sorted(both)]
    # Either take may lose a frame or two on the wire (a loaded machine has lost frame 0) or blur a
    # stamp past reading; the rest must be there in both.
    assert len(both) >= 0.9 * max(len(live_frames), len(replayed_frames)), (
        sorted(live_frames.keys() - both), sorted(replayed_frames.keys() - both))
    assert replayed == sorted(set(replayed)), "the replay holds each frame once, in the order the model made them"


def test_the_live_trace_names_every_live_action(take):
    _, tmp = take
    records = [json.loads(line) for line in (tmp / "live.jsonl").read_text().splitlines()]
    actions = {r["action"] for r in records if r["kind"] == "live"}
    assert actions == {"shot", "cut", "pause", "resume", "reset"}
