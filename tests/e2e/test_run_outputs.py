"""End to end: a take already playing meets failing outputs and vanishing terminals.

On the real simulator, in a network namespace: a video or trace that cannot be written (/dev/full,
a tiny tmpfs in a private mount namespace, a file-size limit) ends the run promptly with exit 11
and leaves what was written valid; a closed stderr does not end the take (it goes on silently and
exits with the run's own code); SIGHUP and SIGTERM tear the session down (deleted on the cloud)
and close the trace with `end`; a server that dies is reported as gone. Every case asserts the
exit code, a time bound, the process's peak memory and the trace.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from pathlib import Path

import av
import pytest
from hostile.runner import bounded, finish, llv, run_llv, small_disk, start_llv
from runtime.programs import write_program

from longlive_dsl.runtime.trace import read_trace
from longlive_dsl.sim.server import Simulator

BEATS = ((0, "opener", "a red fox in the snow"), (4, "shot", "the fox leaps"), (12, "cut", "a city at night"))
KEY = "rk_outputs_0123456789"
END = 24


@pytest.fixture(scope="module")
def sim(netns_module, require_runtime):
    with Simulator(0, time_scale=2.0, frames_per_chunk=6, size=(320, 176), netns=netns_module.name) as s:
        yield netns_module, s


@pytest.fixture(scope="module")
def cloud_sim(netns_module, require_runtime):
    with Simulator(0, cloud=True, api_keys=[KEY], time_scale=2.0, frames_per_chunk=6, size=(320, 176),
                   netns=netns_module.name) as s:
        yield netns_module, s


@pytest.fixture
def program(tmp_path) -> Path:
    return write_program(tmp_path, BEATS, END)


def long_program(tmp_path: Path, end: int) -> Path:
    """BEATS, then a cut every 40 chunks so that no scene's 48-chunk budget ends the take before `end`."""
    beats = BEATS + tuple((at, "cut", f"scene {n}") for n, at in enumerate(range(52, end, 40), start=3))
    return write_program(tmp_path, beats, end, "long")


def frames_in(video: Path) -> int:
    with av.open(str(video)) as container:
        return sum(1 for _ in container.decode(video=0))


def wait_for_chunks(trace: Path, n: int, proc, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "llv run ended early"
        if trace.exists() and sum(1 for r in read_trace(trace) if r["kind"] == "recv"
                                  and r["frame"].get("type") == "chunk_complete") >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {n} chunks within {timeout} s")


# ------------------------------------------------------------------------ outputs that fail: exit 11


def test_a_video_to_a_full_device_ends_the_run_with_exit_11(sim, tmp_path, program):
    ns, s = sim
    out = run_llv(ns, tmp_path, str(program), "--server", s.base_url, "--video", "/dev/full", timeout=60)
    assert out.code == 11, out.err
    assert "cannot write the video /dev/full: No space left on device" in out.err
    end = out.ends_cleanly()
    assert end["failure"] == "OUTPUT" and end["chunks_done"] < END, "ended promptly, not at the storyboard's end"
    assert "Traceback" not in out.err and "never retrieved" not in out.err
    bounded(out, 45)


def mp4_boxes(video: Path) -> list[tuple[str, int]]:
    """The top-level boxes of an MP4 as (type, size): ftyp, moov, then a moof and an mdat per fragment."""
    data, boxes, at = video.read_bytes(), [], 0
    while at + 8 <= len(data):
        size, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8].decode("latin-1")
        if size < 8:
            break
        boxes.append((kind, size))
        at += size
    return boxes


def test_a_video_filling_a_small_disk_ends_the_run_and_stays_playable(sim, tmp_path):
    """A 150-chunk take makes some 200 kB of video (fragments of 6-7 kB a second): a 128 kB disk fills
    part of the way in, with room for many whole fragments even if a few frames arrive damaged and
    cost more to encode (as happens on a loaded machine)."""
    ns, s = sim
    program = long_program(tmp_path, 150)
    small, keep, wrap = small_disk(tmp_path, "128k")
    out = run_llv(ns, tmp_path, str(program), "--server", s.base_url, "--video", str(small / "take.mp4"),
                  wrap=wrap, timeout=90)
    assert out.code == 11, out.err
    assert "No space left on device" in out.err and "take.mp4" in out.err
    end = out.ends_cleanly()
    assert end["chunks_done"] < 150, "ended when the disk filled, not at the storyboard's end"
    video = keep / "take.mp4"
    kept = frames_in(video)
    boxes = mp4_boxes(video)
    assert sum(size for _, size in boxes) == video.stat().st_size, f"no torn fragment at the end: {boxes}"
    assert kept == end["frames_recorded"], f"the trace counts the frames the file holds: {boxes}"
    assert kept >= 1, f"the fragments written before the disk filled still play: {boxes}\n{out.err}"
    bounded(out, 60)


