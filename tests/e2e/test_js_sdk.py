"""End to end: Reactor's published JavaScript SDK, in headless Chromium, plays a compiled storyboard
on `llv serve`.

The client family Reactor's own apps are built on: ``@reactor-team/js-sdk`` 2.9.0 (pinned in
``tests/e2e/js/package-lock.json``; ``make test`` runs ``npm ci`` there) is bundled with esbuild
into a page (``tests/e2e/js/page.js``) that uses the SDK in local mode (``local: true``) against
the simulator. Everything runs inside a private network namespace: the simulator, a small HTTP
server for the page, and Debian's Chromium, which the test drives over the DevTools protocol
(``tests/browser.py``). SDK 2.9.0 negotiates WebRTC the single-connection way
(``POST …/transport/webrtc/sdp_params``, one data channel), which ``llv serve`` maps onto the
runtime's per-connection negotiation (``longlive_dsl/sim/compat.py``).

One run, shared by the tests of this module: the page connects, sends the Program ``llv compile``
wrote with ``sendCommand``, records every message and every video frame the ``<video>`` element
presents (``requestVideoFrameCallback``, with the simulator's stamp read from each), and
disconnects at the storyboard's ``end``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import Browser, find_chromium

from longlive_dsl import model

ROOT = Path(__file__).resolve().parents[2]
JS = Path(__file__).resolve().parent / "js"
ESBUILD = JS / "node_modules" / ".bin" / "esbuild"

FPS, FPC, TIME_SCALE = 24, 12, 2.0  # 12 frames a chunk at 48 frames/s: a chunk every 0.25 s
SIZE = (320, 192)
BUDGET = 4  # each scene of the storyboard is 4 chunks long: its cut lands on the budget's edge

STORYBOARD = """\
title "In the browser"
seed 42

scene "Snow"
  shot "A red fox trots through fresh powder snow at dawn, breath steaming, low golden sun behind the pines, a slow tracking shot at knee height, soft pastel palette."
  shot at 2 "The fox stops mid-stride and looks straight back at the camera, ears up, snow drifting from a branch above, a locked-off close-up with shallow focus."

scene "Storm" at 4
  shot "A stone lighthouse on a basalt cliff in a violent night storm, waves exploding against the rocks, its beam sweeping the rain, a wide static shot, cold blue palette."
  shot at 6 "Lightning splits the sky behind the lighthouse and for an instant the whole cliff is lit silver-white, a wide shot that holds as the thunder rolls in."

end at 8
"""


# --------------------------------------------------------------------------- helpers


def _require(condition: bool, reason: str) -> None:
    if not condition:
        pytest.fail(reason)  # `make test` installs all of these and runs as root


@contextlib.contextmanager
def serve_directory(directory: Path, netns) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 inside ``netns``, from a thread of this process."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    with netns.entered():  # the listening socket (and so every connection) lives in the namespace
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="page-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def bundle_page(out: Path) -> None:
    """Bundle tests/e2e/js/page.js (and the SDK) with esbuild next to page.html in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(ESBUILD), str(JS / "page.js"), "--bundle", "--format=esm", "--log-level=warning",
         "--define:process.env.NODE_ENV=\"production\"", f"--outfile={out / 'page.bundle.js'}"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    shutil.copy(JS / "page.html", out / "page.html")


