"""The thin runtime: play a compiled Program on the simulator or on Reactor's cloud.

`run_program` is the Python entry point; `llv run` is a thin layer over it. Every way a run
can fail is a `RunError` with a failure class, and every failure class has one exit code.
"""

from __future__ import annotations

import enum

from .. import exits


class Failure(enum.Enum):
    """Why a run stopped early; the value is the process exit code (longlive_dsl.exits, docs/run.md)."""

    STORYBOARD = exits.EXIT_FINDINGS  # the storyboard does not compile (or verify found a mismatch)
    USAGE = exits.EXIT_USAGE  # bad arguments, unreadable file
    AUTH = exits.EXIT_AUTH  # 401/403: the API key or token was refused
    BILLING = exits.EXIT_BILLING  # 402: credits or billing
    NO_CAPACITY = exits.EXIT_NO_CAPACITY  # 429 still after retrying for the allowed time
    VERSION = exits.EXIT_VERSION  # 426/501: client and server protocol versions do not match
    TIMEOUT = exits.EXIT_TIMEOUT  # the session, the answer or the connection took too long
    CONNECTION_LOST = exits.EXIT_CONNECTION_LOST  # the peer, a channel or the server went away mid-run
    COMMAND_ERROR = exits.EXIT_COMMAND_ERROR  # the model refused a command of the program
    SERVER = exits.EXIT_SERVER  # any other unexpected answer from the server (a refusal, a malformed answer)
    OUTPUT = exits.EXIT_OUTPUT  # the video or the trace cannot be written (a full disk, a file-size limit)
    HANGUP = exits.EXIT_HANGUP  # SIGHUP: the terminal closed or the ssh connection dropped
    INTERRUPTED = exits.EXIT_INTERRUPTED  # Ctrl-C / SIGINT / SIGTERM


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
    url: str,
    *,
    api_key: str | None = None,
    video: str | None = None,
    trace: str | None = None,
    time_scale: float = 1.0,
    listener: object = None,
) -> object:
    """Play a compiled Program on the runtime at `url` (Reactor's cloud API there with `api_key`); its `RunResult`.

    Blocking; Ctrl-C ends it cleanly. Where to play is chosen above the runtime (longlive_dsl.venue).
    """
    from .session import RunOptions, play
    from .trace import Redactor, Trace

    tr = Trace(trace, Redactor([api_key] if api_key else []))
    try:
        options = RunOptions(video=video, time_scale=time_scale)
        return play(program, url, tr, options, listener, api_key=api_key)  # type: ignore[arg-type]
    finally:
        tr.close()
