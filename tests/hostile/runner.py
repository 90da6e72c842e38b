"""Running `llv run` as a user would, inside a network namespace, and measuring how it ended.

`run_llv` starts the process, follows its own peak memory, reaps it, and returns an `Outcome`:
exit code, seconds, peak RSS, stderr, and the trace to check.

The peak is the process's `VmHWM` (/proc/PID/status), sampled every 10 ms until it exits. The
rusage `ru_maxrss` that `wait4` gives is no good here: a child forked from this test process keeps
the parent's high-water mark across its `exec`, so after a long test session every child would
"peak" at the size of pytest itself. `VmHWM` belongs to the memory of the program now running, so
it starts afresh at `exec`; being a high-water mark, a later sample still sees an earlier spike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PEAK_MB = 300  # a whole llv run (aiortc, PyAV, libx264) peaks near 100 MB


def llv(*args: str) -> list[str]:
    """The argv of `llv ARGS` with this Python."""
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


@dataclass
class Outcome:
    code: int
    seconds: float
    peak_mb: float
    err: str
    trace: Path

    def records(self) -> list[dict]:
        lines = self.trace.read_text().splitlines()
        return [json.loads(line) for line in lines]  # every line whole JSON

    def ends_cleanly(self) -> dict:
        """The trace is valid and closed by `end` with the exit code; returns that record."""
        end = self.records()[-1]
        assert end["kind"] == "end" and end["exit_code"] == self.code, end
        return end


def high_water_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), in MB; None once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None  # a zombie: its memory is gone


def wait_with_rusage(proc: subprocess.Popen, timeout: float) -> tuple[int, float]:
    """Reap `proc` within `timeout` (killing it past that); (exit code, peak RSS in MB, from VmHWM)."""
    deadline = time.monotonic() + timeout
    peak = 0.0
    while True:
        sample = high_water_mb(proc.pid)
        if sample is not None:
            peak = max(peak, sample)
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, peak or usage.ru_maxrss / 1024
        if time.monotonic() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise AssertionError(f"llv run did not end within {timeout} s")
        time.sleep(0.01)


def start_llv(ns, tmp_path: Path, *args: str, env: dict | None = None, trace: Path | None = None,
              wrap: Callable[[list[str]], list[str]] | None = None, **popen):
    """Start `llv run ARGS --trace TRACE --plain` inside namespace `ns`, stderr to tmp_path/stderr.txt.

    `wrap` turns that argv into the one started (e.g. inside a private mount namespace)."""
    trace = trace or tmp_path / "run.jsonl"
    argv = llv("run", *args, "--trace", str(trace), "--plain")
    err = open(tmp_path / "stderr.txt", "w")  # noqa: SIM115
    popen.setdefault("stderr", err)
    proc = ns.popen(wrap(argv) if wrap else argv, stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})}, **popen)
    err.close()
    return proc, trace


def small_disk(tmp_path: Path, size: str) -> tuple[Path, Path, Callable[[list[str]], list[str]]]:
    """A disk of `size` for one command: (the folder a tmpfs is mounted on, the folder its files are copied
    to when the command ends, and the wrap that runs an argv there: in a private mount namespace, the tmpfs
    mounted and its working directory)."""
    small, keep = tmp_path / "small", tmp_path / "kept"
    small.mkdir()
    keep.mkdir()
    script = ('d=$1; keep=$2; shift 2; mount -t tmpfs -o size="$SIZE" llv-small "$d" && cd "$d" || exit 99; '
              '"$@"; rc=$?; cp -a "$d"/. "$keep"/; exit $rc')

    def wrap(argv: list[str]) -> list[str]:
        return ["unshare", "--mount", "--propagation", "private", "env", f"SIZE={size}",
                "sh", "-c", script, "sh", str(small), str(keep), *argv]

    return small, keep, wrap


def finish(proc, tmp_path: Path, trace: Path, t0: float, timeout: float) -> Outcome:
    """Reap a process from `start_llv` and say how it ended."""
    code, peak = wait_with_rusage(proc, timeout)
    err = (tmp_path / "stderr.txt").read_text()
    return Outcome(code, time.monotonic() - t0, peak, err, trace)


def run_llv(ns, tmp_path: Path, *args: str, timeout: float = 90, **kw) -> Outcome:
    """`llv run ARGS` to its end."""
    t0 = time.monotonic()
    proc, trace = start_llv(ns, tmp_path, *args, **kw)
    return finish(proc, tmp_path, trace, t0, timeout)


def bounded(outcome: Outcome, seconds: float, peak_mb: float = PEAK_MB) -> None:
    """The run ended within `seconds` and never held more than `peak_mb`."""
    assert outcome.seconds < seconds, f"took {outcome.seconds:.1f} s"
    assert outcome.peak_mb < peak_mb, f"peak memory {outcome.peak_mb:.0f} MB"


