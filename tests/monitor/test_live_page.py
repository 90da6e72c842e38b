"""End to end: `llv run --monitor` on the simulator, watched by headless Chromium in a network namespace.

One monitored take is watched from start to end by two tabs; the page's canvas is grabbed all along
and the simulator's stamp read back from it (sim/frames.read_stamp), with the playhead and the state
the page shows. A second monitored take has its tab closed mid-run and a stalled viewer (a raw
socket that never reads) attached; a third take runs without the monitor. The recordings and
traces of the second and third must not differ.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from longlive_dsl.monitor.server import ENCODE_QUEUE
from longlive_dsl.runtime.trace import read_trace
from longlive_dsl.sim.frames import block_size, read_stamp

STORYBOARD = '''title "The fox and the city"
seed 7
scene "Fox"
  shot "a red fox in the snow"
  shot at 4 "the fox leaps"
scene "City" at 12
  shot "a city at night"
end at 24
'''
END = 24
FPC = 6
SIZE = "320x176"
TIME_SCALE = "0.5"  # 24 chunks of 6 frames at 24 fps: 12 s of take, time for Chromium to open the page
URL = re.compile(r"monitor: (http://127\.0\.0\.1:\d+/)")

GRAB = """(() => {
  const c = document.getElementById("video");
  const b = Math.max(4, Math.floor(c.width / 40));
  const px = c.getContext("2d").getImageData(0, 0, 32 * b, 2 * b).data;
  const grey = [];
  for (let i = 0; i < px.length; i += 4) grey.push(px[i + 1]);
  const head = document.getElementById("llv-playhead");
  return {width: c.width, grey, frames: llv.frames, n: llv.last && llv.last.n,
          playhead: head && Number(head.getAttribute("data-chunk")),
          transform: head && head.getAttribute("transform"),
          chunks_done: llv.state && llv.state.progress.chunks_done,
          scene: llv.state && llv.state.progress.scene_number,
          next_beat: llv.state && llv.state.next_beat, ended: llv.state && llv.state.ended,
          status: llv.state && llv.state.status, monitor: llv.state && llv.state.monitor};
})()"""


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


def stamp_of(grab: dict):
    """The stamp in a canvas grab (the top-left corner's green channel), None when unreadable."""
    width = grab["width"]
    b = block_size(width)
    if not grab["grey"] or len(grab["grey"]) != 2 * b * 32 * b:
        return None
    picture = np.zeros((2 * b, width), dtype=np.uint8)
    picture[:, : 32 * b] = np.array(grab["grey"], dtype=np.uint8).reshape(2 * b, 32 * b)
    return read_stamp(picture)


def start_take(ns, folder: Path, *extra: str) -> tuple[subprocess.Popen, Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    story = folder / "story.llv"
    story.write_text(STORYBOARD)
    video, trace, err = folder / "take.mp4", folder / "take.jsonl", folder / "stderr.txt"
    with open(err, "w") as stderr:
        proc = ns.popen(llv("run", str(story), "--time-scale", TIME_SCALE, "--frames-per-chunk", str(FPC),
                            "--size", SIZE, "--video", str(video), "--trace", str(trace), "--plain", *extra),
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    return proc, video, trace, err


def monitor_url(proc: subprocess.Popen, err: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = URL.search(err.read_text())
        if found:
            return found.group(1)
        assert proc.poll() is None, f"llv run ended early:\n{err.read_text()[-3000:]}"
        time.sleep(0.05)
    raise AssertionError(f"no monitor URL within {timeout} s:\n{err.read_text()[-3000:]}")


def finish(proc: subprocess.Popen, err: Path, timeout: float = 120) -> str:
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"llv run did not end within {timeout} s") from None
    text = err.read_text()
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text and "ERROR" not in text, text[-3000:]  # nothing leaks from the server
    return text


def video_stamps(video: Path) -> list[tuple[int, int]]:
    with av.open(str(video)) as container:
        stamps = [read_stamp(f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    return [(s.session_chunk, s.frame_in_chunk) if s else (-1, -1) for s in stamps]


def trace_summary(trace: Path) -> dict:
    """What a take's trace says that must not depend on who watched: the end and the messages in order."""
    records = read_trace(trace)
    end = records[-1]
    received = [(r["frame"]["type"], r["frame"]["data"].get("session_chunk"))
                for r in records if r["kind"] == "recv" and isinstance(r.get("frame"), dict)
                and r["frame"].get("type") in ("chunk_complete", "shot_scheduled", "scene_cut_scheduled")]
    return {"end": {k: end.get(k) for k in ("kind", "exit_code", "chunks_done", "frames_received",
                                            "frames_recorded", "frames_dropped")},
            "received": received}


@pytest.fixture(scope="module")
def watched(netns_module, require_runtime, chromium, tmp_path_factory):
    """A monitored take watched by two tabs from start to end; every grab of the first tab, and the second's last."""
    from browser import Browser

    folder = tmp_path_factory.mktemp("watched")
    proc, video, trace, err = start_take(netns_module, folder, "--monitor", "--no-open")
    grabs, second = [], None
    try:
        url = monitor_url(proc, err)
        with Browser(chromium, profile=folder / "profile", wrap=netns_module.argv) as browser:
            page = browser.open(url)
            other = browser.open(url)
            page.wait_for("window.llv && window.llv.ready", timeout=60)
            while proc.poll() is None:
                grab = page.evaluate(GRAB)
                grab["stamp"] = stamp_of(grab)
                grabs.append(grab)
                if grab["ended"]:
                    break
                time.sleep(0.1)
            second = other.evaluate(GRAB)
            console = page.console
        stderr = finish(proc, err)
    finally:
        if proc.poll() is None:
            proc.kill()
    return {"grabs": grabs, "second": second, "stderr": stderr, "console": console, "video": video,
            "trace": trace, "url": url}


def test_the_url_is_on_loopback_and_printed(watched):
    assert watched["url"].startswith("http://127.0.0.1:")


def test_the_page_shows_frames_whose_stamps_advance(watched):
    stamps = [g["stamp"] for g in watched["grabs"] if g["stamp"] is not None]
    positions = [(s.session_chunk, s.frame_in_chunk) for s in stamps]
    assert len(set(positions)) >= 10, f"only {len(set(positions))} distinct frames seen"
    assert positions == sorted(positions), "the picture went backwards"
    assert positions[-1][0] >= END - 3  # it kept up to the end of the take


def test_every_frame_the_client_received_was_encoded_for_the_page(watched):
    counts = watched["grabs"][-1]["monitor"]
    assert counts["encode_errors"] == 0 and counts["frames_in"] >= END * FPC
    handled = counts["frames_encoded"] + counts["frames_skipped"] + counts["frames_unwatched"]
    assert counts["frames_in"] - handled <= ENCODE_QUEUE  # only what was still queued at the very end


def test_the_page_shows_the_planned_scene_in_each_frame(watched):
    for g in watched["grabs"]:
        s = g["stamp"]
        if s is not None:
            assert s.scene_number == (0 if s.session_chunk < 12 else 1)  # stamps count scenes from 0


def test_the_playhead_follows_the_session_chunk(watched):
    grabs = [g for g in watched["grabs"] if g["chunks_done"] is not None]
    assert all(g["playhead"] == g["chunks_done"] for g in grabs)
    chunks = [g["playhead"] for g in grabs]
    assert chunks == sorted(chunks) and len(set(chunks)) >= 6 and chunks[-1] == END
    moved = {g["transform"] for g in grabs if g["playhead"] > 0}
    assert len(moved) == len({c for c in chunks if c > 0})  # a different place for each chunk


def test_the_picture_and_the_playhead_agree(watched):
    for g in watched["grabs"]:
        if g["stamp"] is not None and g["chunks_done"] is not None:
            # the frame on screen belongs to the chunk being completed, within the data channel's lead
            assert abs(g["stamp"].session_chunk - g["chunks_done"]) <= 3, g


def test_the_next_beat_is_the_planned_one(watched):
    for g in watched["grabs"]:
        done, beat = g["chunks_done"], g["next_beat"]
        if done is None:
            continue
        if done <= 4:
            assert beat["chunk"] == 4 and beat["kind"] == "shot"
        elif done <= 12:
            assert beat["chunk"] == 12 and beat["kind"] == "cut"
        else:
            assert beat is None


def test_a_second_tab_watches_at_the_same_time(watched):
    second = watched["second"]
    assert second["frames"] > 10 and stamp_of(second) is not None


def test_the_page_says_the_run_ended(watched):
    assert watched["grabs"][-1]["ended"] is True
    assert not [line for line in watched["console"] if line.startswith(("uncaught", "error"))]


# ---- a tab closed mid-run and a stalled viewer change nothing in the recording or the trace ----


@pytest.fixture(scope="module")
def unwatched(netns_module, require_runtime, tmp_path_factory):
    def take():
        folder = tmp_path_factory.mktemp("unwatched")
        proc, video, trace, err = start_take(netns_module, folder)
        finish(proc, err)
        return {"video": video, "trace": trace}

    return without_transit_losses(take)


def lost_in_transit(trace: Path) -> bool:
    """Whether a take lost frames before the monitor could see them (the network, or a starved client)."""
    end = read_trace(trace)[-1]
    return bool(end.get("frames_dropped")) or end.get("frames_recorded") != end.get("frames_received")


def without_transit_losses(take):
    """`take()`, played once more if it lost frames in transit, as the trace reports.

    On a machine shared with other work a client starved of CPU can lose a frame before it is
    decoded; that loss is the network's, reported in the trace, not the monitor's, and would make two
    takes differ for a reason this test is not about.
    """
    result = take()
    if lost_in_transit(result["trace"]):
        result = take()
    return result


def stalled_viewer(ns, url: str):
    """A raw socket, inside the namespace, that asks for the live stream and never reads a byte."""
    import socket

    host, port = url.removeprefix("http://").rstrip("/").split(":")
    with ns.entered():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window, kept small
    sock.connect((host, int(port)))
    sock.sendall(f"GET /live HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    return sock


@pytest.fixture(scope="module")
def closed_mid_run(netns_module, require_runtime, chromium, tmp_path_factory):
    return without_transit_losses(lambda: take_closed_mid_run(netns_module, chromium, tmp_path_factory))


def take_closed_mid_run(netns_module, chromium, tmp_path_factory):
    import socket

    from browser import Browser

    folder = tmp_path_factory.mktemp("closed")
    proc, video, trace, err = start_take(netns_module, folder, "--monitor", "--no-open")
    stalled = None
    try:
        url = monitor_url(proc, err)
        stalled = stalled_viewer(netns_module, url)
        with Browser(chromium, profile=folder / "profile", wrap=netns_module.argv) as browser:
            page = browser.open(url)
            page.wait_for("window.llv && llv.state && llv.state.progress.chunks_done >= 4", timeout=60)
            seen = page.evaluate("llv.frames")
            target = browser.send("Target.getTargets")["targetInfos"]
            for info in target:
                if info["type"] == "page" and info["url"] == url:
                    browser.send("Target.closeTarget", {"targetId": info["targetId"]})
        t0 = time.monotonic()
        finish(proc, err)
        ended_after = time.monotonic() - t0
        answered = stalled.recv(64, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    finally:
        if stalled is not None:
            stalled.close()
        if proc.poll() is None:
            proc.kill()
    return {"video": video, "trace": trace, "seen": seen, "ended_after": ended_after, "answered": answered}


WIRE_LOSSES = 2
"""Frames one take may lose on the wire and the other not (a loaded machine can lose the first key
frame's successor): the wire's doing, not the monitor's, so the videos may differ by that many."""


def test_closing_the_page_mid_run_changes_nothing_in_the_video(closed_mid_run, unwatched):
    assert closed_mid_run["seen"] > 0
    monitored, plain = video_stamps(closed_mid_run["video"]), video_stamps(unwatched["video"])
    ends = [read_trace(t)[-1] for t in (closed_mid_run["trace"], unwatched["trace"])]
    assert len(monitored) == len(plain) == END * FPC, ends
    # VP8 then H.264 may blur the odd stamp past reading (tests/e2e/test_run_examples.py): those are skipped
    unreadable = (-1, -1)
    assert sum(s == unreadable for s in monitored + plain) <= 0.03 * len(monitored), (monitored, plain)
    for video in (monitored, plain):
        readable = [s for s in video if s != unreadable]
        assert readable == sorted(set(readable)), "every frame once, in the order the model made them"
    # The frames of the storyboard's chunks (a frame lost on the wire lets one of the next chunk in at the end)
    held = [{s for s in video if s != unreadable and s[0] < END} for video in (monitored, plain)]
    blurred = sum(s == unreadable for s in monitored + plain)  # each hides one frame that may be in the other
    assert len(held[0] ^ held[1]) <= 2 * WIRE_LOSSES + blurred, (sorted(held[0] - held[1]), sorted(held[1] - held[0]))


def test_closing_the_page_mid_run_changes_nothing_in_the_trace(closed_mid_run, unwatched):
    assert trace_summary(closed_mid_run["trace"]) == trace_summary(unwatched["trace"])
    done = subprocess.run(llv("verify", str(closed_mid_run["trace"]), str(closed_mid_run["trace"].parent / "story.llv")),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_stalled_viewer_does_not_hold_the_run_at_its_end(closed_mid_run):
    assert closed_mid_run["answered"].startswith(b"HTTP/1.1 200")  # it was a viewer, sent frames it never read
    assert closed_mid_run["ended_after"] < 60  # the take ends on its own; the stalled socket is cut
