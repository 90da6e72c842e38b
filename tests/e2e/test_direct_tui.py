"""`llv direct` driven through a pseudo-terminal, its screen read with pyte, against the real
simulator in a network namespace: keystrokes → commands on the wire → the model's state → the screen
→ the take → a replay that verifies. Refusals, pause, reset, snap clips, Ctrl-C."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import av
import pytest
from direct_terminal import Terminal

from longlive_dsl import model
from longlive_dsl.runtime.trace import read_trace

STORY = textwrap.dedent('''\
    seed 31
    define gull = "a gull hangs in the wind above the cliff, wings trembling, grey sky"
    scene "Cliff"
      shot "A lighthouse on a basalt cliff at dusk, waves breaking below, slow aerial orbit, cold light"
      shot at 40 "The lamp turns on and sweeps across the dark sea, spray glittering in its beam"
    scene "Lamp room" at 44
      shot "Inside the lamp room, brass gears turning, warm light on the keeper's tired face"
''')

SIM = ["--frames-per-chunk", "4", "--size", "160x96", "--time-scale", "0.5"]


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


def sent(trace: Path) -> list[dict]:
    return [r["frame"]["data"] for r in read_trace(trace)
            if r["kind"] == "send" and r["frame"].get("scope") == "application"]


@pytest.fixture(scope="module")
def directed(netns_module, require_runtime, tmp_path_factory):
    """One directed session, every step checked as it happens; what it left behind, for the tests."""
    tmp = tmp_path_factory.mktemp("tui")
    story = tmp / "story.llv"
    story.write_text(STORY, encoding="utf-8")
    take = tmp / "take.llv"
    term = Terminal(netns_module.argv(llv("direct", str(story), "--take", str(take), "--video", str(tmp / "live.mp4"),
                                          *SIM)))
    seen: dict = {}
    term.wait_for(r"ready", 40)
    term.wait_for(r"session chunk [1-9]")
    seen["first_screen"] = term.text()
    term.type("+3 A crow lands on the rail of the gallery, feathers ruffled by the wind\r")
    seen["scheduled"] = term.wait_for(r"shot → chunk (\d+)").group(1)
    term.type("@40 a second beat on the planned chunk\r")
    term.wait_for(r"refused: chunk 40 already holds a shot")
    seen["refusal"] = term.wait_for(r"fix: (.*)").group(1)
    term.wait_for(rf"chunk {seen['scheduled']}: shot \(live\)")  # fired where it was scheduled
    term.type("1")
    term.wait_for(r"define \{gull\} as a shot")
    term.wait_for(r"shot \(live\) “a gull hangs")
    term.type("The keeper climbs the spiral stair with a lantern, shadows wheeling on the wall")
    term.type("\x18")  # Ctrl-X: cut now
    term.wait_for(r"cut → the next chunk")
    term.wait_for(r"cut \(live\)")
    term.type("\x10")  # Ctrl-P: pause
    term.wait_for(r"· paused ·")
    paused_at = term.session_chunk()
    term.pump(1.5)
    seen["chunks_while_paused"] = term.session_chunk() - paused_at
    term.type("\x10")
    term.wait_for(r"· playing ·")
    term.type("\x13")  # Ctrl-S: snap clip
    seen["clip"] = term.wait_for(r"snap clip: (\S+\.mp4)").group(1)
    term.type("\x12")  # Ctrl-R, then anything but y: nothing happens
    term.wait_for(r"press y to confirm")
    term.type("n")
    term.wait_for(r"reset cancelled")
    term.type("\x12")
    term.type("y")
    term.wait_for(r"reset: type a shot to start")
    term.type("A storm rolls in over the sea, lightning over the lighthouse, rain lashing the glass\r")
    term.wait_for(r"opener \(live\)")
    term.wait_for(r"session chunk [3-9]")
    term.type("\x11")  # Ctrl-Q
    seen["exit"] = term.finish()
    seen["screen"] = term.text()
    return netns_module, tmp, seen


def test_the_screen_shows_the_connection_the_budget_and_the_timeline(directed):
    _, _, seen = directed
    screen = seen["first_screen"]
    assert re.search(r"ready( \(.*\))? · playing · session chunk [1-9] · \d+ frames", screen), screen
    assert re.search(rf"scene budget: chunk [1-9] of {model.SCENE_BUDGET_CHUNKS}, \d+ left", screen), screen
    assert re.search(r"chunk +40 shot +plan “The lamp turns on", screen), screen  # the beats to come
    assert re.search(r"chunk +44 cut +plan “Inside the lamp room", screen), screen
    assert "▶ playhead" in screen and re.search(r" o-*▶", screen), screen  # the timeline: opener, then the playhead


def test_a_scheduled_shot_goes_on_the_wire_at_its_chunk(directed):
    _, tmp, seen = directed
    chunk = int(seen["scheduled"])
    assert {"type": "schedule_shot", "data": {"prompt": "A crow lands on the rail of the gallery, feathers ruffled by "
                                              "the wind", "at_session_chunk": chunk}} in sent(tmp / "take.jsonl")


def test_a_beat_tying_with_the_plan_is_refused_on_screen_with_the_fix_and_never_sent(directed):
    _, tmp, seen = directed
    assert "`@41`" in seen["refusal"]
    assert not any(d["data"].get("prompt") == "a second beat on the planned chunk" for d in sent(tmp / "take.jsonl"))


def test_quick_key_1_fires_the_first_define_as_a_shot(directed):
    _, tmp, _ = directed
    assert {"type": "set_shot", "data": {"prompt": "a gull hangs in the wind above the cliff, wings trembling, grey sky"}} \
        in sent(tmp / "take.jsonl")


def test_ctrl_x_fires_the_line_as_a_cut(directed):
    _, tmp, _ = directed
    assert {"type": "scene_cut", "data": {"prompt": "The keeper climbs the spiral stair with a lantern, shadows "
                                          "wheeling on the wall"}} in sent(tmp / "take.jsonl")


def test_pause_stops_the_chunk_clock_until_resume(directed):
    _, tmp, seen = directed
    assert seen["chunks_while_paused"] == 0
    types = [d["type"] for d in sent(tmp / "take.jsonl")]
    assert "pause" in types and "resume" in types


def test_reset_asks_first_and_only_y_sends_it(directed):
    _, tmp, _ = directed
    assert [d["type"] for d in sent(tmp / "take.jsonl")].count("reset") == 1


def test_a_snap_clip_is_a_playable_mp4(directed):
    _, _, seen = directed
    with av.open(seen["clip"]) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames > 10


def test_quitting_closes_the_session_and_leaves_a_valid_trace_and_video(directed):
    _, tmp, seen = directed
    assert seen["exit"] == 0
    records = read_trace(tmp / "take.jsonl")
    assert records[-1]["kind"] == "end" and records[-1]["exit_code"] == 0
    assert any(r["kind"] == "http" and r["path"].endswith("stop_session") for r in records) or \
        any(r["kind"] == "http" and r["method"] == "DELETE" for r in records)
    with av.open(str(tmp / "live.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) > 0


def test_the_take_replays_on_the_simulator_and_verifies(directed):
    ns, tmp, _ = directed
    assert (tmp / "take-2.llv").exists()  # the reset split it
    lint = subprocess.run(llv("lint", str(tmp / "take.llv")), capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0 and "warning" not in lint.stdout + lint.stderr, lint.stdout + lint.stderr
    replay = ns.run(llv("run", str(tmp / "take.llv"), "--frames-per-chunk", "4", "--size", "160x96",
                        "--time-scale", "4", "--plain", "--trace", str(tmp / "replay.jsonl")),
                    capture_output=True, text=True, timeout=180)
    assert replay.returncode == 0, replay.stderr[-2000:]
    verified = subprocess.run(llv("verify", str(tmp / "replay.jsonl"), str(tmp / "take.llv")),
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout


def test_ctrl_c_ends_the_session_with_a_valid_trace_and_video(netns_module, require_runtime, tmp_path):
    story = tmp_path / "story.llv"
    story.write_text(STORY, encoding="utf-8")
    term = Terminal(netns_module.argv(llv("direct", str(story), "--trace", str(tmp_path / "t.jsonl"),
                                          "--video", str(tmp_path / "v.mp4"), *SIM)))
    term.wait_for(r"session chunk [2-9]", 40)
    term.type("\x03")
    assert term.finish() == 0
    records = read_trace(tmp_path / "t.jsonl")
    assert records[-1]["kind"] == "end"
    with av.open(str(tmp_path / "v.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) > 0
    assert json.loads(json.dumps(records))  # every line whole JSON


def test_sigterm_closes_the_session_cleanly_with_the_interrupted_exit_code(netns_module, require_runtime, tmp_path):
    import signal

    story = tmp_path / "story.llv"
    story.write_text(STORY, encoding="utf-8")
    term = Terminal(netns_module.argv(llv("direct", str(story), "--trace", str(tmp_path / "t.jsonl"), *SIM)))
    term.wait_for(r"session chunk [2-9]", 40)
    term.signal(signal.SIGTERM)
    assert term.finish() == 130
    records = read_trace(tmp_path / "t.jsonl")
    assert records[-1]["kind"] == "end"


def test_the_documented_example_script_runs(netns_module, require_runtime, tmp_path):
    example = Path(__file__).resolve().parents[2] / "examples" / "direct.py"
    done = netns_module.run([sys.executable, str(example), "", str(tmp_path / "t.jsonl")],
                            capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "declined: chunk" in done.stdout and "Transport(what='paused')" in done.stdout
    assert "BeatFired(kind='cut'" in done.stdout
