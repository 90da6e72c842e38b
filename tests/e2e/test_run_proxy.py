"""A machine with HTTP(S)_PROXY set (a corporate network, a CI box) still plays on its own simulator:
the proxy is for the world, and a proxy cannot reach this machine's loopback. The proxies here point
at a port nothing listens on, so any call that went through them would fail."""

from __future__ import annotations

import os

from hostile.runner import llv

from longlive_dsl.runtime.signalling import on_loopback
from longlive_dsl.runtime.trace import read_trace
from longlive_dsl.sim.server import Simulator

LOOK = "warm dusk light, 35mm lens, slow push-in, photoreal detail"
STORY = f'scene "A" for 3\n  shot "A lighthouse keeper climbs the spiral stairs at dusk, {LOOK}"\n'
KEY = "rk_proxy_test_key"
DEAD = "http://127.0.0.1:9"  # discard: nothing answers
PROXIES = {name: DEAD for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")}


def test_loopback_urls_are_told_from_the_world():
    for url in ("http://127.0.0.1:8080", "http://127.9.0.1/", "http://[::1]:80/x", "http://localhost:1",
                "http://api.localhost/"):
        assert on_loopback(url), url
    for url in ("https://api.reactor.inc", "http://10.0.0.1:8080", "http://[2001:db8::1]/", "http://localhostx/"):
        assert not on_loopback(url), url


def test_a_run_on_the_embedded_simulator_ignores_the_proxies(netns, require_runtime, tmp_path):
    (tmp_path / "story.llv").write_text(STORY)
    done = netns.run(llv("run", str(tmp_path / "story.llv"), "--trace", str(tmp_path / "t.jsonl"), "--time-scale", "4",
                         "--frames-per-chunk", "4", "--size", "160x96", "--plain"),
                     capture_output=True, text=True, timeout=120, env={**os.environ, **PROXIES})
    assert done.returncode == 0, done.stderr[-3000:]
    assert read_trace(tmp_path / "t.jsonl")[-1]["chunks_done"] == 3


def test_a_run_on_the_cloud_double_ignores_the_proxies(netns, require_runtime, tmp_path):
    (tmp_path / "story.llv").write_text(STORY)
    with Simulator(0, cloud=True, api_keys=[KEY], frames_per_chunk=4, size=(160, 96), time_scale=4.0,
                   netns=netns.name, env=PROXIES, log=tmp_path / "sim.log") as sim:
        done = netns.run(llv("run", str(tmp_path / "story.llv"), "--cloud", "--api-url", sim.base_url,
                             "--time-scale", "4", "--trace", str(tmp_path / "t.jsonl"), "--plain"),
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, **PROXIES, "REACTOR_API_KEY": KEY})
        assert done.returncode == 0, done.stderr[-3000:] + sim.log_text()[-3000:]
    assert read_trace(tmp_path / "t.jsonl")[-1]["chunks_done"] == 3
