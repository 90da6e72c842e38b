"""Faults in a directed session, on the real simulator in a network namespace: a server frozen while it
generates, or killed while the session is paused, is reported within seconds (not after the 10 s silence
timeout), and the trace and the video stay valid."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import av
import pytest

from longlive_dsl.sim.server import Simulator

SCRIPT = textwrap.dedent('''
    import asyncio, json, sys, time
    import longlive_dsl
    from longlive_dsl.runtime.live import Fault

    async def main(url, trace, video, pause):
        story = "scene\\n  shot \\"A red fox trots across a frosted meadow at sunrise, warm light, 35mm lens\\"\\n"
        open(trace + ".llv", "w").write(story)
        fault = None
        async with longlive_dsl.connect(trace + ".llv", server=url, trace=trace, video=video) as session:
            while session.session_chunk < 3:
                await asyncio.sleep(0.02)
            if pause == "pause":
                await session.pause()
            print("playing", flush=True)
            async for event in session.events():
                if isinstance(event, Fault):
                    fault = {"mono": time.monotonic(), "message": event.message, "failure": event.failure.name}
                    break
        print(json.dumps(fault), flush=True)

    asyncio.run(main(*sys.argv[1:]))
''')


@pytest.fixture
def sim(netns, require_runtime):
    with Simulator(0, time_scale=1.0, frames_per_chunk=4, size=(160, 96), netns=netns.name) as s:
        yield netns, s


def direct(ns, s, tmp_path, pause: str):
    script = tmp_path / "direct.py"
    script.write_text(SCRIPT, encoding="utf-8")
    trace, video = tmp_path / "t.jsonl", tmp_path / "v.mp4"
    proc = ns.popen([sys.executable, str(script), s.base_url, str(trace), str(video), pause],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "playing", proc.stderr.read() if proc.stderr else ""
    return proc, trace, video


def outcome(proc) -> dict:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def valid_leftovers(trace, video) -> None:
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    assert records[-1]["kind"] == "end" and records[-1]["failure"] == "CONNECTION_LOST"
    assert any(r["kind"] == "event" and r["what"] == "peer unresponsive" for r in records)
    with av.open(str(video)) as container:
        assert sum(1 for _ in container.decode(video=0)) >= 6


def test_a_server_frozen_while_generating_is_reported_within_seconds(sim, tmp_path):
    ns, s = sim
    proc, trace, video = direct(ns, s, tmp_path, "play")
    frozen = [p.pid for p in s.procs]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        fault = outcome(proc)
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    assert fault is not None and fault["failure"] == "CONNECTION_LOST"
    assert "stopped answering" in fault["message"]
    print(f"frozen server detected after {fault['mono'] - stopped:.2f} s")
    assert fault["mono"] - stopped < 6.0  # FAULT_SECONDS is 2.5; generous for a loaded machine
    valid_leftovers(trace, video)


def test_a_server_killed_while_paused_is_found_by_the_liveness_probe(sim, tmp_path):
    ns, s = sim
    proc, trace, video = direct(ns, s, tmp_path, "pause")
    time.sleep(1.5)  # paused: no frames, no chunks; the probes keep it alive
    for p in s.procs:
        p.kill()
    killed = time.monotonic()
    fault = outcome(proc)
    assert fault is not None and fault["failure"] == "CONNECTION_LOST"
    print(f"killed server detected after {fault['mono'] - killed:.2f} s")
    assert fault["mono"] - killed < 6.0
    records = [json.loads(line) for line in trace.read_text().splitlines()]
    probes = [r for r in records if r["kind"] == "send" and (r["frame"].get("data") or {}).get("type") == "requestSchema"]
    assert len(probes) >= 2  # the first at connection, then the probes while paused
    assert records[-1]["kind"] == "end"


def test_llv_direct_says_what_happened_and_reconnects_continuing_the_plan(sim, tmp_path):
    from direct_terminal import Terminal

    from longlive_dsl.runtime.trace import read_trace

    ns, s = sim
    story = tmp_path / "story.llv"
    story.write_text('seed 3\nscene\n  shot "A red fox trots across a frosted meadow at sunrise, warm light, 35mm lens"\n'
                     '  shot at 20 "The fox stops and lifts its head towards the tree line, breath steaming"\n'
                     'scene at 40\n  shot "A rain-soaked city street at night, neon reflections, a tram passing"\n',
                     encoding="utf-8")
    take = tmp_path / "take.llv"
    term = Terminal(ns.argv([sys.executable, "-m", "longlive_dsl.cli", "direct", str(story), "--server", s.base_url,
                             "--take", str(take)]))
    term.wait_for(r"session chunk [3-9]", 40)
    frozen = [p.pid for p in s.procs]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        term.wait_for(r"FAULT: the server stopped answering", 15)
        noticed = time.monotonic() - stopped
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    assert noticed < 6.0
    offer = term.wait_for(r"continuing the plan from chunk (\d+)", 40)
    k = int(offer.group(1))
    term.type("\x0e")  # Ctrl-N
    term.wait_for(r"reconnecting: session 2")
    term.wait_for(r"ready .* · playing · session chunk [2-9]", 40)
    term.type("\x11")
    assert term.finish() in (0, 8)
    second = read_trace(tmp_path / "take.session2.jsonl")
    sends = [r["frame"]["data"] for r in second if r["kind"] == "send" and r["frame"].get("scope") == "application"]
    assert {"type": "schedule_scene_cut", "data": {"prompt": "A rain-soaked city street at night, neon reflections, "
                                                   "a tram passing", "at_session_chunk": 40 - k}} in sends
    assert sends[0] == {"type": "set_seed", "data": {"seed": 3}}
    assert take.exists()


def test_llv_run_too_reports_a_frozen_server_within_seconds(sim, tmp_path):
    ns, s = sim
    story = tmp_path / "story.llv"
    story.write_text('scene\n  shot "A red fox trots across a frosted meadow at sunrise, warm light, 35mm lens"\n',
                     encoding="utf-8")
    trace = tmp_path / "t.jsonl"
    proc = ns.popen([sys.executable, "-m", "longlive_dsl.cli", "run", str(story), "--server", s.base_url,
                     "--trace", str(trace), "--plain"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not trace.exists() or trace.read_text().count('"chunk_complete"') < 3:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    frozen = [p.pid for p in s.procs]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - stopped < 30:
            records = [json.loads(line) for line in trace.read_text().splitlines() if line.endswith("}")]
            if any(r["kind"] == "event" and r["what"] == "peer unresponsive" for r in records):
                break
            time.sleep(0.05)
        noticed = time.monotonic() - stopped
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    _, err = proc.communicate(timeout=60)
    print(f"llv run: frozen server noticed after {noticed:.2f} s")
    assert proc.returncode == 8, err
    assert "the server stopped answering" in err
    assert noticed < 6.0
