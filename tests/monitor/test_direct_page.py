"""End to end: `llv direct --monitor` in a pseudo-terminal on the simulator, its page watched by headless
Chromium, both in a network namespace.

The directed session starts from a storyboard; the page is grabbed all along while the terminal is
read. A shot is fired live from the prompt line (scheduled two chunks ahead): the page must show it
scheduled, then fired, beside a picture whose stamps advance and a playhead that follows the session
chunk. Ctrl-Q ends the session and the page says so.
"""

from __future__ import annotations

import json
import sys
import time

import pytest
from direct_terminal import Terminal

from .test_live_page import GRAB, stamp_of

STORYBOARD = '''title "The fox"
seed 7
scene "Fox"
  shot "a red fox in the snow"
  shot at 4 "the fox leaps"
'''
SIM = ["--frames-per-chunk", "4", "--size", "320x176", "--time-scale", "0.5"]
LIVE_SHOT = "a crow lands on the fence, feathers ruffled"
URL = r"monitor: (http://127\.0\.0\.1:\d+/)"


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


def watch(page, term: Terminal, until, timeout: float = 60.0) -> list[dict]:
    """Grab the page (reading the terminal between grabs) until `until(grab)` holds."""
    grabs: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        grab = page.evaluate(GRAB)
        grab["notes"] = page.evaluate("window.llv && llv.state ? llv.state.notes : []")
        grab["stamp"] = stamp_of(grab)
        grabs.append(grab)
        if until(grab):
            return grabs
        term.pump(0.1)
    raise AssertionError(f"the page never got there; last grab: { {k: grabs[-1].get(k) for k in ('chunks_done', 'notes')} }")


@pytest.fixture(scope="module")
def directed(netns_module, require_runtime, chromium, tmp_path_factory):
    """A directed session with --monitor: every grab of its page, before and after a live shot, and after quitting."""
    from browser import Browser

    folder = tmp_path_factory.mktemp("direct-monitor")
    story = folder / "story.llv"
    story.write_text(STORYBOARD)
    term = Terminal(netns_module.argv(llv("direct", str(story), "--monitor", "--no-open",
                                          "--trace", str(folder / "take.jsonl"), *SIM)))
    seen: dict = {}
    try:
        seen["url"] = term.wait_for(URL, 60).group(1)
        with Browser(chromium, profile=folder / "profile", wrap=netns_module.argv) as browser:
            page = browser.open(seen["url"])
            page.wait_for("window.llv && window.llv.ready", timeout=60)
            before = watch(page, term, lambda g: (g["chunks_done"] or 0) >= 6)
            term.type(f"+2 {LIVE_SHOT}\r")
            seen["scheduled"] = int(term.wait_for(r"shot → chunk (\d+)").group(1))
            term.wait_for(rf"chunk {seen['scheduled']}: shot \(live\)", 30)
            after = watch(page, term, lambda g: any("fired (live)" in n for n in g["notes"]))
            after += watch(page, term, lambda g: (g["chunks_done"] or 0) >= seen["scheduled"] + 3)
            term.type("\x11")  # Ctrl-Q
            seen["exit"] = term.finish(60)
            seen["last"] = page.evaluate("({ended: llv.state.ended, status: llv.state.status})")
            seen["console"] = page.console
    finally:
        term.kill()
    seen["grabs"] = before + after
    return seen


def test_the_url_is_on_loopback_and_shown_in_the_log(directed):
    assert directed["url"].startswith("http://127.0.0.1:")


def test_the_page_shows_frames_whose_stamps_advance(directed):
    positions = [(s.session_chunk, s.frame_in_chunk) for g in directed["grabs"] if (s := g["stamp"]) is not None]
    assert len(set(positions)) >= 10, f"only {len(set(positions))} distinct frames seen"
    assert positions == sorted(positions), "the picture went backwards"


def test_the_playhead_follows_the_session_chunk(directed):
    grabs = [g for g in directed["grabs"] if g["chunks_done"] is not None]
    assert all(g["playhead"] == g["chunks_done"] for g in grabs)
    chunks = [g["playhead"] for g in grabs]
    assert chunks == sorted(chunks) and len(set(chunks)) >= 6


