"""Outputs that cannot be written, phase deadlines, dropped frames and signals, below the CLI.

The trace and the recorder never raise into the run and never block it: they keep their error,
say so once through `on_error`, and the session turns that into `Failure.OUTPUT` at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from hostile.runner import small_disk

from longlive_dsl.runtime import Failure, RunError
from longlive_dsl.runtime.recorder import QUEUE_FRAMES, Recorder
from longlive_dsl.runtime.session import RunOptions, Session, run_with_signals
from longlive_dsl.runtime.signalling import LocalSignalling
from longlive_dsl.runtime.trace import END_RESERVE, Trace, read_trace

from .programs import make_program
from .test_session import Recorder as Listener
from .test_session import msg


def frame(width: int = 64, height: int = 48):
    import av

    return av.VideoFrame.from_ndarray(np.zeros((height, width, 3), np.uint8), format="rgb24")


# ------------------------------------------------------------------------------------ the trace


def test_a_trace_on_a_full_device_keeps_its_error_and_never_raises():
    said = []
    trace = Trace("/dev/full")
    trace.on_error = said.append
    trace.write("run", file="x", mode="simulator", clock="measured")
    trace.write("status", status="connecting", detail="")  # after the failure: nothing, no exception
    assert isinstance(trace.error, OSError)
    assert said == ["cannot write the trace /dev/full: No space left on device"]
    trace.close()


def on_a_small_disk(tmp_path, size: str, script: str) -> subprocess.CompletedProcess:
    """Run `script` (Python) with its working directory a tmpfs of `size`, kept in tmp_path/kept after."""
    _, _, wrap = small_disk(tmp_path, size)
    return subprocess.run(wrap([sys.executable, "-c", script]), capture_output=True, text=True, timeout=60)


FILL_THEN_END = (
    "from longlive_dsl.runtime.trace import Trace\n"
    "t = Trace('run.jsonl')\n"
    "{before}"
    "for i in range(100_000):\n"
    "    t.write('event', what='command_error', command='schedule_shot', reason='r' * 200, command_index=i)\n"
    "    if t.error: break\n"
    "t.write('status', status='ready', detail='')  # dropped: after a failure only `end` is tried\n"
    "t.write('end', exit_code=11, failure='OUTPUT', message=t.message(), chunks_done=3, frames_received=9,\n"
    "        frames_recorded=9, frames_expected=9, frames_dropped=0)\n"
    "t.close()\n"
    "print(t.message())\n"
)


def test_a_trace_that_fills_its_disk_still_ends_with_its_end_record(tmp_path):
    done = on_a_small_disk(tmp_path, "64k", FILL_THEN_END.format(before=""))
    assert done.returncode == 0, done.stderr
    assert "No space left on device" in done.stdout
    records = read_trace(tmp_path / "kept" / "run.jsonl")  # every line whole JSON
    assert [r["kind"] for r in records[-2:]] == ["event", "end"], "the room held for `end` took it"
    assert records[-1]["exit_code"] == 11 and "No space left on device" in records[-1]["message"]
    assert [r["command_index"] for r in records[:-1]] == list(range(len(records) - 1))
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["run.jsonl"], "the held room leaves no file"


def test_when_another_file_fills_the_disk_the_trace_still_ends_with_its_end_record(tmp_path):
    """The video filled the disk the trace shares: the trace's `end` record fits in the room it held."""
    fill = (
        "import errno, os\n"
        "fd = os.open('take.mp4', os.O_WRONLY | os.O_CREAT)\n"
        "try:\n"
        "    while True: os.write(fd, b'v' * 4096)\n"
        "except OSError as e: assert e.errno == errno.ENOSPC\n"
    )
    script = FILL_THEN_END.format(before=fill).replace("for i in range(100_000):", "for i in range(0):")
    done = on_a_small_disk(tmp_path, "64k", script)
    assert done.returncode == 0, done.stderr
    records = read_trace(tmp_path / "kept" / "run.jsonl")
    assert [r["kind"] for r in records] == ["end"]
    assert (tmp_path / "kept" / "take.mp4").stat().st_size > 32_000, "the disk was full indeed"


