"""`llv serve --port P` comes back at once after a stop, and simulators leave no log files behind.

A server that closes a kept-alive connection on its way out leaves that connection in TIME_WAIT
on port P for about a minute; the pre-start probe binds the way the server does (SO_REUSEADDR),
so the port counts as free again at once. A simulator started without a log file writes its
log to a temporary file, removed when it stops.
"""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from longlive_dsl.sim.server import Simulator, free_port

pytestmark = pytest.mark.usefixtures("require_runtime")


def serve(ns, port: int) -> subprocess.Popen:
    proc = ns.popen([sys.executable, "-m", "longlive_dsl.cli", "serve", "--port", str(port)],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "listening on" in line:
            return proc
        if not line:
            break
    proc.kill()
    raise AssertionError(f"llv serve did not start: {proc.stderr.read()[-2000:]}")


def test_serve_restarts_on_the_same_port_at_once(netns):
    port = free_port(netns=netns.name)
    first = serve(netns, port)
    with netns.entered():
        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        kept.connect()  # the socket is made here, inside the namespace
    kept.request("GET", "/health")
    assert kept.getresponse().read()  # the connection stays open (keep-alive)
    first.send_signal(signal.SIGINT)
    first.communicate(timeout=30)
    kept.close()  # the server closed first: its side of this connection now waits in TIME_WAIT

    t0 = time.monotonic()
    second = serve(netns, port)
    try:
        assert time.monotonic() - t0 < 30
    finally:
        second.send_signal(signal.SIGINT)
        second.communicate(timeout=30)
    assert second.returncode == 0


def test_a_simulator_removes_its_temporary_log_when_it_stops(netns, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with Simulator(0, netns=netns.name) as sim:
        assert sim.log_path is not None and sim.log_path.parent == tmp_path
    assert list(tmp_path.glob("llv-sim-*.log")) == []
    assert isinstance(sim.log_text(), str)  # its tail is still there to read
