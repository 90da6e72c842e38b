"""Launching and stopping the simulator: the Python API behind ``llv serve`` (and the tests).

::

    from longlive_dsl.sim.server import running_simulator

    with running_simulator(port=0, frames_per_chunk=6, scene_budget=4, time_scale=2) as url:
        ...   # url == "http://127.0.0.1:<port>", /health already says "available"

:class:`Simulator` starts the reactor-runtime serving :class:`longlive_dsl.sim.app.LongLiveSim`
as a child process (``python -m longlive_dsl.sim.app``) bound to 127.0.0.1 with no ICE servers,
and, with ``cloud=True``, the coordinator double (``python -m longlive_dsl.sim.cloud``) on the
public port in front of a runtime on a private one. :meth:`Simulator.start` returns once
``GET /health`` says ``available``; :meth:`Simulator.stop` sends SIGTERM and waits (SIGKILL after
a timeout).

Stale sessions: in local mode the runtime itself ends a session still open when a new
``POST /start_session`` arrives (see :class:`longlive_dsl.sim.app._FreshSessionGate`), so a crashed
client never blocks the next one; :meth:`Simulator.stop_session` is there for a test that wants a
clean slate. In cloud mode the double reclaims a session whose client has gone.

``netns``: the name of a network namespace made with ``ip netns add`` (see ``tests/netns.py``).
The children then run inside it (``ip netns exec``) and health polling enters it too, so the
server is reachable only from inside that namespace.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from longlive_dsl import model
from longlive_dsl.sim.frames import DEFAULT_SIZE

HOST = "127.0.0.1"


class SimulatorError(RuntimeError):
    """The simulator could not be started (the message says why, with the log's tail)."""


@contextlib.contextmanager
def in_netns(name: str | None) -> Iterator[None]:
    """Run the body with the calling thread inside network namespace ``name`` (no-op for None).

    Only sockets created inside the block belong to the namespace; other threads are unaffected.
    """
    if not name:
        yield
        return
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        os.setns(target, os.CLONE_NEWNET)
        try:
            yield
        finally:
            os.setns(home, os.CLONE_NEWNET)
    finally:
        os.close(home)
        os.close(target)


def free_port(host: str = HOST, netns: str | None = None) -> int:
    """A TCP port free on ``host`` right now (inside ``netns`` when given)."""
    with in_netns(netns), socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""An opener that never goes through HTTP(S)_PROXY: the simulator is on this machine."""


def http_json(method: str, url: str, body: Any = None, *, headers: dict[str, str] | None = None,
              timeout: float = 5.0, netns: str | None = None) -> tuple[int, Any, dict[str, str]]:
    """One small JSON request with the standard library: (status, decoded body or None, headers)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    with in_netns(netns):
        try:
            with _DIRECT.open(req, timeout=timeout) as r:
                raw, status, hdrs = r.read(), r.status, dict(r.headers)
        except urllib.error.HTTPError as e:
            raw, status, hdrs = e.read(), e.code, dict(e.headers)
    try:
        decoded = json.loads(raw) if raw else None
    except json.JSONDecodeError:
        decoded = raw.decode(errors="replace")
    return status, decoded, hdrs


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the process that started us dies (Linux),
    so a killed test run or `llv serve` never leaves a simulator behind."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Simulator:
    """The simulator's process(es). Use as a context manager, or call start()/stop()."""

    def __init__(
        self,
        port: int = 8080,
        *,
        fps: int = model.FPS,
        clock: str = model.DEFAULT_CLOCK.name,
        frames_per_chunk: int | str | tuple[int, int] | None = None,
        scene_budget: int = model.SCENE_BUDGET_CHUNKS,
        size: tuple[int, int] = DEFAULT_SIZE,
        time_scale: float = 1.0,
        cloud: bool = False,
        api_keys: list[str] | None = None,
        capacity: int = 1,
        queue: int = 0,
        refuse_first: int = 0,
        retry_after: int = 2,
        wait_polls: int = 2,
        preempt: bool = True,
        orphan_timeout: float = 15.0,
        netns: str | None = None,
        log: IO[str] | str | Path | None = None,
        log_level: str = "INFO",
        env: dict[str, str] | None = None,
    ) -> None:
        from longlive_dsl.sim.app import SimConfig

        if clock not in model.CLOCKS:
            raise ValueError(f"unknown clock profile {clock!r}; known: {', '.join(model.CLOCKS)}")
        # frames_per_chunk (N, "FIRST,LATER" or a pair; fast tests use a few frames) overrides the clock.
        per_chunk = model.CLOCKS[clock] if frames_per_chunk is None else frames_per_chunk
        self.config = SimConfig(fps=fps, frames_per_chunk=per_chunk, scene_budget=scene_budget,
                                size=(size[0], size[1]), time_scale=float(time_scale), preempt=preempt)
        self.netns = netns
        self.port = port or free_port(HOST, netns)
        self.cloud = cloud
        # In cloud mode each simulated GPU is a runtime of its own, on its own port.
        self.runtime_ports: list[int] = []
        for _ in range(max(1, capacity) if cloud else 1):
            port = free_port(HOST, netns) if cloud else self.port
            while cloud and (port == self.port or port in self.runtime_ports):
                port = free_port(HOST, netns)
            self.runtime_ports.append(port)
        self.runtime_port = self.runtime_ports[0]
        self.queue = queue
        self.api_keys = api_keys
        self.capacity, self.refuse_first, self.retry_after, self.wait_polls = (
            capacity, refuse_first, retry_after, wait_polls)
        self.orphan_timeout = orphan_timeout
        self.log_level = log_level
        self.extra_env = dict(env or {})
        self._log_arg = log
        self._log_file: IO[str] | None = None
        self._own_log = False
        self._temp_log = False
        self._kept_log = ""  # the tail of a temporary log, kept when the file is removed
        self.log_path: Path | None = None
        self.procs: list[subprocess.Popen] = []

    @property
    def base_url(self) -> str:
        """Where clients go: the coordinator double in cloud mode, else the runtime."""
        return f"http://{HOST}:{self.port}"

    @property
    def runtime_url(self) -> str:
        return f"http://{HOST}:{self.runtime_port}"

    def _argv(self, module: str) -> list[str]:
        argv = [sys.executable, "-m", module]
        return ["ip", "netns", "exec", self.netns, *argv] if self.netns else argv

    def _spawn(self, module: str, env: dict[str, str]) -> subprocess.Popen:
        full = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            self._argv(module), env=full, stdin=subprocess.DEVNULL,
            stdout=self._log_file or None, stderr=subprocess.STDOUT if self._log_file else None,
            start_new_session=True,  # a Ctrl-C in the terminal reaches `llv serve`, which stops us
            preexec_fn=_die_with_parent,
        )
        self.procs.append(proc)
        return proc

    def start(self, timeout: float = 30.0) -> str:
        """Start the process(es) and wait until ``/health`` says available; return :attr:`base_url`."""
        for port in {self.port, *self.runtime_ports}:
            try:
                with in_netns(self.netns), socket.socket() as probe:
                    # As the server itself binds: a port whose last connections linger in
                    # TIME_WAIT (a server just stopped) is free to serve again.
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    probe.bind((HOST, port))
            except OSError:
                raise SimulatorError(f"port {port} on {HOST} is in use (pick another with --port)") from None
        if isinstance(self._log_arg, (str, Path)):
            self.log_path = Path(self._log_arg)
            self._log_file = open(self.log_path, "a")
            self._own_log = True
        elif self._log_arg is None:
            fd, name = tempfile.mkstemp(prefix="llv-sim-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
            self._log_file = open(self.log_path, "a")
            self._own_log = True
            self._temp_log = True
        else:
            self._log_file = self._log_arg
        env = {
            **self.config.to_env(),
            "HOST": HOST,
            "ORPHAN_TIMEOUT_SECONDS": str(self.orphan_timeout),
            "SIGTERM_GRACE_PERIOD": "1",
            "EXIT_TIMEOUT_SECONDS": "5",
            "REACTOR_LOG_LEVEL": self.log_level,
            **self.extra_env,
        }
        # Never a public STUN server: same-host peers meet on host candidates.
        env.pop("STUN_SERVERS", None)
        env.pop("TURN_SERVERS", None)
        try:
            for port in self.runtime_ports:
                self._spawn("longlive_dsl.sim.app", {**env, "PORT": str(port)})
            if self.cloud:
                cloud_env = {
                    "HOST": HOST, "PORT": str(self.port),
                    "LLV_SIM_UPSTREAM": ",".join(f"http://{HOST}:{p}" for p in self.runtime_ports),
                    "LLV_SIM_QUEUE": str(self.queue),
                    "LLV_SIM_CAPACITY": str(self.capacity), "LLV_SIM_REFUSE_FIRST": str(self.refuse_first),
                    "LLV_SIM_RETRY_AFTER": str(self.retry_after), "LLV_SIM_WAIT_POLLS": str(self.wait_polls),
                    **self.extra_env,
                }
                if self.api_keys is not None:
                    cloud_env["LLV_SIM_API_KEYS"] = ",".join(self.api_keys)
                self._spawn("longlive_dsl.sim.cloud", cloud_env)
            self.wait_available(timeout)
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def health(self, timeout: float = 1.0) -> dict | None:
        """``GET /health`` of the public port, or None when it does not answer."""
        try:
            status, body, _ = http_json("GET", self.base_url + "/health", timeout=timeout, netns=self.netns)
        except (OSError, ValueError):
            return None
        return body if isinstance(body, dict) else None

    def _available(self, url: str) -> bool:
        """Whether the runtime at `url` (one simulated GPU of the cloud double) says it is available."""
        try:
            _, body, _ = http_json("GET", url + "/health", timeout=0.5, netns=self.netns)
        except (OSError, ValueError):
            return False
        return isinstance(body, dict) and body.get("state") in ("available", "serving")

    def wait_available(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise SimulatorError(f"the simulator exited with status {proc.returncode} while starting"
                                         f"{self._log_tail()}")
            body = self.health(timeout=0.5)
            if body and body.get("state") in ("available", "serving") and all(
                    self._available(f"http://{HOST}:{port}") for port in self.runtime_ports[1:]):
                return
            if time.monotonic() > deadline:
                raise SimulatorError(f"the simulator was not available after {timeout:.0f} s{self._log_tail()}")
            time.sleep(0.02)

    def _log_tail(self, lines: int = 30) -> str:
        if self.log_path is None:
            return ""
        with contextlib.suppress(OSError):
            tail = self.log_text().splitlines()[-lines:]
            return "\n--- simulator log (tail) ---\n" + "\n".join(tail)
        return ""

    def log_text(self) -> str:
        """Everything the processes wrote so far (when they write to a file; after `stop`, the last 64 KiB)."""
        if self.log_path is None:
            return self._kept_log
        if self._log_file:
            self._log_file.flush()
        return self.log_path.read_text(errors="replace")

    def stop_session(self) -> int:
        """``POST /stop_session`` on the runtime (200 stopped, 409 none open)."""
        status, _, _ = http_json("POST", self.runtime_url + "/stop_session", {}, netns=self.netns)
        return status

    def running(self) -> bool:
        return bool(self.procs) and all(p.poll() is None for p in self.procs)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM every process (front first), wait, SIGKILL what is left; the runtime's exit status."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait()
        code = self.procs[0].returncode if self.procs else 0
        self.procs = []
        if self._log_file and self._own_log:
            self._log_file.close()
            self._log_file = None
        if self._temp_log and self.log_path is not None:  # a log we made up: gone with the server
            with contextlib.suppress(OSError):
                self._kept_log = self.log_path.read_text(errors="replace")[-65536:]
                self.log_path.unlink()
            self._temp_log = False
            self.log_path = None
        return code or 0

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_simulator(port: int = 0, **options: Any) -> Iterator[str]:
    """Run a simulator for the body of a ``with`` and yield its base URL.

    ``port=0`` picks a free port. The keyword options are :class:`Simulator`'s (``fps``, ``clock``,
    ``frames_per_chunk``, ``scene_budget``, ``size``, ``time_scale``, ``cloud``, ``api_keys``,
    ``netns``, ``log``, ``env``, ...). Use :class:`Simulator` directly to reach its log or stop a
    session.
    """
    with Simulator(port, **options) as sim:
        yield sim.base_url