def test_a_trace_past_a_file_size_limit_is_cut_back_to_whole_records(tmp_path):
    """Short records, so several fit in 1,000 bytes however many digits the monotonic clock has."""
    path = tmp_path / "t.jsonl"
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))\n"
        "from longlive_dsl.runtime.trace import Trace\n"
        f"t = Trace({str(path)!r})\n"
        "for i in range(100): t.write('event', what='command_error', command='x' * 8, reason='r', command_index=i)\n"
        "print(t.message())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "File too large" in done.stdout
    text = path.read_text()
    assert text.endswith("\n") and len(text) <= 1000
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["command_index"] for r in records] == list(range(len(records))) and len(records) >= 4


def test_a_trace_under_a_file_size_limit_keeps_room_below_it_for_its_end_record(tmp_path):
    """`ulimit -f` of 100 kB: the records stop 16 KiB short of the limit, and `end` still fits."""
    path = tmp_path / "t.jsonl"
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "from longlive_dsl.runtime.trace import Trace\n"
        f"t = Trace({str(path)!r})\n"
        "for i in range(10_000): t.write('event', what='command_error', command='x' * 80, reason='r', command_index=i)\n"
        "print(t.message())\n"
        "t.write('end', exit_code=11, failure='OUTPUT', message=t.message(), chunks_done=0, frames_received=0,\n"
        "        frames_recorded=0, frames_expected=None, frames_dropped=0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "File too large" in done.stdout
    size = path.stat().st_size
    assert 100_000 - END_RESERVE - 200 < size <= 100_000
    records = read_trace(path)
    assert records[-1]["kind"] == "end" and records[-1]["exit_code"] == 11
    assert [r["command_index"] for r in records[:-1]] == list(range(len(records) - 1))


# --------------------------------------------------------------------------------- the recorder


def test_a_recorder_on_a_full_device_fails_fast_and_never_blocks():
    said = []
    rec = Recorder("/dev/full", on_error=said.append)
    t0 = time.monotonic()
    for _ in range(QUEUE_FRAMES * 3):
        rec.add(frame())
    rec.close(timeout=10)
    assert time.monotonic() - t0 < 10
    assert said == ["cannot write the video /dev/full: No space left on device"]
    assert rec.message() == said[0]


def test_a_recorder_whose_encoder_is_stuck_drops_frames_instead_of_blocking(tmp_path, monkeypatch):
    stuck = threading.Event()
    monkeypatch.setattr(Recorder, "_work", lambda self: stuck.wait(30))
    rec = Recorder(tmp_path / "v.mp4")
    t0 = time.monotonic()
    for _ in range(QUEUE_FRAMES + 50):
        rec.add(object())
    assert time.monotonic() - t0 < 2, "add never waits for the encoder"
    assert rec.frames_dropped == 50
    rec.close(timeout=0.2)
    assert "did not finish" in str(rec.error)
    stuck.set()


# ---------------------------------------------------------------------------------- the session


class Hanging(LocalSignalling):
    """A front door whose session never opens (the run is somewhere in signalling)."""

    async def open(self):
        await asyncio.sleep(3600)

    async def _end_session(self):
        pass


def session_with(trace: Trace, options: RunOptions | None = None) -> tuple[Session, Listener]:
    listener = Listener()
    sig = Hanging("http://unused", trace)
    return Session(make_program(), sig, trace, options or RunOptions(), listener), listener


def test_an_output_failing_from_another_thread_ends_the_run_at_once(tmp_path):
    trace = Trace(tmp_path / "t.jsonl")
    session, _ = session_with(trace)

    async def go():
        threading.Timer(0.2, session._output_error, ["cannot write the video v.mp4: No space left on device"]).start()
        return await asyncio.wait_for(session.run(), 10)

    result = asyncio.run(go())
    assert result.failure is Failure.OUTPUT and "No space left" in result.message
    end = read_trace(tmp_path / "t.jsonl")[-1]
    assert end["kind"] == "end" and end["exit_code"] == 11


