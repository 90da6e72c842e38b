"""End to end: `llv run` against hostile servers and failing outputs.

Each case runs the real `llv run` process inside a network namespace against either the hostile
server of `tests/hostile/server.py` (lying, stalling, flooding, dropping at one signalling step) or
the real simulator (for faults once the take is playing: outputs that cannot be written, a closed
stderr, hang-ups). Every case asserts the exit code, a (generous) time bound, the process's peak
memory (its own rusage), and a trace whose every line is JSON and whose last record is `end` with
that exit code. docs/run.md lists the deadlines, limits and exit codes these check.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hostile.runner import Outcome, bounded, finish, llv, run_llv, start_llv
from hostile.server import (
    AnswerAfterOffer,
    HostileServer,
    Reply,
    cloud_steps,
    dead_end_answer,
    js,
    local_steps,
)
from runtime.programs import write_program

BEATS = ((0, "opener", "a red fox in the snow"), (4, "shot", "the fox leaps"), (12, "cut", "a city at night"))
KEY = "rk_hostile_0123456789"
MALFORMED = {"not JSON": b"<html>oops</html>", "a list": b"[1, 2]", "an empty object": b"{}", "null": b"null"}
STEP_NAMES = {"start": "starting the session", "connections": "registering the connection",
              "answer": "waiting for the answer", "tokens": "getting a token for the API key",
              "sessions": "creating the session", "polling": "waiting for the session", "ice_servers": "getting ICE servers"}
"""How the error message names each signalling step."""


@pytest.fixture
def program(tmp_path) -> Path:
    return write_program(tmp_path, BEATS, 16)


@pytest.fixture
def hostile(netns_module):
    """Start a hostile server with the given steps in the module's namespace: hostile(steps) -> server."""
    servers = []

    def make(steps) -> HostileServer:
        server = HostileServer(steps, netns=netns_module.name)
        server.start()
        servers.append(server)
        return server

    yield make
    for s in servers:
        s.stop()


def local(ns, tmp_path, program, server, *extra, **kw) -> Outcome:
    return run_llv(ns, tmp_path, str(program), "--server", server.url, *extra, **kw)


def cloud(ns, tmp_path, program, server, *extra, **kw) -> Outcome:
    return run_llv(ns, tmp_path, str(program), "--cloud", "--api-url", server.url, *extra,
                   env={"REACTOR_API_KEY": KEY}, **kw)


# --------------------------------------------------------------------- malformed answers: exit 10


@pytest.mark.parametrize("what", list(MALFORMED))
@pytest.mark.parametrize("step", ["start", "connections", "answer"])
def test_a_malformed_local_answer_is_a_server_failure_naming_the_step(netns_module, hostile, tmp_path, program, step, what):
    server = hostile(local_steps(**{step: Reply(200, MALFORMED[what])}))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 10, out.err
    assert f"{STEP_NAMES[step]}: the server's answer is malformed" in out.err and "internal error" not in out.err
    out.ends_cleanly()
    bounded(out, 60)


@pytest.mark.parametrize("what", ["not JSON", "a list", "null"])
def test_a_malformed_answer_to_the_offer_is_a_server_failure(netns_module, hostile, tmp_path, program, what):
    server = hostile(local_steps(offer=Reply(202, MALFORMED[what])))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 10 and "sending the offer" in out.err and "malformed" in out.err, out.err
    out.ends_cleanly()
    bounded(out, 60)


@pytest.mark.parametrize("what", list(MALFORMED))
@pytest.mark.parametrize("step", ["tokens", "sessions", "polling", "ice_servers"])
def test_a_malformed_cloud_answer_is_a_server_failure_naming_the_step(netns_module, hostile, tmp_path, program, step, what):
    server = hostile(cloud_steps(**{step: Reply(201 if step == "sessions" else 200, MALFORMED[what])}))
    out = cloud(netns_module, tmp_path, program, server)
    assert out.code == 10, out.err
    assert f"{STEP_NAMES[step]}: the server's answer is malformed" in out.err and "internal error" not in out.err
    end = out.ends_cleanly()
    assert KEY not in out.trace.read_text() and KEY not in out.err
    if step in ("polling", "ice_servers"):  # the session exists: it is deleted on the way out
        assert ("DELETE", "delete") in server.calls(), server.calls()
    assert end["failure"] == "SERVER"
    bounded(out, 60)


def test_a_session_id_that_would_change_the_url_is_refused(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(start=js({"session_id": "../../admin"})))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 10 and "session_id" in out.err, out.err
    out.ends_cleanly()
    assert all(path.startswith(("/start_session", "/stop_session")) for _, path, _ in server.requests)
    bounded(out, 60)


def test_an_sdp_answer_that_is_not_sdp_is_a_server_failure(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(answer=js({"sdp_answer": "hello", "connection_id": 7})))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 10 and "SDP answer" in out.err, out.err
    out.ends_cleanly()
    bounded(out, 60)


