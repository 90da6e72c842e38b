"""Private network namespaces for end-to-end tests (WebRTC needs a non-loopback address).

ICE never uses 127.0.0.1 (protocol.md §4), so a WebRTC test on one host needs an interface with
a real address. A :class:`NetNamespace` is a throw-away named namespace (``ip netns add``) holding
``lo`` and a veth pair whose first end carries ``198.18.<n>.1/24`` (198.18.0.0/15 is the
benchmarking range: never routed, never anyone's real address). Nothing inside can reach the
host's network, and nothing outside can reach in: servers bound to 127.0.0.1 inside are private
to the test.

Needs root and iproute2's ``ip`` (Debian package ``iproute2``). :func:`unavailable_reason` says
why namespaces cannot be made here (or None when they can): tests skip with that message.

API::

    from netns import NetNamespace, unavailable_reason

    with NetNamespace() as ns:          # or: ns = NetNamespace(); ns.open(); ...; ns.close()
        ns.name                         # "llv-<pid>-<n>", pass it to Simulator(netns=...)
        ns.address                      # "198.18.<n>.1", the namespace's non-loopback address
        ns.argv(["python", "x.py"])     # ["ip", "netns", "exec", name, "python", "x.py"]
        ns.run([...], **subprocess_run_kwargs)      # subprocess.run inside the namespace
        ns.popen([...], **popen_kwargs)             # subprocess.Popen inside the namespace
        ns.run_json("client.py", url)   # run `python client.py url` inside; its last stdout line as JSON
        with ns.entered():              # this thread's new sockets live in the namespace
            urllib.request.urlopen("http://127.0.0.1:8080/health")

    # with the simulator (longlive_dsl.sim.server):
    with NetNamespace() as ns, running_simulator(netns=ns.name, frames_per_chunk=6) as url:
        ns.run([sys.executable, "client.py", url], check=True)

On close every process still running inside the namespace (ours: nothing else can be in it) is
killed and the namespace deleted. The pytest fixtures ``netns`` (one per test) and
``netns_module`` live in ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

_counter = itertools.count(1)


def unavailable_reason() -> str | None:
    """Why network namespaces cannot be made here, or None when they can."""
    if os.name != "posix" or not os.path.exists("/proc/self/ns/net"):
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "network namespaces need root (run the end-to-end tests as root, as CI does)"
    if shutil.which("ip") is None:
        return "network namespaces need iproute2's `ip` (apt-get install iproute2)"
    if not hasattr(os, "setns"):
        return "os.setns needs Python 3.12 or newer"
    probe = f"llv-probe-{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` failed here: {made.stderr.strip() or made.returncode}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")


class NetNamespace:
    """One named network namespace with lo and a veth address in 198.18.0.0/15."""

    def __init__(self, name: str | None = None) -> None:
        n = next(_counter)
        self.name = name or f"llv-{os.getpid()}-{n}"
        self.address = f"198.18.{n % 250}.1"
        self._open = False

    def open(self) -> NetNamespace:
        _ip("netns", "add", self.name)
        self._open = True
        try:
            for cmd in (
                ["link", "set", "lo", "up"],
                ["link", "add", "veth0", "type", "veth", "peer", "name", "veth1"],
                ["addr", "add", f"{self.address}/24", "dev", "veth0"],
                ["link", "set", "veth0", "up"],
                ["link", "set", "veth1", "up"],
            ):
                _ip("-n", self.name, *cmd)
        except BaseException:
            self.close()
            raise
        return self

    def argv(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the namespace (``ip netns exec`` execs it: same pid)."""
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(argv), **kwargs)

    def popen(self, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen:
        return subprocess.Popen(self.argv(argv), **kwargs)

    def run_json(self, script: str, *args: str, timeout: float = 90.0) -> dict:
        """Run ``python script args`` inside the namespace; return the JSON object its last
        stdout line holds (AssertionError with both streams when it fails)."""
        done = self.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=timeout)
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        result = None
        if lines:
            with contextlib.suppress(json.JSONDecodeError):
                result = json.loads(lines[-1])
        if done.returncode != 0 or not isinstance(result, dict):
            raise AssertionError(
                f"{script} exited {done.returncode}\n--- stdout ---\n{done.stdout[-4000:]}"
                f"\n--- stderr ---\n{done.stderr[-4000:]}"
            )
        return result

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        """The calling thread's new sockets belong to the namespace for the block."""
        from longlive_dsl.sim.server import in_netns

        with in_netns(self.name):
            yield

    def pids(self) -> list[int]:
        done = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True)
        return [int(p) for p in done.stdout.split()] if done.returncode == 0 else []

    def close(self) -> None:
        if not self._open:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.pids()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 3
            while self.pids() and time.monotonic() < deadline:
                time.sleep(0.05)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        self._open = False

    def __enter__(self) -> NetNamespace:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