def compile_storyboard(tmp: Path) -> dict:
    """Write the storyboard and compile it the way a user does (``llv compile --json``)."""
    source, program = tmp / "browser.llv", tmp / "browser.program.json"
    source.write_text(STORYBOARD, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "longlive_dsl.cli", "compile", str(source), "--json", "-o",
                           str(program)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(program.read_text(encoding="utf-8"))


def read_corner(frame: dict):
    """The simulator's stamp in one presented frame (None when unreadable)."""
    import numpy as np

    from longlive_dsl.sim.frames import block_size, read_stamp

    if not frame["corner"]:
        return None
    width = frame["width"]
    b = block_size(width)
    corner = np.frombuffer(base64.b64decode(frame["corner"]), dtype=np.uint8).reshape(2 * b, 32 * b)
    picture = np.zeros((2 * b, width), dtype=np.uint8)  # read_stamp sizes its blocks by the width
    picture[:, : 32 * b] = corner
    return read_stamp(picture)


# --------------------------------------------------------------------------- the run


@pytest.fixture(scope="module")
def browser_run(netns_module, require_runtime, tmp_path_factory):
    """Play the storyboard once in Chromium; everything the page saw, plus the Program."""
    from longlive_dsl.sim.server import Simulator

    chromium = find_chromium()
    _require(chromium is not None, "Chromium is not installed (apt-get install chromium)")
    _require(ESBUILD.exists(), f"the JS test package is not installed (cd {JS.relative_to(ROOT)} && npm ci)")
    tmp = tmp_path_factory.mktemp("js-sdk")
    program = compile_storyboard(tmp)
    bundle_page(tmp / "site")
    sim = Simulator(0, fps=FPS, frames_per_chunk=FPC, scene_budget=BUDGET, size=SIZE, time_scale=TIME_SCALE,
                    netns=netns_module.name, log=tmp / "sim.log")
    browser = Browser(chromium, profile=tmp / "profile", wrap=netns_module.argv)
    page = None
    try:
        with sim, serve_directory(tmp / "site", netns_module) as site, browser:
            page = browser.open(f"{site}/page.html?api={sim.base_url}")
            page.wait_for("window.llv && window.llv.ready")
            statuses = page.evaluate("llv.connect()", timeout=40)
            stop = program["end"] if program["end"] is not None else program["stops_at"]
            run = page.evaluate(f"llv.play({json.dumps(program['commands'])}, {stop})", timeout=90)
            console = page.console
    except Exception:
        print("--- simulator log (tail) ---\n" + sim.log_text()[-4000:])
        print("--- chromium log (tail) ---\n" + browser.log_tail())
        if page is not None:
            print("--- page console (tail) ---\n" + "\n".join(page.console[-60:]))
        raise
    return {"program": program, "statuses": statuses, "run": run, "console": console, "stop": stop,
            "sim_log": sim.log_text()}


def _messages(run: dict, kind: str) -> list[dict]:
    return [m["data"] for m in run["messages"] if m["type"] == kind]


def planned_scene(program: dict, session_chunk: int) -> int:
    """The 0-based scene number the plan puts on ``session_chunk`` (frame stamps count from 0)."""
    starts = sorted(scene["start"] for scene in program["scenes"])
    return sum(1 for start in starts if start <= session_chunk) - 1


# --------------------------------------------------------------------------- the tests


def test_the_page_connects_through_disconnected_connecting_waiting_ready(browser_run):
    assert browser_run["statuses"] == ["disconnected", "connecting", "waiting", "ready"]
    assert browser_run["run"]["errors"] == []
    assert browser_run["run"]["tracks"] == [{"name": model.VIDEO_TRACK, "kind": "video"}]


def test_the_sdk_negotiated_on_the_single_connection_route(browser_run):
    # SDK 2.9.0 never registers a connection: it offers on the session (one POST), polls the
    # answer there, and opens one data channel; the simulator serves that as connection 1001.
    assert browser_run["sim_log"].count("single-connection offer, negotiated as connection 1001") == 1
    console = browser_run["console"]
    assert "debug: [WebRTCTransport] SDP offer accepted (202)" in console
    assert any(line.startswith("debug: [WebRTCTransport] Received SDP answer") for line in console)


ACKS = {model.SCHEDULE_SHOT: model.SHOT_SCHEDULED, model.SCHEDULE_SCENE_CUT: model.SCENE_CUT_SCHEDULED}


def test_the_program_sent_with_sendCommand_is_accepted(browser_run):
    run, commands = browser_run["run"], browser_run["program"]["commands"]
    planned = [(ACKS[c["type"]], c["data"]["prompt"], c["data"][model.AT_SESSION_CHUNK]) for c in commands
               if c["type"] in ACKS]
    acks = [(m["type"], m["data"]["prompt"], m["data"][model.AT_SESSION_CHUNK]) for m in run["messages"]
            if m["type"] in ACKS.values()]
    assert acks == planned and len(planned) == 3
    opener = next(c["data"]["prompt"] for c in commands if c["type"] == model.SET_SHOT)
    assert _messages(run, model.SHOT_SET) == [{"prompt": opener}]
    assert len(_messages(run, model.GENERATION_STARTED)) == 1
    assert _messages(run, model.COMMAND_ERROR) == []
    assert _messages(run, model.STATE)[-1]["seed"] == 42


def test_state_and_chunk_complete_messages_arrive_for_every_chunk(browser_run):
    run, stop = browser_run["run"], browser_run["stop"]
    states = _messages(run, model.STATE)
    assert states[0]["started"] is False  # the state sent on connect
    assert any(s["running"] for s in states)
    completes = _messages(run, model.CHUNK_COMPLETE)
    assert [m["session_chunk"] for m in completes][:stop] == list(range(stop))
    emitted = [m["frames_emitted"] for m in completes]
    assert emitted == sorted(emitted) and emitted[0] > 0


def test_every_beat_fires_on_its_planned_chunk(browser_run):
    run, program = browser_run["run"], browser_run["program"]
    completes = _messages(run, model.CHUNK_COMPLETE)
    prompt_at = {m["session_chunk"]: m["active_prompt"] for m in completes}
    index_at = {m["session_chunk"]: m["chunk_index"] for m in completes}
    cuts = [(m[model.AT_SESSION_CHUNK], m["prompt"]) for m in _messages(run, model.SCENE_CUT_FIRED)]
    beats = [beat for scene in program["scenes"] for beat in scene["beats"]]
    assert [b["kind"] for b in beats] == ["opener", "shot", "cut", "shot"]
    for beat in beats:
        chunk = beat["chunk"]
        assert prompt_at.get(chunk) == beat["prompt"], f"the {beat['kind']} planned for chunk {chunk}"
        if chunk > 0:
            assert prompt_at.get(chunk - 1) != beat["prompt"], f"the {beat['kind']} fired before chunk {chunk}"
        if beat["kind"] == "cut":
            assert index_at[chunk] == 0, f"the cut at chunk {chunk} did not start a scene"
    assert cuts == [(b["chunk"], b["prompt"]) for b in beats if b["kind"] == "cut"]


def test_the_video_element_presents_the_decoded_frames(browser_run):
    run, stop, program = browser_run["run"], browser_run["stop"], browser_run["program"]
    sent = _messages(run, model.CHUNK_COMPLETE)[stop - 1]["frames_emitted"]  # the whole session's
    # The runtime opens the stream with a placeholder frame of its own size; then the model's.
    frames = [f for f in run["frames"] if (f["width"], f["height"]) == SIZE]
    # requestVideoFrameCallback fires for presented frames (several presented between two
    # callbacks count once); `presented` is the element's own count of frames it presented.
    assert len(frames) >= 0.5 * sent, f"{len(frames)} frame callbacks for {sent} frames sent"
    assert frames[-1]["presented"] >= 0.75 * sent, f"{frames[-1]['presented']} presented of {sent}"
    stamps = [s for s in map(read_corner, frames) if s is not None]
    assert len(stamps) >= 0.9 * len(frames), f"only {len(stamps)} readable stamps in {len(frames)} frames"
    keys = [(s.session_chunk, s.frame_in_chunk) for s in stamps]
    assert keys == sorted(keys), "frames presented out of order"
    # Every chunk shows. (The very first frames may go while the decoder switches from the
    # runtime's placeholder to the model's size, so chunk 0 may be missed on a busy machine.)
    assert {s.session_chunk for s in stamps} >= set(range(1, stop)), "a chunk never showed"
    for s in stamps:  # each frame shows the scene the plan puts on its chunk
        assert s.scene_number == planned_scene(program, s.session_chunk), s