def test_a_trace_filling_a_small_disk_ends_the_run_with_whole_records(sim, tmp_path):
    """A 150-chunk take writes some 150 kB of trace (16 kB before `start`): a 64 kB disk, 16 kB of it
    held for the `end` record, fills mid-take."""
    ns, s = sim
    program = long_program(tmp_path, 150)
    small, keep, wrap = small_disk(tmp_path, "64k")
    video = tmp_path / "take.mp4"
    t0 = time.monotonic()
    proc, _ = start_llv(ns, tmp_path, str(program), "--server", s.base_url, "--video", str(video),
                        trace=small / "run.jsonl", wrap=wrap)
    out = finish(proc, tmp_path, keep / "run.jsonl", t0, 90)  # the trace as copied off the small disk
    assert out.code == 11, out.err
    assert "cannot write the trace" in out.err and "No space left on device" in out.err
    assert "Traceback" not in out.err and "never retrieved" not in out.err
    end = out.ends_cleanly()  # every line whole JSON, and the room the trace held for `end` took it
    assert end["failure"] == "OUTPUT" and "No space left on device" in end["message"]
    assert 0 < end["chunks_done"] < 150, "the disk filled mid-take"
    assert frames_in(video) >= 1, "the video is finished properly"
    bounded(out, 45)


def test_a_file_size_limit_ends_the_run_with_exit_11(netns, require_runtime, tmp_path):
    """RLIMIT_FSIZE in the child: writes past 100 kB fail (EFBIG). A 60-chunk take at 640x352 makes
    some 350 kB of video and 60 kB of trace, so the video hits the limit first, a third of the way in."""
    video = tmp_path / "take.mp4"
    end_chunk = 60
    program = long_program(tmp_path, end_chunk)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    with Simulator(0, time_scale=2.0, frames_per_chunk=6, size=(640, 352), netns=netns.name) as s:
        t0 = time.monotonic()
        proc, trace = start_llv(netns, tmp_path, str(program), "--server", s.base_url, "--video", str(video),
                                preexec_fn=limit)
        out = finish(proc, tmp_path, trace, t0, 60)
    assert out.code == 11, out.err
    assert "cannot write the video" in out.err and "File too large" in out.err
    end = out.ends_cleanly()
    assert end["chunks_done"] < end_chunk
    assert frames_in(video) == end["frames_recorded"] >= 24, "whole fragments only, each a second of video"
    assert video.stat().st_size <= 100_000
    bounded(out, 45)


def test_a_trace_that_reaches_a_file_size_limit_still_ends_with_end(netns, require_runtime, tmp_path):
    """RLIMIT_FSIZE of 40 kB and no video: a 60-chunk take makes some 60 kB of trace, so the trace
    reaches the limit; it stopped 16 KiB short of it (trace.END_RESERVE), so `end` still fits."""
    program = long_program(tmp_path, 60)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    with Simulator(0, time_scale=2.0, frames_per_chunk=6, size=(160, 96), netns=netns.name) as s:
        t0 = time.monotonic()
        proc, trace = start_llv(netns, tmp_path, str(program), "--server", s.base_url, preexec_fn=limit)
        out = finish(proc, tmp_path, trace, t0, 60)
    assert out.code == 11, out.err
    assert "cannot write the trace" in out.err and "File too large" in out.err
    end = out.ends_cleanly()
    assert end["failure"] == "OUTPUT" and "File too large" in end["message"]
    assert 0 < end["chunks_done"] < 60, "the limit was reached mid-take"
    assert trace.stat().st_size <= 40_000
    bounded(out, 45)


# ------------------------------------------------------------------ terminals that go away


