"""End to end: how `llv run` fails. Each fault ends with a clear message and a non-zero exit, and
leaves a valid trace (every line JSON, closed by an `end` record) and a playable video up to that point.

Faults: the server killed mid-run, the data channel gone silent (the server frozen), a command the
model refuses (mapped back to its .llv line), and Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runtime.programs import make_program, write_source

from longlive_dsl.runtime.trace import read_trace
from longlive_dsl.sim.server import Simulator

LONG = ((0, "opener", "a red fox in the snow"), (4, "shot", "the fox leaps"), (30, "cut", "a city at night"))


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


@pytest.fixture
def sim(netns, require_runtime):
    s = Simulator(0, time_scale=2.0, frames_per_chunk=6, size=(320, 176), netns=netns.name)
    with s:
        yield netns, s


def program_json(tmp_path: Path, beats=LONG, end=40) -> Path:
    src = write_source(tmp_path / "story.llv", beats)
    path = tmp_path / "story.program.json"
    path.write_text(make_program(beats, end=end, file=src).model_dump_json())
    return path


def start_run(ns, url, program, tmp_path, *extra):
    video, trace = tmp_path / "run.mp4", tmp_path / "run.jsonl"
    argv = llv("run", str(program), "--server", url, "--video", str(video), "--trace", str(trace), "--plain", *extra)
    proc = ns.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, video, trace


def wait_for_chunks(trace: Path, n: int, proc, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if trace.exists() and sum(1 for r in read_trace(trace) if r["kind"] == "recv"
                                  and r["frame"].get("type") == "chunk_complete") >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {n} chunks within {timeout} s")


def assert_valid_leftovers(trace: Path, video: Path, exit_code: int) -> None:
    lines = trace.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line is whole JSON
    assert records[-1]["kind"] == "end" and records[-1]["exit_code"] == exit_code
    import av

    with av.open(str(video)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 6, "the video holds the frames received before the fault"


def test_server_killed_mid_run(sim, tmp_path):
    ns, s = sim
    proc, video, trace = start_run(ns, s.base_url, program_json(tmp_path), tmp_path, "--silence-timeout", "3")
    wait_for_chunks(trace, 4, proc)
    for p in s.procs:
        p.kill()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 8, err
    assert "llv run: error:" in err and ("lost the connection" in err or "went silent" in err or "ended the session" in err)
    assert_valid_leftovers(trace, video, 8)


def test_data_channel_gone_silent(sim, tmp_path):
    ns, s = sim
    proc, video, trace = start_run(ns, s.base_url, program_json(tmp_path), tmp_path, "--silence-timeout", "2")
    wait_for_chunks(trace, 4, proc)
    frozen = [p.pid for p in s.procs]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    assert proc.returncode == 8, err
    assert "went silent" in err
    assert_valid_leftovers(trace, video, 8)


def test_a_refused_schedule_is_shown_at_its_llv_line(sim, tmp_path):
    ns, s = sim
    clash = ((0, "opener", "a red fox in the snow"), (3, "shot", "the fox leaps"), (3, "cut", "a city at night"))
    program = program_json(tmp_path, clash, end=6)
    proc, video, trace = start_run(ns, s.base_url, program, tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 9, err
    assert "error[run]: the model refused `schedule_scene_cut`" in err
    assert "story.llv:4:1" in err and 'at 3 cut "a city at night"' in err  # the beat's own line, quoted
    records = read_trace(trace)
    assert records[-1]["kind"] == "end" and records[-1]["exit_code"] == 9
    sent = [r["frame"]["data"].get("type") for r in records if r["kind"] == "send" and r["channel"] == "data"]
    assert "schedule_scene_cut" in sent and "start" not in sent, "no start after a refusal"


def test_ctrl_c_mid_run(sim, tmp_path):
    ns, s = sim
    proc, video, trace = start_run(ns, s.base_url, program_json(tmp_path), tmp_path)
    wait_for_chunks(trace, 4, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert_valid_leftovers(trace, video, 130)
    calls = [(r["method"], r["path"]) for r in read_trace(trace) if r["kind"] == "http"]
    assert calls[-1] == ("POST", "/stop_session"), "the session is stopped on the way out"


def test_unreachable_server(tmp_path, netns):
    done = netns.run(llv("run", str(program_json(tmp_path)), "--server", "http://127.0.0.1:9", "--plain"),
                     capture_output=True, text=True, timeout=60)
    assert done.returncode == 8 and "cannot reach" in done.stderr


def test_a_storyboard_with_errors_is_not_run(tmp_path):
    bad = tmp_path / "bad.llv"
    bad.write_text('scene "x"\n  shot ""\n')
    done = subprocess.run(llv("run", str(bad), "--server", "http://127.0.0.1:9"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "nothing was run" in done.stderr


def test_a_take_lost_mid_run_is_carried_on_from_the_chunk_it_offers(sim, tmp_path):
    ns, s = sim
    program = program_json(tmp_path)
    proc, video, trace = start_run(ns, s.base_url, program, tmp_path, "--silence-timeout", "3")
    wait_for_chunks(trace, 6, proc)
    for p in s.procs:
        p.kill()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 8, err
    offer = next(line for line in err.splitlines() if "--from-chunk" in line)
    k = int(offer.rsplit("--from-chunk", 1)[1])
    assert 6 <= k < 30, offer
    # A new session carries the plan on: the cut planned at chunk 30 fires at 30 - k.
    with Simulator(0, time_scale=2.0, frames_per_chunk=6, size=(320, 176), netns=ns.name) as again:
        rest_trace = tmp_path / "rest.jsonl"
        argv = llv("run", str(program), "--server", again.base_url, "--trace", str(rest_trace), "--plain",
                   "--from-chunk", str(k))
        done = ns.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    records = read_trace(rest_trace)
    cuts = [r["frame"]["data"] for r in records if r["kind"] == "recv" and r["frame"].get("type") == "scene_cut"]
    chunks = [r["frame"]["data"]["session_chunk"] for r in records
              if r["kind"] == "recv" and r["frame"].get("type") == "chunk_complete"]
    assert cuts and max(chunks) + 1 == 40 - k, "the continuation stops where the plan stops"
    sent = [r["frame"]["data"] for r in records if r["kind"] == "send" and r["frame"]["data"].get("type") ==
            "schedule_scene_cut"]
    assert [d["data"]["at_session_chunk"] for d in sent] == [30 - k]
