"""End to end: many takes at once (`llv run` with several files, variants and seeds), inside a network namespace.

Small simulator settings keep each take short: a few frames per chunk, a small frame, a fast playout.
One take is forced to fail (a hand-edited Program with two beats on one chunk, which the model
refuses); every other take must verify. The cloud double with two simulated GPUs and a queue makes
three takes compete, so one waits in the coordinator's queue before it plays.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from longlive_dsl import compile_variants
from longlive_dsl.runtime.trace import read_trace
from longlive_dsl.sim.server import Simulator, http_json

pytestmark = pytest.mark.usefixtures("require_runtime")

FAST = ["--time-scale", "4", "--frames-per-chunk", "6", "--size", "320x176"]
LOOK = "soft film grain, warm dusk light, 35mm lens, slow push-in, teal and amber palette, photoreal detail"
BRANCHING = f"""title "Lighthouse"
define look = "{LOOK}"
scene "Keeper" for 3
  shot "A lighthouse keeper climbs the spiral stairs at dusk, lantern swinging in his hand, {{look}}"
variant "storm"
scene "Storm" for 3
  shot "Waves burst over the black rocks below the lighthouse as the storm arrives, {{look}}"
variant "calm"
scene "Calm" for 2
  shot "The sea lies flat and silver under the first stars, gulls asleep on the rail, {{look}}"
"""
KEY = "rk_takes_test_key"


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


@pytest.fixture
def story(tmp_path: Path) -> Path:
    path = tmp_path / "lighthouse.llv"
    path.write_text(BRANCHING)
    return path


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A compiled Program, hand-edited so that two shots share chunk 2: the model refuses the second."""
    text = (f'scene "A" for 4\n  shot "A fox trots across a frosted meadow at sunrise, {LOOK}"\n'
            f'  shot at 2 "The fox stops and looks back at the camera, {LOOK}"\n'
            f'  shot at 3 "The fox leaps into the snow, {LOOK}"\n')
    [program], _ = compile_variants(text, "broken.llv")
    data = json.loads(program.model_dump_json())
    data["commands"][2]["data"]["at_session_chunk"] = 2
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    return path


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_every_take_plays_in_its_own_folder_and_a_failing_one_does_not_stop_the_others(netns, story, broken, tmp_path):
    out = tmp_path / "takes"
    done = netns.run(llv("run", str(story), str(broken), "--seed", "1,2", "--jobs", "2", "-o", str(out), *FAST),
                     capture_output=True, text=True, timeout=300)
    # --seed applies to storyboards only: refused for the compiled Program, before anything plays.
    assert done.returncode == 2 and "compiled Program" in done.stderr
    done = netns.run(llv("run", str(story), str(broken), "--jobs", "2", "-o", str(out), "--json", *FAST),
                     capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-3000:]
    takes = {t["take"]: t for t in json.loads(done.stdout)["takes"]}
    assert set(takes) == {"lighthouse@storm", "lighthouse@calm", "broken"}
    for name in ("lighthouse@storm", "lighthouse@calm"):
        t = takes[name]
        assert t["status"] == "verified" and t["exit_class"] == "ok" and t["beats_on_plan"] == t["beats"] == 2
        folder = out / name
        assert {p.name for p in folder.iterdir()} >= {"program.json", "video.mp4", "trace.jsonl", "verdict.json", "run.log"}
        assert read_trace(folder / "trace.jsonl")[-1]["kind"] == "end"
        assert t["frames"] >= 5 * 6 * 0.9
    failed = takes["broken"]
    assert failed["status"] == "failed" and failed["exit_class"] == "command_error" and failed["exit_code"] == 9
    assert failed["attempts"] == 1, "a refused command is not retryable"
    assert summary(out)["counts"] == {"verified": 2, "failed": 1}