def test_a_closed_stderr_does_not_end_the_take(sim, tmp_path, program):
    """`llv run … 2>&1 | head -3`: the run goes on silently and exits with its own code."""
    ns, s = sim
    video = tmp_path / "take.mp4"
    t0 = time.monotonic()
    proc, trace = start_llv(ns, tmp_path, str(program), "--server", s.base_url, "--video", str(video),
                            stderr=subprocess.PIPE)
    for _ in range(3):
        proc.stderr.readline()
    proc.stderr.close()  # like `head` exiting
    out = finish(proc, tmp_path, trace, t0, 90)
    assert out.code == 0
    end = out.ends_cleanly()
    assert end["chunks_done"] == END, "the whole take played"
    assert end["frames_expected"] == END * 6, "the model's own count of the frames it sent"
    assert frames_in(video) == end["frames_recorded"] > 0
    bounded(out, 80)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGHUP, 129), (signal.SIGTERM, 130)])
def test_a_hangup_or_terminate_stops_the_session_and_closes_the_trace(sim, tmp_path, program, sig, code):
    ns, s = sim
    video = tmp_path / "take.mp4"
    t0 = time.monotonic()
    proc, trace = start_llv(ns, tmp_path, str(program), "--server", s.base_url, "--video", str(video))
    wait_for_chunks(trace, 3, proc)
    proc.send_signal(sig)
    out = finish(proc, tmp_path, trace, t0, 60)
    assert out.code == code, out.err
    out.ends_cleanly()
    calls = [(r["method"], r["path"]) for r in out.records() if r["kind"] == "http"]
    assert calls[-1] == ("POST", "/stop_session")
    assert frames_in(video) > 0
    bounded(out, 80)


def test_a_hangup_deletes_the_cloud_session(cloud_sim, tmp_path, program):
    ns, s = cloud_sim
    t0 = time.monotonic()
    proc, trace = start_llv(ns, tmp_path, str(program), "--cloud", "--api-url", s.base_url,
                            env={"REACTOR_API_KEY": KEY})
    wait_for_chunks(trace, 3, proc)
    proc.send_signal(signal.SIGHUP)
    out = finish(proc, tmp_path, trace, t0, 60)
    assert out.code == 129 and "hung up" in out.err, out.err
    out.ends_cleanly()
    deletes = [r for r in out.records() if r["kind"] == "http" and r["method"] == "DELETE"]
    assert deletes and deletes[-1]["status"] == 200, "the session was deleted on the cloud"
    assert KEY not in out.trace.read_text()
    bounded(out, 80)


def test_a_server_that_dies_is_reported_as_gone(netns, require_runtime, tmp_path, program):
    with Simulator(0, time_scale=2.0, frames_per_chunk=6, size=(320, 176), netns=netns.name) as s:
        t0 = time.monotonic()
        proc, trace = start_llv(netns, tmp_path, str(program), "--server", s.base_url, "--silence-timeout", "3")
        wait_for_chunks(trace, 3, proc)
        for p in s.procs:
            p.kill()
        out = finish(proc, tmp_path, trace, t0, 60)
    assert out.code == 8, out.err
    assert "the server itself is gone" in out.err and "ConnectError" in out.err
    out.ends_cleanly()
    bounded(out, 60)


# ------------------------------------------------------------------------------ dropped frames


def test_frames_lost_while_the_client_is_starved_are_counted_warned_about_and_verified(netns, require_runtime,
                                                                                       tmp_path):
    """The client stopped (SIGSTOP) for 5 s mid-take: the video packets sent meanwhile overflow its
    socket buffer. The run still ends 0, but says how many frames never arrived, and so do the
    trace and `llv verify`."""
    end_chunk = 60
    program = long_program(tmp_path, end_chunk)
    with Simulator(0, time_scale=1.0, frames_per_chunk=6, size=(1280, 704), netns=netns.name) as s:
        t0 = time.monotonic()
        proc, trace = start_llv(netns, tmp_path, str(program), "--server", s.base_url, "--silence-timeout", "30")
        wait_for_chunks(trace, 3, proc)
        os.kill(proc.pid, signal.SIGSTOP)
        time.sleep(5)
        os.kill(proc.pid, signal.SIGCONT)
        out = finish(proc, tmp_path, trace, t0, 120)
    assert out.code == 0, out.err
    end = out.ends_cleanly()
    expected = end_chunk * 6
    assert end["frames_expected"] == expected and end["frames_dropped"] > 0, end
    assert end["frames_received"] + end["frames_dropped"] >= expected
    assert f"{end['frames_dropped']} of {expected} video frames never arrived" in out.err
    assert f"({end['frames_dropped']} dropped)" in out.err
    verified = netns.run(llv("verify", str(trace), str(program)), capture_output=True, text=True, timeout=60)
    assert f"warning: {end['frames_dropped']} of {expected} video frames never arrived" in verified.stdout
    bounded(out, 110)
