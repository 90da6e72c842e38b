"""`llv serve` as a user runs it: starts on 127.0.0.1, says where, serves the model's schema,
recovers a stale session, and stops cleanly on SIGTERM and Ctrl-C (SIGINT) with no traceback."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from longlive_dsl import model
from longlive_dsl.sim.server import free_port, http_json

pytestmark = pytest.mark.usefixtures("require_runtime")


def start_serve(*args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "longlive_dsl.cli", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "listening on" in line:
            url = line.split("listening on", 1)[1].strip()
            assert url == f"http://127.0.0.1:{port}"
            return proc, url
    proc.kill()
    raise AssertionError(f"llv serve did not say where it listens: {lines}\n{proc.stderr.read()[-3000:]}")


def stop(proc: subprocess.Popen, sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_starts_answers_and_stops_cleanly(sig):
    proc, url = start_serve("--frames-per-chunk", "6", "--time-scale", "2")
    try:
        status, health, _ = http_json("GET", url + "/health")
        assert status == 200 and health["state"] == "available"
        # Stale-session recovery: a second start while one is open wins instead of a 409.
        assert http_json("POST", url + "/start_session", {})[0] == 200
        status, descriptor, _ = http_json("POST", url + "/start_session", {})
        assert status == 200 and descriptor["model"]["name"] == model.MODEL_NAME
        sid = descriptor["session_id"]
        status, ice, _ = http_json("GET", f"{url}/sessions/{sid}/transport/webrtc/ice_servers",
                                   headers={"Reactor-WebRTC-Version": "1.0"})
        assert status == 200 and ice == {"ice_servers": []}
    finally:
        code, err = stop(proc, sig)
    assert code == 0, err
    assert "Traceback" not in err, err
    assert "stopped" in err
    with pytest.raises(OSError):
        http_json("GET", url + "/health", timeout=1)


def test_schema_declares_every_command_with_typed_parameters():
    proc, url = start_serve()
    try:
        status, schema, _ = http_json("GET", url + "/schema")
    finally:
        stop(proc, signal.SIGTERM)
    assert status == 200
    paths = schema["paths"]
    assert {p.rsplit("/", 1)[1] for p in paths} == set(model.COMMANDS)

    def params(command):
        body = paths[f"/events/{command}"]["post"].get("requestBody")
        if body is None:
            return {}, []
        s = body["content"]["application/json"]["schema"]
        return {k: v["type"] for k, v in s.get("properties", {}).items()}, sorted(s.get("required", []))

    assert params(model.SET_SEED) == ({"seed": "integer"}, ["seed"])
    assert params(model.SET_SHOT) == ({"prompt": "string"}, ["prompt"])
    assert params(model.SCHEDULE_SCENE_CUT) == (
        {"prompt": "string", "at_session_chunk": "integer"}, ["at_session_chunk", "prompt"])
    assert params(model.START)[0] == {}
    prompt = paths[f"/events/{model.SET_SHOT}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert prompt["properties"]["prompt"]["maxLength"] == model.PROMPT_MAX_CHARS  # the limit E406 checks
    assert schema["x-reactor"]["tracks"] == [{"name": "main_video", "kind": "video", "direction": "out"}]


@pytest.mark.parametrize("args,message", [
    (["--size", "100x100"], "too small"),
    (["--size", "640x350"], "multiples of 16"),
    (["--fps", "0"], "fps"),
    (["--time-scale", "0"], "time scale"),
    (["--frames-per-chunk", "0"], "frames per chunk"),
    (["--frames-per-chunk", "29,32,35"], "FIRST,LATER"),
    (["--clock", "sundial"], "invalid choice"),
])
def test_bad_options_are_refused_before_starting(args, message):
    done = subprocess.run([sys.executable, "-m", "longlive_dsl.cli", "serve", *args],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_port_in_use_is_reported_plainly():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "longlive_dsl.cli", "serve", "--port", str(port)],
                              capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("args, says", [
    ([], "29 frames in a scene's first chunk, 32 in each later one"),
    (["--clock", "docs"], "29 frames per chunk"),
    (["--clock", "docs", "--frames-per-chunk", "3,5"], "3 frames in a scene's first chunk, 5 in each later one"),
    (["--frames-per-chunk", "6"], "6 frames per chunk"),
])
def test_serve_says_which_chunk_clock_it_emits(args, says):
    proc = subprocess.Popen([sys.executable, "-m", "longlive_dsl.cli", "serve", "--port", str(free_port()), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
    finally:
        stop(proc, signal.SIGTERM)
    assert says in lines[1], lines
