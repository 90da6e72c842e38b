"""`longlive_dsl.connect` against the real simulator in a network namespace: live beats reach the wire,
fire on their chunks, refusals (the plan's and the model's) are reported and traced, pause stops frames."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from longlive_dsl.runtime.trace import read_records, read_trace

STORY = textwrap.dedent('''\
    seed 11
    scene "Fox"
      shot "A red fox trots across a frosted meadow at sunrise, warm light, 35mm lens, slow dolly"
      shot at 4 "The fox stops and lifts its head towards the tree line, breath steaming in cold air"
    scene "City" at 8
      shot "A rain-soaked city street at night, neon reflections, a tram passing, handheld camera"
''')

SCRIPT = textwrap.dedent('''
    import asyncio, json, sys, time
    import longlive_dsl
    from longlive_dsl.runtime.live import BeatFired, Declined, Refused

    async def main(story, trace):
        out = {"fired": [], "declined": [], "refused": []}
        sim = {"time_scale": 1.0, "frames_per_chunk": 4, "size": (160, 96)}
        async with longlive_dsl.connect(story, trace=trace, simulator=sim) as session:
            async def watch():
                async for e in session.events():
                    if isinstance(e, BeatFired):
                        out["fired"].append([e.kind, e.session_chunk, e.source])
            watcher = asyncio.create_task(watch())
            live = await session.shot("A crow lands on a fence post, feathers ruffled by the wind", at="+2")
            out["live_at"] = live.at
            try:
                await session.shot("a second beat on the planned chunk", at="@4")
            except Declined as e:
                out["declined"].append([e.reason, e.fix])
            try:
                await session.shot("x" * 4001, at="@6")
            except Declined as e:
                out["declined"].append([e.reason, e.fix])
            while session.session_chunk < 9:
                await asyncio.sleep(0.05)
            await session.cut("A lighthouse on a cliff at dusk, waves breaking far below, aerial orbit")
            while session.session_chunk < 11:
                await asyncio.sleep(0.05)
            await session.pause()
            try:
                await session.pause()
            except Refused as e:
                out["refused"].append([e.command, e.reason])
            await asyncio.sleep(0.3)
            frames = session.progress.frames
            await asyncio.sleep(1.0)
            out["frames_while_paused"] = session.progress.frames - frames
            await session.resume()
            while session.session_chunk < 13:
                await asyncio.sleep(0.05)
        await watcher
        print(json.dumps(out))

    asyncio.run(main(sys.argv[1], sys.argv[2]))
''')


@pytest.fixture(scope="module")
def played(netns_module, require_runtime, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("connect")
    (tmp / "story.llv").write_text(STORY, encoding="utf-8")
    (tmp / "play.py").write_text(SCRIPT, encoding="utf-8")
    trace = tmp / "take.jsonl"
    done = netns_module.run([sys.executable, str(tmp / "play.py"), str(tmp / "story.llv"), str(trace)],
                            capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), trace


def sends(trace):
    return [r["frame"]["data"] for r in read_trace(trace) if r["kind"] == "send" and r["frame"].get("scope") == "application"]


def test_a_relative_live_shot_is_scheduled_on_the_wire_and_fires_on_its_chunk(played):
    out, trace = played
    assert out["live_at"] == 2
    assert {"type": "schedule_shot", "data": {"prompt": "A crow lands on a fence post, feathers ruffled by the wind",
                                              "at_session_chunk": 2}} in sends(trace)
    assert ["shot", 2, "live"] in out["fired"]


def test_the_plan_plays_alongside_the_live_beats(played):
    out, _ = played
    assert ["opener", 0, "plan"] in out["fired"]
    assert ["shot", 4, "plan"] in out["fired"]
    assert ["cut", 8, "plan"] in out["fired"]


def test_a_live_beat_tying_with_a_planned_one_is_declined_with_the_fix_and_never_sent(played):
    out, trace = played
    [reason, fix] = out["declined"][0]
    assert "chunk 4 already holds a shot" in reason and "planned" in reason and "`@5`" in fix
    assert not any(d["data"].get("prompt") == "a second beat on the planned chunk" for d in sends(trace))
    declined = [r for r in read_records(trace) if r.kind == "live" and r.outcome == "declined"]
    assert declined[0].fix == fix


def test_a_live_beat_the_models_schema_would_drop_is_declined_before_sending(played):
    out, trace = played
    [reason, fix] = out["declined"][1]
    assert "schema" in reason and "4000" in fix
    assert not any(len(d["data"].get("prompt", "")) > 4000 for d in sends(trace))


def test_a_live_beat_the_model_refuses_is_reported_and_traced_without_ending_the_session(played):
    out, trace = played
    [[command, reason]] = out["refused"]
    assert command == "pause" and "already paused" in reason
    records = read_records(trace)
    assert any(r.kind == "live" and r.outcome == "refused" and r.reason == reason for r in records)
    assert any(r.kind == "event" and r.what == "command_error" for r in records)
    assert records[-1].kind == "end" and records[-1].exit_code == 0


def test_a_cut_now_lands_on_the_next_chunk(played):
    out, _ = played
    cuts = [c for k, c, s in out["fired"] if k == "cut" and s == "live"]
    assert len(cuts) == 1 and cuts[0] >= 10


def test_pause_stops_the_frames_until_resume(played):
    out, trace = played
    assert out["frames_while_paused"] == 0
    actions = [(r.action, r.outcome) for r in read_records(trace) if r.kind == "live"]
    assert ("pause", "acknowledged") in actions and ("resume", "acknowledged") in actions


def test_every_live_action_is_sent_then_settled_in_the_trace(played):
    _, trace = played
    live = [r for r in read_records(trace) if r.kind == "live"]
    sent = {r.command_index for r in live if r.outcome == "sent"}
    settled = {r.command_index for r in live if r.outcome in ("acknowledged", "refused")}
    assert sent and sent == settled
