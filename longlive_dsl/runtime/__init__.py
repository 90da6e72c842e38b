"""The thin runtime: play a compiled Program on the simulator or on Reactor's cloud.

`run_program` is the Python entry point; `llv run` is a thin layer over it. Every way a run
can fail is a `RunError` with a failure class, and every failure class has one exit code.
"""

from __future__ import annotations

import enum


class Failure(enum.Enum):
    """Why a run stopped early; the value is the process exit code (see docs/run.md)."""

    STORYBOARD = 1  # the storyboard does not compile (or verify found a mismatch)
    USAGE = 2  # bad arguments, unreadable file
    AUTH = 3  # 401/403: the API key or token was refused
    BILLING = 4  # 402: credits or billing
    NO_CAPACITY = 5  # 429 still after retrying for the allowed time
    VERSION = 6  # 426/501: client and server protocol versions do not match
    TIMEOUT = 7  # the session, the answer or the connection took too long
    CONNECTION_LOST = 8  # the peer, a channel or the server went away mid-run
    COMMAND_ERROR = 9  # the model refused a command of the program
    SERVER = 10  # any other unexpected answer from the server (a refusal, a malformed answer)
    OUTPUT = 11  # the video or the trace cannot be written (a full disk, a file-size limit)
    HANGUP = 129  # SIGHUP: the terminal closed or the ssh connection dropped
    INTERRUPTED = 130  # Ctrl-C / SIGINT / SIGTERM


class RunError(Exception):
    """A run failed for a known reason; `failure.value` is the exit code."""

    def __init__(self, failure: Failure, message: str, *, status: int | None = None):
        super().__init__(message)
        self.failure = failure
        self.message = message
        self.status = status

    @property
    def exit_code(self) -> int:
        return self.failure.value


class Status(str, enum.Enum):
    """Connection states reported to the status callback, in the order a run goes through them."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    WAITING = "waiting"
    READY = "ready"


__all__ = ["Failure", "RunError", "Status", "run"]


def run(
    program: object,
    *,
    server: str | None = None,
    api_key: str | None = None,
    api_url: str | None = None,
    video: str | None = None,
    trace: str | None = None,
    time_scale: float = 1.0,
    listener: object = None,
) -> object:
    """Play a compiled Program and return its `RunResult` (blocking; Ctrl-C ends it cleanly).

    With `api_key`: Reactor's cloud (at `api_url`); with `server`: that runtime; otherwise a
    simulator started for the run (needs the `sim` extra).
    """
    from .session import RunOptions, play
    from .signalling import DEFAULT_CLOUD_URL
    from .trace import Redactor, Trace

    tr = Trace(trace, Redactor([api_key] if api_key else []))
    options = RunOptions(video=video, time_scale=time_scale)

    def go(url: str) -> object:
        return play(program, url, tr, options, listener, api_key=api_key)  # type: ignore[arg-type]

    try:
        if api_key:
            return go(api_url or DEFAULT_CLOUD_URL)
        if server:
            return go(server)
        from ..sim.server import running_simulator

        with running_simulator(time_scale=time_scale) as url:
            return go(url)
    finally:
        tr.close()
