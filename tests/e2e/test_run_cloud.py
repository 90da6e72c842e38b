"""End to end: `llv run --cloud` against the cloud double (coordinator + simulator) in a network namespace.

A good key runs (after one 429 that is retried), the session is deleted at the end, and neither the
key nor the JWT it was traded for appears in the trace, the output or the server's log. A bad key
ends with the 401 message and exit 3.
"""

from __future__ import annotations

import os
import sys

import pytest
from runtime.programs import make_program, write_source

from longlive_dsl.runtime.trace import read_trace
from longlive_dsl.sim.server import Simulator

KEY = "rk_e2e_cloud_5f1c9a7b3d"
BEATS = ((0, "opener", "a red fox in the snow"), (2, "shot", "the fox leaps"), (4, "cut", "a city at night"))


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


@pytest.fixture(scope="module")
def cloud(netns_module, require_runtime):
    sim = Simulator(0, cloud=True, api_keys=[KEY], refuse_first=1, retry_after=1, wait_polls=2,
                    time_scale=4.0, frames_per_chunk=6, size=(320, 176), netns=netns_module.name)
    with sim:
        yield netns_module, sim


@pytest.fixture
def program_file(tmp_path):
    src = write_source(tmp_path / "story.llv", BEATS)
    path = tmp_path / "story.program.json"
    path.write_text(make_program(BEATS, end=6, file=src).model_dump_json())
    return path


def run_cloud(ns, sim, program_file, tmp_path, key):
    env = {**os.environ, "REACTOR_API_KEY": key}
    trace = tmp_path / "cloud.jsonl"
    done = ns.run(llv("run", str(program_file), "--cloud", "--api-url", sim.base_url, "--trace", str(trace),
                      "--video", str(tmp_path / "cloud.mp4"), "--plain"),
                  capture_output=True, text=True, timeout=90, env=env)
    return done, trace


def test_a_good_key_runs_after_a_429_and_deletes_the_session(cloud, program_file, tmp_path):
    ns, sim = cloud
    done, trace = run_cloud(ns, sim, program_file, tmp_path, KEY)
    assert done.returncode == 0, done.stderr[-3000:]
    records = read_trace(trace)
    calls = [(r["method"], r["path"].split("/transport")[0], r["status"]) for r in records if r["kind"] == "http"]
    assert calls[0] == ("POST", "/tokens", 200)
    assert [c for c in calls if c[1] == "/sessions"] == [("POST", "/sessions", 429), ("POST", "/sessions", 201)]
    assert calls[-1][0] == "DELETE" and calls[-1][2] == 200
    assert records[-1]["kind"] == "end" and records[-1]["exit_code"] == 0

    verified = ns.run(llv("verify", str(trace), str(program_file)), capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout

    for text in (trace.read_text(), done.stdout, done.stderr, sim.log_text()):
        assert KEY not in text
        assert "eyJ" not in text  # no JWT (header or payload) anywhere


def test_a_bad_key_ends_with_the_401_message(cloud, program_file, tmp_path):
    ns, sim = cloud
    bad = "rk_e2e_wrong_key_0000"
    done, trace = run_cloud(ns, sim, program_file, tmp_path, bad)
    assert done.returncode == 3, done.stderr
    assert "(401)" in done.stderr and "REACTOR_API_KEY" in done.stderr
    for text in (trace.read_text(), done.stdout, done.stderr):
        assert bad not in text


def test_cloud_without_a_key_is_a_usage_error(cloud, program_file, tmp_path):
    ns, _ = cloud
    env = {k: v for k, v in os.environ.items() if k != "REACTOR_API_KEY"}
    done = ns.run(llv("run", str(program_file), "--cloud"), capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 2 and "REACTOR_API_KEY" in done.stderr