# ------------------------------------------------------------------------ deadlines and limits


def test_a_body_dribbled_a_byte_at_a_time_fails_at_the_call_deadline(netns_module, hostile, tmp_path, program):
    body = json.dumps({"session_id": "s1", "state": "waiting", "pad": "x" * 50}).encode()
    server = hostile(local_steps(start=Reply(200, body, dribble=1.0)))
    out = local(netns_module, tmp_path, program, server, "--call-timeout", "3")
    assert out.code == 7 and "did not answer within 3 s" in out.err, out.err
    out.ends_cleanly()
    bounded(out, 30)


def test_headers_and_then_nothing_fail_at_the_call_deadline(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(start=Reply(hang=True)))
    out = local(netns_module, tmp_path, program, server, "--call-timeout", "2")
    assert out.code == 7, out.err
    out.ends_cleanly()
    bounded(out, 30)


def test_an_answer_that_never_comes_fails_at_the_signalling_deadline(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps())  # the answer stays 202 ("pending") for ever
    out = local(netns_module, tmp_path, program, server, "--signalling-timeout", "4")
    assert out.code == 7 and "signalling did not finish within 4 s" in out.err, out.err
    out.ends_cleanly()
    assert server.calls()[-1] == ("POST", "stop"), "the session is stopped on the way out"
    bounded(out, 30)


def test_a_cloud_session_never_ready_fails_at_the_signalling_deadline(netns_module, hostile, tmp_path, program):
    server = hostile(cloud_steps(polling=js({"session_id": "hostile-1", "state": "WAITING"})))
    out = cloud(netns_module, tmp_path, program, server, "--signalling-timeout", "4", "--capacity-wait", "1")
    assert out.code == 7 and "signalling did not finish" in out.err, out.err
    out.ends_cleanly()
    assert server.calls()[-1] == ("DELETE", "delete")
    bounded(out, 30)


def test_an_answer_whose_peer_never_connects_fails_at_the_connection_deadline(netns_module, hostile, tmp_path, program):
    pair = AnswerAfterOffer(dead_end_answer)
    server = hostile(local_steps(offer=pair.take_offer, answer=pair.give_answer))
    out = local(netns_module, tmp_path, program, server, "--connect-timeout", "3")
    assert out.code == 7 and "did not open within 3 s" in out.err, out.err
    out.ends_cleanly()
    bounded(out, 40)


@pytest.mark.parametrize("status", [200, 500])
def test_a_huge_body_is_read_only_up_to_the_cap(netns_module, hostile, tmp_path, program, status):
    size = 1024**3 if status == 500 else 200 * 1024**2
    server = hostile(local_steps(start=Reply(status, filler=size, headers={"Content-Type": "application/json"})))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 10, out.err
    if status == 200:
        assert "larger than 4 MiB" in out.err
    else:
        assert "HTTP 500" in out.err
    out.ends_cleanly()
    bounded(out, 60, peak_mb=150)


def test_a_compressed_bomb_is_not_inflated_past_the_cap(netns_module, hostile, tmp_path, program):
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip
    zeros = b"\0" * 1024**2
    bomb = b"".join(packer.compress(zeros) for _ in range(512)) + packer.flush()  # 512 MiB of zeros in ~0.5 MB
    server = hostile(local_steps(start=Reply(200, bomb, {"Content-Encoding": "gzip", "Content-Type": "application/json"})))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 10 and "larger than 4 MiB" in out.err, out.err
    out.ends_cleanly()
    bounded(out, 60, peak_mb=150)  # inflating it whole would take ~220 MB


def test_a_connection_dropped_without_an_answer_is_a_lost_connection(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(start=Reply(drop=True)))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 8, out.err
    out.ends_cleanly()
    bounded(out, 60)


def test_headers_that_never_end_are_refused_without_growing(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(start=Reply(endless_headers=True)))
    out = local(netns_module, tmp_path, program, server, "--call-timeout", "10")
    assert out.code in (7, 8), out.err  # the HTTP parser's header limit, or else the call's deadline
    out.ends_cleanly()
    bounded(out, 40, peak_mb=250)


def test_json_nested_beyond_reason_is_a_malformed_answer(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(start=Reply(200, b"[" * 100_000 + b"]" * 100_000)))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 10 and "malformed" in out.err, out.err
    out.ends_cleanly()
    bounded(out, 60)


def test_a_retry_after_past_the_capacity_wait_gives_up_at_once(netns_module, hostile, tmp_path, program):
    server = hostile(cloud_steps(sessions=js({"detail": "busy"}, 429, **{"Retry-After": "999999"})))
    out = cloud(netns_module, tmp_path, program, server)
    assert out.code == 5 and "(429)" in out.err, out.err
    out.ends_cleanly()
    bounded(out, 30)