def test_a_trace_that_failed_before_the_run_ends_it_before_any_call():
    trace = Trace("/dev/full")
    trace.write("run", file="x", mode="simulator", clock="measured")
    session, _ = session_with(trace)
    result = asyncio.run(asyncio.wait_for(session.run(), 10))
    assert result.failure is Failure.OUTPUT and "/dev/full" in result.message


def test_no_first_frame_in_time_is_a_timeout():
    session, _ = session_with(Trace(None), RunOptions(first_frame_timeout=0.3))

    async def go():
        session._started_at = time.monotonic()
        await session._follow()

    with pytest.raises(RunError) as e:
        asyncio.run(asyncio.wait_for(go(), 10))
    assert e.value.failure is Failure.TIMEOUT and "no video frame arrived within 0.3 s" in e.value.message


def test_frames_the_model_sent_but_that_never_arrived_are_counted_and_warned_about():
    warned = []
    session, listener = session_with(Trace(None))
    listener.info = warned.append
    session._handle(*msg("chunk_complete", chunk_index=0, session_chunk=0, active_prompt="p", frames_emitted=100))
    session.progress.frames = 88
    session._count_dropped()
    assert (session.result.frames_expected, session.result.frames_dropped) == (100, 12)
    assert warned == ["12 of 100 video frames never arrived (12.0 %): the video is shorter than the take"]


@pytest.mark.parametrize(("sig", "failure"), [(signal.SIGHUP, Failure.HANGUP), (signal.SIGTERM, Failure.INTERRUPTED)])
def test_a_signal_ends_the_run_with_its_own_failure_and_an_end_record(tmp_path, sig, failure):
    trace = Trace(tmp_path / "t.jsonl")
    session, _ = session_with(trace)

    async def go():
        asyncio.get_running_loop().call_later(0.2, os.kill, os.getpid(), sig)
        return await session.run()

    result = run_with_signals(go)
    assert result.failure is failure
    assert read_trace(tmp_path / "t.jsonl")[-1]["exit_code"] == failure.value


# ------------------------------------------------------------------ the schema step, over real HTTP


@pytest.mark.parametrize("body", [b"<html>", b"[1, 2]", b"null", b'"a string"'])
def test_a_malformed_schema_over_http_is_a_server_failure(tmp_path, body):
    from hostile.server import HostileServer, Reply, local_steps

    with HostileServer(local_steps(schema=Reply(200, body))) as server:
        sig = LocalSignalling(server.url, Trace(tmp_path / "t.jsonl"))

        async def go():
            try:
                return await sig.model_schema()
            finally:
                await sig.client.aclose()

        with pytest.raises(RunError) as e:
            asyncio.run(go())
    assert e.value.failure is Failure.SERVER and "reading the model's schema" in e.value.message
    assert "malformed" in e.value.message


# -------------------------------------------------------------- dropped frames in verify and the summary


def test_verify_warns_about_dropped_frames_but_still_passes():
    from longlive_dsl.runtime.verify import render, verify

    from .test_verify import PLAN, chunks

    end = {"kind": "end", "exit_code": 0, "message": "done", "frames_expected": 232, "frames_dropped": 20}
    report = verify(make_program(), chunks(PLAN, cut_at={5}) + [end])
    assert report.ok and report.frames_dropped == (20, 232)
    text = render(report, "story.llv", "t.jsonl")
    assert "warning: 20 of 232 video frames never arrived" in text


def test_the_summary_line_counts_dropped_frames(capsys):
    from longlive_dsl.commands.run import _report
    from longlive_dsl.runtime.session import RunResult
    from longlive_dsl.runtime.trace import Redactor

    result = RunResult(message="reached the end", chunks_done=8, frames_received=220, frames_expected=232, frames_dropped=12)
    args = argparse.Namespace(video=None, trace=None)
    assert _report(result, args, Redactor(), "story.llv") == 0
    assert "8 chunks, 220 of 232 frames (12 dropped)" in capsys.readouterr().err
