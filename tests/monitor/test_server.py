"""The monitor's server on its own: what it serves, to whom, and that no viewer can hold a run up.

Frames are the simulator's stamped pictures (sim/frames.py) fed to `Monitor.frame` as a run would;
viewers are real HTTP clients (httpx) and raw sockets.
"""

from __future__ import annotations

import socket
import threading
import time

import av
import httpx
import numpy as np
import pytest
from runtime.programs import make_program

from longlive_dsl.monitor import Monitor
from longlive_dsl.monitor.server import CLOSE_GRACE
from longlive_dsl.sim.frames import Stamp, paint_stamp

from .records import records, stamp_of

BEATS = ((0, "opener", "a red fox in the snow"), (3, "shot", "the fox leaps"), (5, "cut", "a city at night"))


def stamped(n: int) -> av.VideoFrame:
    picture = np.full((176, 320, 3), 40, np.uint8)
    paint_stamp(picture, Stamp(session_chunk=n // 6, chunk_in_scene=n // 6, scene_number=1, frame_in_chunk=n % 6))
    return av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")


@pytest.fixture
def monitor():
    m = Monitor(make_program(BEATS, end=8))
    m.start()
    yield m
    m.close()


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_it_listens_on_loopback_only(monitor):
    assert monitor.url.startswith("http://127.0.0.1:")
    assert monitor._server.servers[0].sockets[0].getsockname()[0] == "127.0.0.1"


def test_the_page_and_its_assets_come_from_the_monitor_itself(monitor):
    for path, kind in (("", "text/html"), ("monitor.js", "text/javascript"), ("monitor.css", "text/css")):
        reply = httpx.get(monitor.url + path)
        assert reply.status_code == 200 and reply.headers["content-type"].startswith(kind)
        assert "://" not in reply.text  # nothing from a CDN or anywhere else
        assert "default-src 'self'" in reply.headers["content-security-policy"]


def test_a_request_for_another_host_name_is_refused(monitor):
    reply = httpx.get(monitor.url, headers={"host": "attacker.example"})
    assert reply.status_code == 400


def test_the_plan_lists_the_beats_and_the_stop():
    m = Monitor(make_program(BEATS, end=8))
    plan = m.plan
    assert plan["stops_at"] == 8
    assert [(b["chunk"], b["kind"]) for b in plan["beats"]] == [(0, "opener"), (3, "shot"), (5, "cut")]


def test_a_viewer_gets_the_state_then_each_frame_with_its_stamp(monitor):
    with httpx.stream("GET", monitor.url + "live", timeout=10) as reply:
        stream = records(reply.iter_bytes())
        kind, state = next(stream)
        assert kind == "S" and state["status"] == "disconnected"
        wait_until(lambda: monitor.viewers == 1)
        stamps = []
        for n in range(4):
            monitor.frame(stamped(n))
            kind, (header, jpeg) = next(r for r in stream if r[0] == "F")
            assert header["received"] <= header["encoded"]
            stamps.append(stamp_of(jpeg).frame_in_chunk)
    assert stamps == [0, 1, 2, 3]


def test_frames_carrying_webrtcs_time_base_are_encoded():
    from fractions import Fraction

    from longlive_dsl.monitor.server import JpegEncoder

    encoder = JpegEncoder()
    for n in range(5):
        frame = stamped(n)
        frame.time_base, frame.pts = Fraction(1, 90000), 3750 * n + 12345  # as aiortc delivers them
        assert stamp_of(encoder.encode(frame)).frame_in_chunk == n


def test_events_reach_the_state_with_the_next_planned_beat(monitor):
    monitor.status(type("S", (), {"value": "ready"})(), "session s1")
    monitor.progress({"chunks_done": 4, "chunk_in_scene": 4, "scene_number": 1, "scene_name": "s1",
                      "prompt": "the fox leaps", "stops_at": 8, "frames": 100})
    monitor.problem("error[run]: refused")
    state = httpx.get(monitor.url + "state").json()
    assert state["status"] == "ready" and state["detail"] == "session s1"
    assert state["progress"]["chunks_done"] == 4 and state["progress"]["prompt"] == "the fox leaps"
    assert state["next_beat"]["chunk"] == 5 and state["next_beat"]["kind"] == "cut"
    assert state["problems"] == ["error[run]: refused"]


def test_an_event_of_another_kind_is_shown_as_a_note(monitor):
    monitor.event("beat", kind="shot", chunk=12, prompt="a live change")
    assert monitor.snapshot()["notes"] == ["beat: kind=shot, chunk=12, prompt=a live change"]


def test_nothing_is_encoded_while_nobody_watches(monitor):
    for n in range(10):
        monitor.frame(stamped(n))
    assert monitor.frames_unwatched == 10 and not monitor._pending  # turned away at once, never queued
    time.sleep(0.2)
    assert monitor.frames_in == 10 and monitor.frames_encoded == 0


def stalled_viewer(url: str) -> socket.socket:
    """A raw connection that asks for the live stream and never reads a byte."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET /live HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    return sock


def test_a_stalled_viewer_neither_blocks_the_run_nor_starves_another_viewer(monitor):
    stalled = stalled_viewer(monitor.url)
    try:
        wait_until(lambda: monitor.viewers == 1)
        seen: list[int] = []
        with httpx.stream("GET", monitor.url + "live", timeout=10) as reply:
            wait_until(lambda: monitor.viewers == 2)

            def read() -> None:
                for kind, value in records(reply.iter_bytes()):
                    if kind == "F":
                        seen.append(value[0]["n"])

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            slowest = 0.0
            for n in range(300):  # far more than the stalled socket's buffers hold
                t0 = time.perf_counter()
                monitor.frame(stamped(n % 60))
                slowest = max(slowest, time.perf_counter() - t0)
                time.sleep(0.004)
            wait_until(lambda: monitor.frames_encoded and seen and seen[-1] == monitor.frames_encoded)
            assert slowest < 0.1, f"Monitor.frame took {slowest:.3f} s"
            assert len(seen) > 10 and seen == sorted(seen)
            t0 = time.monotonic()
            monitor.close()
            assert time.monotonic() - t0 < CLOSE_GRACE + 5
            reader.join(5)
    finally:
        stalled.close()


def test_closing_sends_the_final_state_and_ends_the_stream(monitor):
    with httpx.stream("GET", monitor.url + "live", timeout=10) as reply:
        stream = records(reply.iter_bytes())
        next(stream)
        wait_until(lambda: monitor.viewers == 1)
        threading.Thread(target=monitor.close).start()
        rest = list(stream)  # ends: the server closed the stream
    assert rest and rest[-1][0] == "S" and rest[-1][1]["ended"] is True