def test_a_server_echoing_the_key_never_gets_it_printed(netns_module, hostile, tmp_path, program):
    server = hostile(cloud_steps(tokens=js({"detail": f"key {KEY} is not valid"}, 401)))
    out = cloud(netns_module, tmp_path, program, server)
    assert out.code == 3, out.err
    assert KEY not in out.err and KEY not in out.trace.read_text() and "[REDACTED]" in out.err
    out.ends_cleanly()
    bounded(out, 60)


# ------------------------------------------------------------------- signals while the server stalls


def wait_for_call(server: HostileServer, step: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not any(s == step for _, s in server.calls()):
        assert time.monotonic() < deadline, f"no {step} call within {timeout} s: {server.calls()}"
        time.sleep(0.05)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGHUP, 129), (signal.SIGTERM, 130), (signal.SIGINT, 130)])
def test_a_signal_while_the_server_stalls_ends_the_run_at_once(netns_module, hostile, tmp_path, program, sig, code):
    server = hostile(local_steps(start=Reply(hang=True)))
    t0 = time.monotonic()
    proc, trace = start_llv(netns_module, tmp_path, str(program), "--server", server.url)
    wait_for_call(server, "start")
    proc.send_signal(sig)
    out = finish(proc, tmp_path, trace, t0, 60)
    assert out.code == code, out.err
    out.ends_cleanly()
    bounded(out, 30)


def test_a_hangup_while_the_cloud_session_waits_deletes_it(netns_module, hostile, tmp_path, program):
    server = hostile(cloud_steps(polling=js({"session_id": "hostile-1", "state": "WAITING"})))
    t0 = time.monotonic()
    proc, trace = start_llv(netns_module, tmp_path, str(program), "--cloud", "--api-url", server.url,
                            env={"REACTOR_API_KEY": KEY})
    wait_for_call(server, "polling")
    os.kill(proc.pid, signal.SIGHUP)
    out = finish(proc, tmp_path, trace, t0, 60)
    assert out.code == 129 and "hung up" in out.err, out.err
    assert server.calls()[-1] == ("DELETE", "delete"), "the session is deleted on the cloud"
    out.ends_cleanly()
    bounded(out, 30)


# ------------------------------------------------------------------- refusals worded for the door


def test_a_local_401_says_nothing_about_the_api_key(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(start=js({"detail": "who are you"}, 401)))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 3 and "(401)" in out.err and "REACTOR_API_KEY" not in out.err, out.err
    out.ends_cleanly()
    bounded(out, 60)


def test_a_local_429_does_not_claim_retries(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(start=js({"detail": "busy"}, 429)))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 5 and "(429)" in out.err and "retrying" not in out.err, out.err
    assert [c for c in server.calls() if c[1] == "start"] == [("POST", "start")]
    out.ends_cleanly()
    bounded(out, 60)


def test_escape_sequences_from_the_server_never_reach_the_terminal(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(start=js({"detail": "\x1b[2J\x1b]0;owned\x07 bad \r\x9b31m"}, 500)))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 10 and "bad" in out.err, out.err
    assert not any(c in out.err for c in "\x1b\x07\r\x9b")
    out.ends_cleanly()
    bounded(out, 60)


def test_a_redirect_is_not_followed(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps(start=Reply(302, headers={"Location": "http://198.51.100.1/"})))
    out = local(netns_module, tmp_path, program, server)
    assert out.code == 10 and "HTTP 302" in out.err, out.err
    out.ends_cleanly()
    bounded(out, 60)


# ------------------------------------------------------------------------------ the option parser


@pytest.mark.parametrize("args", [
    ("--server", "not a url"), ("--server", "ftp://127.0.0.1/"), ("--server", "http://127.0.0.1:99999"),
    ("--time-scale", "1000"), ("--time-scale", "nan"), ("--time-scale", "inf"), ("--time-scale", "0"),
    ("--call-timeout", "-1"), ("--size", "0x0"), ("--size", "640x350"), ("--size", "99999x99999"), ("--size", "big"),
])
@pytest.mark.parametrize("command", ["run", "direct"])
def test_bad_options_are_usage_errors(tmp_path, program, args, command):
    if command == "direct" and args[0] == "--call-timeout":
        args = ("--size", "1x1")  # direct has no --call-timeout
    done = subprocess.run(llv(command, str(program), *args), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"llv {command}: error: argument" in done.stderr and "Traceback" not in done.stderr


def test_a_trace_that_cannot_be_written_ends_the_run_before_it_starts(netns_module, hostile, tmp_path, program):
    server = hostile(local_steps())
    out = run_llv(netns_module, tmp_path, str(program), "--server", server.url, trace=Path("/dev/full"))
    assert out.code == 11 and "cannot write the trace /dev/full: No space left on device" in out.err, out.err
    assert server.requests == [], "nothing was asked of the server"
    bounded(out, 30)