def test_the_picture_and_the_playhead_agree(directed):
    for g in directed["grabs"]:
        if g["stamp"] is not None and g["chunks_done"]:
            assert abs(g["stamp"].session_chunk - g["chunks_done"]) <= 3, g


def test_a_live_shot_shows_on_the_page_scheduled_then_fired(directed):
    notes = directed["grabs"][-1]["notes"]
    at = directed["scheduled"]
    scheduled = [i for i, n in enumerate(notes) if n == f"live shot → chunk {at}: “{LIVE_SHOT}”"]
    fired = [i for i, n in enumerate(notes) if n == f"chunk {at}: shot fired (live) “{LIVE_SHOT}”"]
    assert scheduled and fired and scheduled[0] < fired[0], notes


def test_the_planned_beat_shows_as_fired_from_the_plan(directed):
    assert "chunk 4: shot fired (plan) “the fox leaps”" in directed["grabs"][-1]["notes"]


def test_quitting_ends_the_page_and_the_session_cleanly(directed):
    assert directed["exit"] == 0
    assert directed["last"]["ended"] is True
    assert not [line for line in directed["console"] if line.startswith(("uncaught", "error"))]


def test_the_status_on_the_page_is_the_sessions(directed):
    assert {g["status"] for g in directed["grabs"] if g["chunks_done"]} == {"ready"}


# ---- a reconnect after a fault keeps the same page, its playhead going on from the failed session ----

STATE = "import json, sys, urllib.request; print(urllib.request.urlopen(sys.argv[1] + 'state', timeout=10).read().decode())"


def page_state(ns, url: str) -> dict:
    """The page's state (`GET /state`), read inside the namespace."""
    done = ns.run([sys.executable, "-c", STATE, url], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def reconnected(netns_module, require_runtime, tmp_path_factory):
    """A directed session with --monitor whose server freezes; Ctrl-N reconnects; the page read before and after."""
    import os
    import signal

    from longlive_dsl.sim.server import Simulator

    folder = tmp_path_factory.mktemp("direct-reconnect")
    story = folder / "story.llv"
    story.write_text(STORYBOARD)
    seen: dict = {}
    with Simulator(0, time_scale=1.0, frames_per_chunk=4, size=(160, 96), netns=netns_module.name) as s:
        term = Terminal(netns_module.argv(llv("direct", str(story), "--server", s.base_url, "--monitor", "--no-open")))
        try:
            seen["url"] = term.wait_for(URL, 60).group(1)
            term.wait_for(r"session chunk ([89]|\d\d)", 40)  # far enough that a restart from 0 would show
            frozen = [p.pid for p in s.procs]
            for pid in frozen:
                os.kill(pid, signal.SIGSTOP)
            try:
                term.wait_for(r"FAULT: the server stopped answering", 15)
            finally:
                for pid in frozen:
                    os.kill(pid, signal.SIGCONT)
            seen["k"] = int(term.wait_for(r"continuing the plan from chunk (\d+)", 40).group(1))
            seen["faulted"] = page_state(netns_module, seen["url"])
            term.type("\x0e")  # Ctrl-N
            term.wait_for(r"reconnecting: session 2")
            term.wait_for(r"ready .* · playing · session chunk [3-9]", 40)
            seen["chunk"] = term.session_chunk()
            seen["again"] = page_state(netns_module, seen["url"])  # a process in the namespace: chunks go by meanwhile
            term.pump(0.1)
            seen["chunk_after"] = term.session_chunk()
            term.type("\x11")
            seen["exit"] = term.finish(60)
        finally:
            term.kill()
    return seen


def test_a_fault_shows_on_the_page(reconnected):
    assert any(p.startswith("FAULT: the server stopped answering") for p in reconnected["faulted"]["problems"])


def test_a_reconnect_feeds_the_same_page_counting_on_from_the_failed_session(reconnected):
    again = reconnected["again"]
    assert again["status"] == "ready" and not again["ended"]
    # the second session's chunk c is the plan's chunk k + c (rest_of_plan starts it at the failed chunk k)
    k, before, after = reconnected["k"], reconnected["chunk"], reconnected["chunk_after"]
    assert k + before - 2 <= again["progress"]["chunks_done"] <= k + after + 2, (k, before, after, again["progress"])
    assert reconnected["exit"] in (0, 8)