def test_a_seed_sweep_plays_one_take_per_seed_and_resume_skips_the_verified(netns, story, tmp_path):
    out = tmp_path / "sweep"
    done = netns.run(llv("run", str(story), "--seed", "3..4", "--jobs", "2", "-o", str(out), *FAST),
                     capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    names = [t["take"] for t in summary(out)["takes"]]
    assert names == ["lighthouse@storm-seed3", "lighthouse@calm-seed3", "lighthouse@storm-seed4", "lighthouse@calm-seed4"]
    program = json.loads((out / "lighthouse@calm-seed4" / "program.json").read_text())
    assert program["commands"][0] == {"type": "set_seed", "data": {"seed": 4}}
    assert "take" in done.stdout and "verified" in done.stdout  # the table
    again = netns.run(llv("run", str(story), "--seed", "3..4", "-o", str(out), "--resume", *FAST),
                      capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert all(t["resumed"] for t in summary(out)["takes"])
    assert again.stderr.count("already verified") == 4


@pytest.mark.parametrize(("inherited", "sig", "code"), [(signal.SIG_DFL, signal.SIGINT, 130),
                                                        (signal.SIG_IGN, signal.SIGINT, 130),
                                                        (signal.SIG_DFL, signal.SIGHUP, 129)])
def test_ctrl_c_ends_every_take_cleanly_and_still_writes_the_summary(netns, story, tmp_path, inherited, sig, code):
    """Also when llv starts with SIGINT ignored, as a background job of a script does (and as CI may
    start the whole test run): llv takes SIGINT itself, as a single take's `llv run` does."""
    out = tmp_path / "stopped"
    proc = netns.popen(llv("run", str(story), "--seed", "1..3", "--jobs", "2", "-o", str(out),
                           "--time-scale", "0.5", "--frames-per-chunk", "6", "--size", "320x176"),
                       stdout=open(tmp_path / "out.txt", "w"), stderr=open(tmp_path / "err.txt", "w"),
                       preexec_fn=lambda: signal.signal(signal.SIGINT, inherited))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*/trace.jsonl"))) < 2:
        time.sleep(0.2)
    time.sleep(2)  # the sessions are playing
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == code, (tmp_path / "err.txt").read_text()[-3000:]
    takes = summary(out)["takes"]
    assert len(takes) == 6
    assert {t["status"] for t in takes} <= {"interrupted", "not run", "verified"}
    assert sum(t["status"] == "interrupted" for t in takes) >= 1
    for trace in out.glob("*/trace.jsonl"):
        assert read_trace(trace)[-1]["kind"] == "end"  # every trace ends with its end record
    assert not [p for p in out.rglob("*.tmp")]


def test_takes_competing_on_the_cloud_double_queue_for_its_gpus_and_all_verify(netns, story, tmp_path):
    sim = Simulator(0, cloud=True, api_keys=[KEY], capacity=2, queue=4, frames_per_chunk=6, size=(320, 176),
                    time_scale=4.0, netns=netns.name, log=tmp_path / "sim.log")
    with sim:
        out = tmp_path / "cloud"
        env = {**os.environ, "REACTOR_API_KEY": KEY}
        done = netns.run(llv("run", str(story), "--seed", "1,2", "--jobs", "4", "-o", str(out), "--cloud",
                             "--api-url", sim.base_url, "--time-scale", "4"),
                         capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stderr[-3000:] + sim.log_text()[-3000:]
        takes = summary(out)["takes"]
        assert [t["status"] for t in takes] == ["verified"] * 4
        waited = [t for t in takes if "waiting for a GPU" in (out / t["take"] / "run.log").read_text()]
        assert len(waited) == len(takes), "every take waits through the coordinator's waiting phase"
        assert KEY not in "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()
                                  and p.suffix != ".mp4")


def test_the_cloud_double_queues_sessions_beyond_its_gpus_and_refuses_beyond_its_queue(netns, tmp_path):
    create = {"model": {"name": "longlive-v2"}, "client_info": {"sdk_version": "0", "sdk_type": "test"},
              "supported_transports": [{"protocol": "webrtc", "version": "1.0"}]}
    with Simulator(0, cloud=True, api_keys=[KEY], capacity=2, queue=1, wait_polls=0, size=(320, 176),
                   netns=netns.name, log=tmp_path / "sim.log") as sim:
        def call(method, path, body=None, **headers):
            return http_json(method, sim.base_url + path, body, headers=headers, netns=sim.netns)

        jwt = call("POST", "/tokens", None, **{"Reactor-API-Key": KEY})[1]["jwt"]
        auth = {"Authorization": f"Bearer {jwt}"}
        ids = [call("POST", "/sessions", create, **auth) for _ in range(3)]
        assert [s for s, _, _ in ids] == [201, 201, 201]
        first, second, queued = (doc["session_id"] for _, doc, _ in ids)
        assert call("GET", f"/sessions/{first}", **auth)[1]["state"] == "ACTIVE"
        assert call("GET", f"/sessions/{second}", **auth)[1]["state"] == "ACTIVE"
        waiting = call("GET", f"/sessions/{queued}", **auth)[1]
        assert waiting["state"] == "WAITING" and waiting["queue_position"] == 1 and "capabilities" not in waiting
        status, doc, headers = call("POST", "/sessions", create, **auth)
        assert status == 429 and int(headers["retry-after"]) >= 1  # the queue is full
        assert call("DELETE", f"/sessions/{first}", **auth)[0] == 200
        assert call("GET", f"/sessions/{queued}", **auth)[1]["state"] == "ACTIVE"  # the freed GPU is its
        for sid in (second, queued):
            assert call("DELETE", f"/sessions/{sid}", **auth)[0] == 200
